/* walkapp: small DOM helpers shared by the screens, and the sentences in the current language. */
import { translate, translatePieces } from "./i18n.js";
import { create as createMap } from "./map.js";
import { app } from "./state.js";

export const $ = (id) => document.getElementById(id);
export const all = (selector, root) => Array.from((root || document).querySelectorAll(selector));

export function t(key, args) {
  return translate(app.data.strings, app.lang, key, args);
}

// Show a sentence and remember its key, so that a language switch shows it again translated.
export function say(element, key, args) {
  delete element.dataset.tTyped;
  if (!key) {
    element.textContent = "";
    delete element.dataset.t;
    delete element.dataset.tArgs;
    return;
  }
  element.dataset.t = key;
  if (args) element.dataset.tArgs = JSON.stringify(args);
  else delete element.dataset.tArgs;
  element.textContent = t(key, args);
}

// Typed text (a stop's name) in a <bdi>: it keeps its own direction inside the sentence.
export function bdi(text) {
  const b = document.createElement("bdi");
  b.textContent = text;
  return b;
}

// A sentence as nodes, its `typed` arguments each in a <bdi>.
export function pieces(key, args, typed) {
  return translatePieces(app.data.strings, app.lang, key, args, typed).map((p) => (typeof p === "string" ? p : bdi(p.typed)));
}

// say() for a sentence with typed arguments (their names in `typed`).
export function sayIsolated(element, key, args, typed) {
  say(element, key, args);
  element.dataset.tTyped = typed.join(" ");
  element.replaceChildren(...pieces(key, args, typed));
}

// A remembered sentence shown again in the current language (a language switch).
export function relabel(element) {
  const args = element.dataset.tArgs ? JSON.parse(element.dataset.tArgs) : null;
  if (element.dataset.tTyped) element.replaceChildren(...pieces(element.dataset.t, args, element.dataset.tTyped.split(" ")));
  else element.textContent = t(element.dataset.t, args);
}

export function term(vocab, code) {
  const list = app.taxonomy && app.taxonomy[vocab];
  const found = list && list.find((item) => item.code === String(code));
  return found ? found : null;
}

export function vocabLabel(vocab, code) {
  const found = term(vocab, code);
  if (found) return found.label[app.lang];
  const rendered = document.querySelector(`[data-vocab="${vocab}:${code}"]`);
  return rendered ? rendered.textContent : String(code);
}

export function chosen(name, root) {
  const input = (root || document).querySelector(`input[name="${name}"]:checked`);
  return input ? input.value : null;
}

export function button(text, label, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = text;
  if (label) b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

// The ratings of a form's criteria (the nine codes come from the configuration), or null.
export function ratingsOf(prefix) {
  const ratings = {};
  for (const code of app.config.criteria) {
    const value = chosen(`${prefix}-${code}`);
    if (value !== null) ratings[code] = Number(value);
  }
  return Object.keys(ratings).length ? ratings : null;
}

export function setRatings(prefix, ratings) {
  for (const code of app.config.criteria) {
    for (const input of all(`input[name="${prefix}-${code}"]`)) {
      input.checked = !!ratings && ratings[code] !== undefined && String(ratings[code]) === input.value;
    }
  }
}

const thumbUrls = [];

export function showThumb(container, blob, alt) {
  const img = document.createElement("img");
  const url = URL.createObjectURL(blob);
  thumbUrls.push(url);
  img.src = url;
  img.alt = alt;
  img.width = 96;
  container.appendChild(img);
}

export function forgetThumbs() {
  while (thumbUrls.length) URL.revokeObjectURL(thumbUrls.pop());
}

// The map of a screen, made on first use; null when Leaflet cannot load (the spot still uses
// the GPS position).
export async function ensureMap(name, element) {
  if (app.maps[name]) {
    app.maps[name].refresh();
    return app.maps[name];
  }
  try {
    app.maps[name] = await createMap(element, {
      leaflet: app.config.leaflet,
      tiles: app.config.tiles,
      attribution: app.config.attribution,
      walk: app.session.walk,
    });
  } catch (e) {
    element.hidden = true; // no map (Leaflet missing): the spot still uses the GPS position
    return null;
  }
  return app.maps[name];
}
