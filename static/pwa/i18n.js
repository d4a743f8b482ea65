/* walkapp: the participant app's sentences — pure functions over the catalogs the page carries
 * (both languages, so the switch works offline). */

const PLACEHOLDER = /%\((\w+)\)s/g;

function sentence(strings, lang, key) {
  const fallback = Object.keys(strings)[0];
  return (strings[lang] && strings[lang][key]) || (strings[fallback] && strings[fallback][key]) || key;
}

// gettext's placeholders, as in every catalog: "%(n)s spots waiting to be sent".
export function translate(strings, lang, key, args) {
  return sentence(strings, lang, key).replace(PLACEHOLDER, (whole, name) => (args && name in args ? String(args[name]) : whole));
}

// The same sentence in pieces, each typed argument (named in `typed`: a stop's name...) a piece
// of its own, { typed: "..." }, for the page to isolate in a <bdi>: its own direction, and a
// right-to-left override (U+202E) in it cannot turn the rest of the sentence around.
export function translatePieces(strings, lang, key, args, typed) {
  const pieces = [];
  let text = "";
  let last = 0;
  const template = sentence(strings, lang, key);
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1];
    text += template.slice(last, match.index);
    last = match.index + match[0].length;
    if (!args || !(name in args)) text += match[0];
    else if ((typed || []).includes(name)) {
      if (text) pieces.push(text);
      pieces.push({ typed: String(args[name]) });
      text = "";
    } else text += String(args[name]);
  }
  text += template.slice(last);
  if (text) pieces.push(text);
  return pieces;
}

// Typed text in plain text (a window's title): between FSI and PDI.
export function isolate(text) {
  return text ? `\u2068${text}\u2069` : "";
}

// The language to show: the one she chose, else the cookie's, else the phone's, else the page's.
export function pickLanguage({ languages, stored, cookie, preferred, pageLang }) {
  if (languages.includes(stored)) return stored;
  const match = /(?:^|; )lang=([a-z]{2,3})/.exec(cookie || "");
  if (match && languages.includes(match[1])) return match[1];
  for (const tag of preferred || []) {
    const code = String(tag).slice(0, 2).toLowerCase();
    if (languages.includes(code)) return code;
  }
  return pageLang || languages[0];
}

export function nextLanguage(languages, lang) {
  return languages[(languages.indexOf(lang) + 1) % languages.length];
}
