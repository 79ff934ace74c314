// Quick exit: go to a neutral site and replace this page in the tab's history, so Back does not return here.
// Without script the link still leaves at once; only the history entry stays.
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.quick-exit") : null;
  if (!link) { return; }
  event.preventDefault();
  window.location.replace(link.href);
});
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape") {
    var link = document.querySelector("a.quick-exit");
    if (link) { window.location.replace(link.href); }
  }
});
// The Esc key works only where this script runs: only then do the pages say so.
(function () {
  var hints = document.querySelectorAll("[data-esc-hint]");
  for (var i = 0; i < hints.length; i++) { hints[i].hidden = false; }
  var link = document.querySelector("a.quick-exit[data-esc-title]");
  if (link) { link.title = link.getAttribute("data-esc-title"); }
})();
