/* A "back to the form" link ([data-go-back]) that goes back in the browser's history, where the
 * form is still filled in as it was typed; its href (the empty form) is the way without script. */
(function () {
  "use strict";
  for (const link of document.querySelectorAll("a[data-go-back]")) {
    link.addEventListener("click", (event) => {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  }
})();
