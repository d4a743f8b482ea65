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

// The centre of the walk (perimeter, else first stop). Today's app still uses it where no fix
// is known yet (the tag screen's pin, and a spot tagged before any fix): issue 10 replaces that
// with choosePosition()'s "no position". Not a spot's position source.
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

// Watch the phone's position (only once asked: nothing runs at import).
// onFix({lat, lon, accuracy, at}), onError("denied" | "none").
export function watchPosition(onFix, onError) {
  const geo = globalThis.navigator && globalThis.navigator.geolocation;
  if (!geo) {
    onError("denied");
    return false;
  }
  geo.watchPosition(
    (p) => onFix({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy, at: Date.now() }),
    (error) => onError(error.code === 1 ? "denied" : "none"),
    { enableHighAccuracy: true, maximumAge: 10000, timeout: 60000 },
  );
  return true;
}
