/* Documents: drop several files on the upload area; each is sent on its own so its
   progress can be shown. Without JavaScript the form posts all files at once. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.upload").forEach(function (form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector(".progress-list");
    if (!zone || !input || !list) return;
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        send(form, list, event.dataTransfer.files);
      }
    });
    form.addEventListener("submit", function (event) {
      if (!input.files.length) return;
      event.preventDefault();
      send(form, list, input.files);
    });
  });

  function send(form, list, files) {
    var pending = files.length;
    var failed = 0;
    var token = form.querySelector("[name=csrf_token]").value;
    Array.prototype.forEach.call(files, function (file) {
      var row = document.createElement("li");
      var name = document.createElement("span");
      name.textContent = file.name + " ";
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      var state = document.createElement("span");
      state.className = "state";
      state.textContent = " wird hochgeladen …";
      row.appendChild(name);
      row.appendChild(bar);
      row.appendChild(state);
      list.appendChild(row);
      var data = new FormData(form);
      data.delete("dateien");
      data.append("dateien", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-CSRF-Token", token);
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) bar.value = Math.round(100 * event.loaded / event.total);
      });
      request.addEventListener("load", function () {
        var answer = {};
        try { answer = JSON.parse(request.responseText); } catch (error) { answer = {}; }
        if (request.status === 200 && answer.attached && answer.attached.length) {
          bar.value = 100;
          state.textContent = answer.attached[0].already_there ? " war schon angehängt" : " angehängt";
          row.className = "done";
        } else {
          failed += 1;
          state.textContent = " " + ((answer.refused && answer.refused[0]) || answer.detail ||
            "nicht angehängt (Fehler " + request.status + ")");
          row.className = "failed";
        }
        finish();
      });
      request.addEventListener("error", function () {
        failed += 1;
        state.textContent = " Verbindung unterbrochen – nicht angehängt";
        row.className = "failed";
        finish();
      });
      request.send(data);
    });

    function finish() {
      pending -= 1;
      if (pending === 0 && failed === 0) window.location.reload();
    }
  }
});
