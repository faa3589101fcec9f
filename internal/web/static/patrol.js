// Patrol phone page: a check-in or check-out carries the phone's position
// when the browser gives one within three seconds; the form is sent either
// way (the position is optional).
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (!f.classList || !f.classList.contains("checkform") || f.dataset.located || !navigator.geolocation) return;
  e.preventDefault();
  var send = function () { f.dataset.located = "1"; f.submit(); };
  navigator.geolocation.getCurrentPosition(function (p) {
    f.elements.lat.value = p.coords.latitude;
    f.elements.lng.value = p.coords.longitude;
    send();
  }, send, { timeout: 3000, maximumAge: 60000 });
});
