/* Inside the self-triage widget's iframe: tell the embedding page how tall the content
   is, so the iframe grows with it (no scroll bar inside a scroll bar on a phone). */
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function report() {
    // The body's own height: the document's can never be less than the frame's, so a
    // shorter next page would keep the frame as tall as the longest one before.
    var style = window.getComputedStyle(document.body);
    var height = Math.ceil(document.body.getBoundingClientRect().height +
      parseFloat(style.marginTop) + parseFloat(style.marginBottom));
    if (height !== last) {
      last = height;
      window.parent.postMessage({ spreekuurWidget: "height", height: height }, "*");
    }
  }
  window.addEventListener("load", function () { report(); window.scrollTo(0, 0); });
  window.addEventListener("resize", report);
  document.addEventListener("toggle", report, true);
  if (window.ResizeObserver) new ResizeObserver(report).observe(document.body);
})();
