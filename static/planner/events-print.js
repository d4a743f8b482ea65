/* The QR sheet's "Print" button (no inline script: the CSP allows scripts from files only). */
(function () {
  "use strict";
  const button = document.getElementById("print-sheet");
  if (button) button.addEventListener("click", () => window.print());
})();
