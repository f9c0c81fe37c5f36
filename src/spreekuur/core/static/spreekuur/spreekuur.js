// Small progressive enhancements; every page works without them.

// htmx must write no inline style under our CSP: no indicator <style> in the head, and a swap
// never copies a style attribute onto new content. The htmx-config meta tag says the same; this
// covers a page without it (this file loads after htmx and before htmx reads its config).
if (window.htmx) {
  window.htmx.config.includeIndicatorStyles = false;
  window.htmx.config.attributesToSettle = window.htmx.config.attributesToSettle.filter(
    function (name) { return name !== "style"; }
  );
}

document.addEventListener("DOMContentLoaded", function () {
  // The main menu is a <details> disclosure on phones; on wide screens it shows as a bar, so
  // it is opened (and its state told right to assistive technology). Escape closes it.
  var menu = document.querySelector("details[data-menu]");
  if (menu) {
    var wide = window.matchMedia("(min-width: 48em)");
    var fit = function () { menu.open = wide.matches; };
    fit();
    wide.addEventListener("change", fit);
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open && !wide.matches) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }
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
  // Waiting-room screen: a chime when a new number is called, only once someone at the screen
  // turned it on (browsers allow sound after a gesture; so no autoplay, and off by default).
  // The tone is synthesised with the Web Audio API: no sound file to fetch.
  var chime = document.querySelector("[data-chime]");
  var calls = document.getElementById("oproepen");
  var AudioContextClass = window.AudioContext || window.webkitAudioContext;
  if (chime && calls && AudioContextClass) {
    var audio = null;
    var latest = function () {
      var call = calls.querySelector(".spreekuur-call--latest");
      return call ? call.textContent.trim() : "";
    };
    var ding = function () {
      var start = audio.currentTime + 0.05;
      [[784, 0], [587, 0.4]].forEach(function (note) {
        var tone = audio.createOscillator();
        var volume = audio.createGain();
        tone.type = "sine";
        tone.frequency.value = note[0];
        volume.gain.setValueAtTime(0.0001, start + note[1]);
        volume.gain.exponentialRampToValueAtTime(0.35, start + note[1] + 0.03);
        volume.gain.exponentialRampToValueAtTime(0.0001, start + note[1] + 0.9);
        tone.connect(volume);
        volume.connect(audio.destination);
        tone.start(start + note[1]);
        tone.stop(start + note[1] + 1);
      });
      chime.setAttribute("data-rung", String(parseInt(chime.getAttribute("data-rung") || "0", 10) + 1));
    };
    var shown = latest();
    chime.hidden = false;
    chime.addEventListener("click", function () {
      var on = chime.getAttribute("aria-pressed") !== "true";
      chime.setAttribute("aria-pressed", on ? "true" : "false");
      if (on) {
        audio = audio || new AudioContextClass();
        audio.resume().then(ding);  // one tone now: the sound is on, and how it sounds
      }
    });
    calls.addEventListener("htmx:afterSwap", function () {
      var now = latest();
      if (now && now !== shown && audio && chime.getAttribute("aria-pressed") === "true") { ding(); }
      shown = now;
    });
  }
  // autofocus in swapped content is for the answer to one's own click only (htmx focuses
  // it once it settles). A preserved element keeps its attributes into the next poll,
  // which would pull the keyboard back every few seconds: the attribute goes once used.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (!target || !target.querySelectorAll) { return; }
    target.querySelectorAll("[autofocus]").forEach(function (element) {
      element.removeAttribute("autofocus");
    });
  });
  // Kiosk: after a check-in the screen returns to the start for the next patient.
  var done = document.querySelector("[data-return-after]");
  if (done) {
    window.setTimeout(function () {
      window.location.assign(done.getAttribute("data-return-to"));
    }, 1000 * parseInt(done.getAttribute("data-return-after"), 10));
  }
});
