/* walkapp: where a spot is — pure functions, and the phone's position watcher.
 *
 * A spot's position always comes from someone (DESIGN: position_source): a pin she placed by
 * hand, the stop she chose, or a fresh GPS fix with its accuracy. Nothing known: no position
 * (the spot waits as "position to confirm") — never a default such as the walk's centre.
 */

export const PIN = "pin";
export const STOP = "stop";
export const GPS = "gps";
// A fix older than this is not "here" any more (she walked on while the phone lost the sky).
export const FIX_MAX_AGE_MS = 2 * 60 * 1000;

const round1 = (x) => Math.round(x * 10) / 10;

// The position of a spot and its source, or null when nothing says where she is.
// A choice made by hand wins over the GPS: a pin she placed, then the stop she chose.
// fix: {lat, lon, accuracy, at}; pin: {lat, lon}; stop: {id, lat, lon}.
export function choosePosition({ fix, pin, stop, now, maxAgeMs = FIX_MAX_AGE_MS } = {}) {
  if (pin && isPlace(pin)) return { lat: pin.lat, lon: pin.lon, accuracy_m: null, position_source: PIN };
  if (stop && isPlace(stop)) return { lat: stop.lat, lon: stop.lon, accuracy_m: null, position_source: STOP };
  if (fix && isPlace(fix) && isFresh(fix, now, maxAgeMs)) {
    const accuracy = Number.isFinite(fix.accuracy) ? round1(fix.accuracy) : null;
    return { lat: fix.lat, lon: fix.lon, accuracy_m: accuracy, position_source: GPS };
  }
  return null;
}

export function isFresh(fix, now, maxAgeMs = FIX_MAX_AGE_MS) {
  return Number.isFinite(fix.at) && Number.isFinite(now) && now - fix.at <= maxAgeMs;
}

function isPlace(p) {
  return Number.isFinite(p.lat) && Number.isFinite(p.lon) && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180;
}

// The accuracy in words (the catalog's key) and in whole metres.
export function accuracyWords(accuracy) {
  const m = Math.max(1, Math.round(accuracy));
  const key = m <= 15 ? "pos.precise" : m <= 50 ? "pos.fair" : m <= 150 ? "pos.rough" : "pos.poor";
  return { key, m };
}

// Distance in metres (equirectangular: exact enough within a walk).
export function metres(a, b) {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.sqrt(x * x + y * y) * 6371000;
}

export function nearestStop(here, stops) {
  if (!here) return null;
  return stops.reduce((best, stop) => (!best || metres(here, stop) < metres(here, best) ? stop : best), null);
}

// A route trace point is kept when she moved far enough or enough time went by.
export const TRACK_MIN_METRES = 15;
export const TRACK_MIN_MS = 60000;
export function tracePointDue(last, fix, now) {
  return !last || now - last.at >= TRACK_MIN_MS || metres(last, fix) >= TRACK_MIN_METRES;
}

// The centre of the walk (perimeter, else first stop): where theme.js computes the sun offline.
// Never a spot's position (a spot without one waits for the pin: choosePosition).
export function walkCentre(walk) {
  if (!walk) return null;
  const geometry = walk.perimeter;
  if (geometry && geometry.coordinates) {
    const ring = geometry.type === "MultiPolygon" ? geometry.coordinates[0][0] : geometry.coordinates[0];
    let lat = 0;
    let lon = 0;
    const points = ring.slice(0, -1);
    for (const [x, y] of points) {
      lon += x;
      lat += y;
    }
    return { lat: lat / points.length, lon: lon / points.length };
  }
  if (walk.stops && walk.stops.length) return { lat: walk.stops[0].lat, lon: walk.stops[0].lon };
  return null;
}

// A fix that arrives after she tagged a spot without one still says where that spot is while
// she is likely still standing there: within this long of the tap (later, she places it).
export const LATE_FIX_MS = 20 * 1000;
export function lateFixFits(fix, taggedAt, maxMs = LATE_FIX_MS) {
  return !!fix && Number.isFinite(fix.at) && Number.isFinite(taggedAt) && fix.at >= taggedAt && fix.at - taggedAt <= maxMs;
}

// How long the position is still watched once nothing needs it (the tag screen left, no route
// trace, no spot waiting for a fix): coming back within it finds a fresh fix at once.
export const IDLE_STOP_MS = 60 * 1000;

// The phone's position, watched only while something needs it and the app is visible (battery:
// GPS all evening drains a cheap phone). Reasons ("tag", "track", "pending"...) are set with
// need(reason, on); without any, the watch stops after idleMs; hidden, it stops at once and
// comes back when visible again if a reason still holds. Nothing runs at import; the
// geolocation and the timers are injected (tests/js/position.test.mjs).
// onFix({lat, lon, accuracy, at}), onError("denied" | "none").
export function createWatcher({
  onFix,
  onError,
  geolocation = globalThis.navigator && globalThis.navigator.geolocation,
  now = () => Date.now(),
  setTimer = (fn, ms) => setTimeout(fn, ms),
  clearTimer = (id) => clearTimeout(id),
  idleMs = IDLE_STOP_MS,
} = {}) {
  const reasons = new Set();
  let watchId = null;
  let visible = true;
  let idleTimer = null;

  function start() {
    if (watchId !== null || !visible) return;
    if (!geolocation) {
      onError("denied");
      return;
    }
    watchId = geolocation.watchPosition(
      (p) => onFix({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy, at: now() }),
      (error) => onError(error && error.code === 1 ? "denied" : "none"),
      { enableHighAccuracy: true, maximumAge: 10000, timeout: 60000 },
    );
  }

  function stop() {
    if (watchId === null) return;
    geolocation.clearWatch(watchId);
    watchId = null;
  }

  function cancelIdle() {
    if (idleTimer !== null) clearTimer(idleTimer);
    idleTimer = null;
  }

  function need(reason, on) {
    if (on) reasons.add(reason);
    else reasons.delete(reason);
    if (reasons.size) {
      cancelIdle();
      start();
    } else if (watchId !== null && idleTimer === null) {
      idleTimer = setTimer(() => {
        idleTimer = null;
        if (!reasons.size) stop();
      }, idleMs);
    }
  }

  function setVisible(isVisible) {
    visible = !!isVisible;
    if (!visible) {
      cancelIdle();
      stop();
    } else if (reasons.size) start();
  }

  // Ask again (location refused or not found, then "Try again"): a new watch, which asks for
  // the permission again if the phone lets it, or finds that it was turned back on.
  function retry() {
    stop();
    start();
    if (!reasons.size) need("retry", false); // nothing needs it: it stops after idleMs
  }

  return { need, setVisible, retry, watching: () => watchId !== null, needs: (reason) => reasons.has(reason) };
}
