/* walkapp: is the walk still open? The decision from GET /api/v1/me's answer
 * {status, ends_at, closed_at, late_sync_minutes, now} — pure, the clocks are given.
 *
 * open:          the server says open, and nothing says it ended since.
 * closed:        the server says closed: what was recorded in time (before closed_at plus the
 *                late-sync grace) is still sent, nothing recorded later.
 * probably_over: no fresh answer (offline) and, by the server's clock as last seen, ends_at plus
 *                the grace has passed: spots are kept, « sera envoyé si la marche est encore
 *                ouverte ».
 * unknown:       never heard from the server.
 */

export const OPEN = "open";
export const CLOSED = "closed";
export const PROBABLY_OVER = "probably_over";
export const UNKNOWN = "unknown";

const MINUTE = 60 * 1000;

function instant(value) {
  if (value === null || value === undefined || value === "") return null;
  const ms = typeof value === "number" ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

// The server's time now, from its `now` at answeredAt (the phone's clock when the answer came):
// a phone whose clock is wrong still decides by the server's.
export function serverNow(me, answeredAt, deviceNow) {
  const said = instant(me && me.now);
  return said === null || !Number.isFinite(answeredAt) ? deviceNow : said + (deviceNow - answeredAt);
}

// me: the last answer of GET /api/v1/me (or null); answeredAt: the phone's clock when it came;
// fresh: whether that answer is the current one (online, just asked).
export function walkState(me, { answeredAt, deviceNow, fresh }) {
  if (!me || !me.status) return UNKNOWN;
  if (me.status === "closed" || instant(me.closed_at) !== null) return CLOSED;
  if (me.status !== "open") return me.status;
  if (fresh) return OPEN;
  const ends = instant(me.ends_at);
  if (ends === null) return OPEN;
  const grace = (Number(me.late_sync_minutes) || 0) * MINUTE;
  return serverNow(me, answeredAt, deviceNow) > ends + grace ? PROBABLY_OVER : OPEN;
}

// Whether a spot recorded at recordedAt is still accepted by this walk (closed or not).
export function recordedInTime(recordedAt, me) {
  const closed = instant(me && me.closed_at);
  if (closed === null) return true;
  const at = instant(recordedAt);
  const grace = (Number(me.late_sync_minutes) || 0) * MINUTE;
  return at !== null && at <= closed + grace;
}
