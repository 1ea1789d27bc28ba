/* Zeitstrahl: a phase segment or a deadline's diamond shows its details on click,
   tap and keyboard focus.
   The details come from a <template> per segment and appear in one panel below the
   segment; Escape (or "schließen") closes it and leaves the focus on the segment. */
document.addEventListener("DOMContentLoaded", function () {
  var panel = document.getElementById("zeitstrahl-details");
  var box = document.querySelector(".timeline-box");
  if (!panel || !box) return;
  var content = panel.querySelector(".content");
  var current = null;
  var returning = false;

  function place(segment) {
    var outer = box.getBoundingClientRect();
    var rect = segment.getBoundingClientRect();
    panel.style.top = (rect.bottom - outer.top + 6) + "px";
    var width = panel.offsetWidth;
    var left = Math.max(0, Math.min(rect.left - outer.left, outer.width - width));
    panel.style.left = left + "px";
  }

  function show(segment) {
    var source = document.getElementById(segment.id + "-details");
    if (!source) return;
    if (current && current !== segment) current.setAttribute("aria-expanded", "false");
    content.replaceChildren(source.content.cloneNode(true));
    panel.hidden = false;
    segment.setAttribute("aria-expanded", "true");
    current = segment;
    place(segment);
  }

  function hide(returnFocus) {
    if (!current) return;
    var segment = current;
    panel.hidden = true;
    segment.setAttribute("aria-expanded", "false");
    current = null;
    // Giving the focus back must not open the details again (the focus handler
    // below): from the "schließen" button the segment is not yet focused.
    if (returnFocus) {
      returning = true;
      segment.focus();
      returning = false;
    }
  }

  // Phase segments and deadline diamonds alike: no detail depends on hover.
  document.querySelectorAll("#zeitstrahl [role=button]").forEach(function (segment) {
    segment.addEventListener("focus", function () { if (!returning) show(segment); });
    segment.addEventListener("click", function () { show(segment); });
    segment.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        show(segment);
      }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && current) {
      event.preventDefault();
      hide(true);
    }
  });
  panel.querySelector(".close").addEventListener("click", function () { hide(true); });
  window.addEventListener("resize", function () { if (current) place(current); });
});
