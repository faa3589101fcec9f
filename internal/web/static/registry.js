// The registry's pages (registry.go): the care list's print button, and the
// import form's progress (upload, then the server's check and write). The
// pages work without it: the form posts normally.
(function () {
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  var form = document.getElementById("import-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var bar = document.getElementById("import-progress");
    var label = document.getElementById("import-status");
    var button = form.querySelector("button[type=submit]");
    bar.hidden = false; bar.value = 0; bar.max = 100;
    button.disabled = true;
    label.textContent = form.dataset.uploading;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Registry-Import", "fragment");
    // Upload: the first 30 %; then the server's "progress DONE TOTAL"
    // lines as it writes rows: the rest; the result follows the marker.
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round(e.loaded * 30 / e.total); }
    };
    xhr.upload.onload = function () { bar.value = 30; label.textContent = form.dataset.checking; };
    var marker = "--result--\n";
    xhr.onprogress = function () {
      var text = xhr.responseText, end = text.indexOf(marker);
      var lines = (end < 0 ? text : text.slice(0, end)).trim().split("\n");
      var m = /^progress (\d+) (\d+)$/.exec(lines[lines.length - 1] || "");
      if (m && +m[2] > 0) {
        bar.value = 30 + Math.round(+m[1] * 70 / +m[2]);
        label.textContent = form.dataset.checking + " " + m[1] + " / " + m[2];
      }
    };
    xhr.onload = function () {
      var text = xhr.responseText, end = text.indexOf(marker);
      bar.value = 100;
      button.disabled = false;
      label.textContent = "";
      document.getElementById("import-result").innerHTML = end < 0 ? "" : text.slice(end + marker.length);
      if (end < 0) { label.textContent = form.dataset.failed; }
    };
    xhr.onerror = function () { button.disabled = false; label.textContent = form.dataset.failed; };
    xhr.send(new FormData(form));
  });
})();
