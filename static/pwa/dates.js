/* walkapp: dates and times as the participant reads them, and as the API wants them. Pure. */

// One format everywhere: the page's language, no seconds — « 1 déc. 2026, 06:54 » in French,
// "Dec 1, 2026, 6:54 AM" in English. timeZone: the walk's (the project's), else the phone's.
export function formatDateTime(date, lang, timeZone) {
  return dateTimeFormat(lang, timeZone, { dateStyle: "medium", timeStyle: "short" }).format(toDate(date));
}

// The time of day only ("06:54"), as the list of my spots shows it today.
export function formatTime(date, lang, timeZone) {
  return dateTimeFormat(lang, timeZone, { hour: "2-digit", minute: "2-digit" }).format(toDate(date));
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
