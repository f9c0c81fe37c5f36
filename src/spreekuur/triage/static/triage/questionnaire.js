// Questionnaires: a question with a condition ("show if") is shown only when an earlier
// choice has one of its options checked; without this script every question shows, with
// its condition in words. The server stores only what the answers make visible.
(function () {
  "use strict";
  function update(form) {
    var blocks = form.querySelectorAll("[data-show-if-item]");
    blocks.forEach(function (block) {
      var item = block.getAttribute("data-show-if-item");
      var answers = block.getAttribute("data-show-if-answers").split(",");
      var source = document.getElementById("vraag-" + item + "-blok");
      var sourceShown = source && !source.hidden;
      var met = sourceShown && answers.some(function (n) {
        var input = document.getElementById("vraag-" + item + "-" + n);
        return input && input.checked;
      });
      block.hidden = !met;
    });
  }
  function start() {
    document.querySelectorAll("form[data-questionnaire]").forEach(function (form) {
      update(form);
      form.addEventListener("change", function () { update(form); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
