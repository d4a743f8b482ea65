/* walkapp: the night-mode toggle. The sun, the automatic choice and how long her choice lasts
 * are theme.js's (a classic script in <head>, run before the first paint, that also follows the
 * sun while the page is open), reached through globalThis.walkappTheme at call time; nothing
 * here runs at import. */

const NIGHT_COLOUR = "#121016";
const DAY_COLOUR = "#5b2a86";

// What to remember of her choice: nothing when it is what the automatic rule would pick anyway
// (so that the sun decides again), else the choice.
export function choiceToKeep(chosen, automatic) {
  return chosen === automatic ? null : chosen;
}

export function themeColour(night) {
  return night ? NIGHT_COLOUR : DAY_COLOUR;
}

function isNight() {
  return document.documentElement.getAttribute("data-theme") === "night";
}

export function renderTheme() {
  const night = isNight();
  document.getElementById("theme-toggle").setAttribute("aria-pressed", String(night));
  const meta = document.querySelector('meta[name="theme-color"]');
  if (meta) meta.content = themeColour(night);
}

// theme.js changes the theme at dusk and dawn (and when her choice ends): the toggle follows.
export function followTheme() {
  document.addEventListener("walkapp:theme", renderTheme);
}

// walk: the walk joined (its ends_at), or null. Her choice lasts until that walk's end.
export function toggleTheme(walk) {
  const theme = globalThis.walkappTheme;
  const chosen = isNight() ? "day" : "night";
  const now = Date.now();
  const walkEnd = walk && walk.ends_at ? Date.parse(walk.ends_at) : null;
  theme.choose(choiceToKeep(chosen, theme.automatic()), theme.choiceUntil(walkEnd, now));
  theme.apply(chosen);
  renderTheme();
}
