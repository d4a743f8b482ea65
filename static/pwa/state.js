/* walkapp: what the participant app knows, shared by its screens — one object, one place.
 * Each screen keeps its own passing state (the spot being tagged, the spot being edited) in its
 * module; this holds what several need. Filled by app.js from the page's data; nothing at import.
 */

export const app = {
  data: null, // the page's #walkapp-data: start screen, catalogs, configuration, the walk
  config: null, // data.config: the server's values (API paths, limits, vocabularies)
  languages: [], // the catalogs' languages, the default first (the server's order)
  lang: null,
  taxonomy: null, // GET /api/v1/taxonomy, once loaded
  session: null, // the walk joined: {token, participantId, walk, trackConsent, joinedAt, localId}
  // (joined with no signal: token and participantId null, localId set until the join is answered)
  me: null, // the last GET /api/v1/me: {me: {status, ends_at, closed_at, late_sync_minutes, now}, answeredAt}
  erasureCode: null, // kept on the phone while it holds the session, shown again on demand
  position: null, // the latest GPS fix {lat, lon, accuracy, at}
  positionError: null, // "denied" | "none" | null
  maps: {}, // Leaflet maps by screen, made on first use
};

export function setup(data) {
  app.data = data;
  app.config = data.config;
  app.languages = Object.keys(data.strings);
}

// localStorage, forgiving: private mode still works, it only forgets these preferences.
// local(key) reads, local(key, null) forgets, local(key, value) keeps.
export function local(key, value) {
  try {
    if (value === undefined) return globalThis.localStorage.getItem(key);
    if (value === null) globalThis.localStorage.removeItem(key);
    else globalThis.localStorage.setItem(key, value);
  } catch (e) {
    /* private mode: the app still works, it only forgets these preferences */
  }
  return null;
}
