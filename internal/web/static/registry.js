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
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round(e.loaded * 90 / e.total); }
    };
    xhr.upload.onload = function () { bar.value = 90; label.textContent = form.dataset.checking; };
    xhr.onload = function () {
      bar.value = 100;
      button.disabled = false;
      label.textContent = "";
      document.getElementById("import-result").innerHTML = xhr.responseText;
    };
    xhr.onerror = function () { button.disabled = false; label.textContent = form.dataset.failed; };
    xhr.send(new FormData(form));
  });
})();
