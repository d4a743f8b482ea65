/* The gallery's photo viewer: the arrow keys follow the previous / next links (and Escape the
 * way back), unless a field, a link's modifier or another widget has the keys. The links work
 * without this script. */
(function () {
  "use strict";

  const links = {};
  for (const a of document.querySelectorAll(".photo-pager a[data-key]")) links[a.dataset.key] = a;

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    const target = event.target;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    const link = links[event.key];
    if (!link) return;
    event.preventDefault();
    window.location.assign(link.href);
  });
})();
