// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // The activation letter's QR code carries the code in the URL fragment, which the
  // browser never sends to the server; copy it into the form and drop it from the address.
  // Forms that undo something ask first (without JavaScript they simply submit).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // After adding a passkey, reload so the list of passkeys shows it.
  document.addEventListener("otp_webauthn.register_complete", function () {
    window.setTimeout(function () { window.location.reload(); }, 800);
  });
  var codeField = document.getElementById("id_code");
  var match = window.location.hash.match(/^#code=([A-Za-z0-9-]{1,20})$/);
  if (codeField && match) {
    codeField.value = match[1];
    history.replaceState(null, "", window.location.pathname);
    var birth = document.getElementById("id_date_of_birth_dag");
    if (birth) { birth.focus(); }
  }
  // Waiting-room screen: one information slide at a time, unless motion is unwelcome.
  document.querySelectorAll("[data-slides]").forEach(function (box) {
    var slides = box.querySelectorAll(".spreekuur-slide");
    var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (slides.length < 2 || still) { return; }
    var shown = 0;
    box.classList.add("spreekuur-slides--rotating");
    slides[0].classList.add("spreekuur-slide--shown");
    window.setInterval(function () {
      slides[shown].classList.remove("spreekuur-slide--shown");
      shown = (shown + 1) % slides.length;
      slides[shown].classList.add("spreekuur-slide--shown");
    }, 12000);
  });
  // Kiosk: after a check-in the screen returns to the start for the next patient.
  var done = document.querySelector("[data-return-after]");
  if (done) {
    window.setTimeout(function () {
      window.location.assign(done.getAttribute("data-return-to"));
    }, 1000 * parseInt(done.getAttribute("data-return-after"), 10));
  }
});
