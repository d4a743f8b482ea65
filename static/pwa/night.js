/* walkapp: the night-mode toggle. The sun and the automatic choice are theme.js's (a classic
 * script in <head>, run before the first paint), reached through globalThis.walkappTheme at call
 * time; nothing here runs at import. */

const NIGHT_COLOUR = "#121016";
const DAY_COLOUR = "#5b2a86";

// What to remember of her choice: nothing when it is what the automatic rule would pick anyway
// (so that the sun decides again tomorrow), else the choice.
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

// remember(key, value): the app's localStorage helper (null forgets).
export function toggleTheme(remember) {
  const theme = globalThis.walkappTheme;
  const chosen = isNight() ? "day" : "night";
  remember("walkapp.theme", choiceToKeep(chosen, theme.automatic()));
  theme.apply(chosen);
  renderTheme();
}
