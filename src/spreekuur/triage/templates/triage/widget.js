/* Spreekuur self-triage for {{ title|escapejs }}: put this script where the widget belongs. */
(function () {
  "use strict";
  var here = document.currentScript;
  var frame = document.createElement("iframe");
  frame.src = "{{ src|escapejs }}";
  frame.title = "{{ title|escapejs }}: zelftriage";
  frame.loading = "lazy";
  frame.style.width = "100%";
  frame.style.maxWidth = "40rem";
  frame.style.minHeight = "32rem";
  frame.style.border = "0";
  frame.setAttribute("referrerpolicy", "no-referrer");
  here.parentNode.insertBefore(frame, here.nextSibling);
  var origin = new URL(frame.src).origin;
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.spreekuurWidget === "height" && data.height > 0 && data.height < 20000) {
      frame.style.height = data.height + "px";
      // A new page in the frame starts at its top: show that top if it is scrolled away.
      if (frame.getBoundingClientRect().top < 0) frame.scrollIntoView();
    }
  });
})();
