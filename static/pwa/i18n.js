/* walkapp: the participant app's sentences — pure functions over the catalogs the page carries
 * (both languages, so the switch works offline). */

// gettext's placeholders, as in every catalog: "%(n)s spots waiting to be sent".
export function translate(strings, lang, key, args) {
  const fallback = Object.keys(strings)[0];
  const text = (strings[lang] && strings[lang][key]) || (strings[fallback] && strings[fallback][key]) || key;
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (args && name in args ? String(args[name]) : whole));
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
