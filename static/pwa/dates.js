/* walkapp: dates and times as the participant reads them, and as the API wants them. Pure. */

// One format everywhere: the page's language, no seconds — « 1 déc. 2026, 06:54 » in French,
// "Dec 1, 2026, 6:54 AM" in English. timeZone: the walk's (the project's), else the phone's.
// (The server writes the walk's times the same way before the app starts: participate.walk_times.)
export function formatDateTime(date, lang, timeZone) {
  return dateTimeFormat(lang, timeZone, { dateStyle: "medium", timeStyle: "short" }).format(toDate(date));
}

// The time of day of that format only ("06:54", "6:54 AM"): the end of a walk on its first day.
export function formatTime(date, lang, timeZone) {
  return dateTimeFormat(lang, timeZone, { timeStyle: "short" }).format(toDate(date));
}

// A walk's start and end: « 1 déc. 2026, 06:54 – 09:30 », the end's date written only when it
// is another day (in the walk's time zone).
export function formatWalkTimes(start, end, lang, timeZone) {
  const day = dateTimeFormat(lang, timeZone, { dateStyle: "medium" });
  const from = formatDateTime(start, lang, timeZone);
  const sameDay = day.format(toDate(start)) === day.format(toDate(end));
  return `${from} – ${sameDay ? formatTime(end, lang, timeZone) : formatDateTime(end, lang, timeZone)}`;
}

function toDate(value) {
  return value instanceof Date ? value : new Date(value);
}

function dateTimeFormat(lang, timeZone, options) {
  try {
    return new Intl.DateTimeFormat(lang, { ...options, timeZone: timeZone || undefined });
  } catch (e) {
    return new Intl.DateTimeFormat(lang, options); // an unknown time zone: the phone's own
  }
}

// ISO 8601 with the phone's own offset (kept beside recorded_at by the server), milliseconds
// included: "2026-12-01T06:54:12.345+01:00".
export function isoWithOffset(d) {
  const pad = (n, width) => String(Math.abs(n)).padStart(width || 2, "0");
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:` +
    `${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  );
}
