// sohoa pages: highlight a field's box on the page image while its input has focus, keyboard shortcuts for the
// review form, and the copy button of share links. Everything works without it, only less conveniently.
(function () {
  "use strict";
  function boxesFor(name) { return document.querySelectorAll('.box[data-field="' + CSS.escape(name) + '"]'); }
  function show(name, on) {
    boxesFor(name).forEach(function (box, i) {
      box.classList.toggle("active", on);
      if (on && i === 0) { box.scrollIntoView({ block: "center", inline: "nearest" }); }
    });
  }
  document.addEventListener("focusin", function (e) {
    var name = e.target && e.target.dataset && e.target.dataset.field;
    if (name) { show(name, true); }
  });
  document.addEventListener("focusout", function (e) {
    var name = e.target && e.target.dataset && e.target.dataset.field;
    if (name) { show(name, false); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      var next = document.getElementById("save-next");
      if (next && next.form && next.form.contains(document.activeElement)) { e.preventDefault(); next.click(); }
    }
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button.copy");
    if (!button) { return; }
    var input = document.getElementById(button.dataset.copy);
    if (!input) { return; }
    input.select();
    var done = function () { button.textContent = button.dataset.done; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else { document.execCommand("copy"); done(); }
  });
})();
