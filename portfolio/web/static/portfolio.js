/* portfolio: small helpers that work without a framework.
   Loaded in <head> (not deferred) so the "js" class is set before the first paint:
   without JavaScript the menu simply stays open and every page still works. */
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", function () {
  // The main menu collapses behind one button on narrow screens.
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.closest("header").classList.toggle("open", open);
    });
  }
  // Buttons that ask once before acting: <button data-confirm="Frage?">.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    var form = el.form || el.closest("form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter !== el) return;
      if (!window.confirm(el.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  // Copy buttons: <button data-copy="#id-of-input">.
  document.querySelectorAll("[data-copy]").forEach(function (el) {
    el.hidden = false;
    el.addEventListener("click", function () {
      var source = document.querySelector(el.getAttribute("data-copy"));
      if (!source) return;
      var text = source.value || source.textContent;
      var done = function () { el.textContent = "kopiert"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else {
        source.select();
        document.execCommand("copy");
        done();
      }
    });
  });
});
