/* walkapp: what happens to one outbox record — pure functions, no IndexedDB, no network.
 *
 * Each record (an operation on a spot: create, photo, patch, delete; a join that waited; a
 * questionnaire's answer, "answer") is in exactly one state:
 *
 *   waiting ──send──> sending ──2xx──────────────> sent (the record leaves the outbox)
 *      ^                 │──5xx, 408, 425, 429, ──> waiting_again (tried again after a backoff)
 *      │                 │  network error              │
 *      │                 │                             └──send──> sending
 *      │                 └──other 4xx──────────────> refused(code) (kept and shown, never dropped)
 *      └──edit── refused, waiting_again
 *
 * A record still "sending" when a flush starts was left by a page that died mid-request (flushes
 * hold a lock): it is sent again, which the server's idempotence on the UUID makes harmless.
 * outbox.js stores the records and calls these; tests/js/delivery.test.mjs tests them.
 */

export const WAITING = "waiting";
export const SENDING = "sending";
export const WAITING_AGAIN = "waiting_again";
export const REFUSED = "refused";
export const SENT = "sent";
export const STATES = [WAITING, SENDING, WAITING_AGAIN, REFUSED, SENT];

export const BACKOFF = { base: 2000, cap: 5 * 60 * 1000, jitter: 0.25 };

// The delay before attempt n + 1 after n failed attempts: base × 2^(n-1), ± jitter, never above
// the cap (nor below zero). random() in [0, 1).
export function backoff(attempts, options = {}, random = Math.random) {
  const { base, cap, jitter } = { ...BACKOFF, ...options };
  const raw = Math.min(cap, base * 2 ** Math.max(0, attempts - 1));
  const spread = raw * (1 - jitter + random() * 2 * jitter);
  return Math.round(Math.max(0, Math.min(cap, spread)));
}

// The state of a stored record, records written before states existed included.
export function stateOf(op) {
  if (op.state && STATES.includes(op.state)) return op.state;
  if (op.error) return REFUSED;
  return op.attempts > 0 ? WAITING_AGAIN : WAITING;
}

export function newRecord(type, spotId, now, extra) {
  return {
    type,
    spotId,
    state: WAITING,
    attempts: 0,
    nextTryAt: 0,
    maybeStored: false,
    error: null,
    createdAt: now,
    ...extra,
  };
}

// Whether a flush may send this record now (force: ignore the backoff).
export function due(op, now, force) {
  const state = stateOf(op);
  if (state === REFUSED || state === SENT) return false;
  if (state === SENDING) return true; // left by a page that died: its answer will never come
  return force || !(op.nextTryAt > now);
}

class TransitionError extends Error {}

function expect(op, allowed, event) {
  const state = stateOf(op);
  if (!allowed.includes(state)) throw new TransitionError(`${event} while ${state}`);
  return state;
}

// send: the request leaves the phone; from now on the server may hold what it carries.
export function send(op, now) {
  expect(op, [WAITING, WAITING_AGAIN, SENDING], "send");
  return { ...op, state: SENDING, attempts: (op.attempts || 0) + 1, maybeStored: true, lastTryAt: now };
}

// The answer to a request, judged by judge(): the record's next state.
export function answer(op, outcome, now, random = Math.random) {
  expect(op, [SENDING], "answer");
  if (outcome.kind === "done") return { ...op, state: SENT };
  if (outcome.kind === "retry") {
    return { ...op, state: WAITING_AGAIN, nextTryAt: now + backoff(op.attempts, undefined, random) };
  }
  // A refused request stored nothing (409 excepted: something is stored under that id).
  const maybeStored = outcome.status === 409 ? op.maybeStored : false;
  return { ...op, state: REFUSED, error: outcome.error, maybeStored };
}

// The participant changed the spot: what waited, or was refused, is sent again at once.
export function edited(op, changes) {
  expect(op, [WAITING, WAITING_AGAIN, REFUSED], "edit");
  return { ...op, ...changes, state: WAITING, error: null, nextTryAt: 0 };
}

const RETRY_STATUSES = [408, 425, 429];

// What an answer means: done, retry (temporary), or refused with a code the app words itself.
// body is the parsed JSON answer ({"errors": {field: sentence}, "codes": {field: code}}) or null;
// the decision reads the codes, never the sentences (they are in the server's language).
export function judge(status, body, opType, now) {
  if (status >= 200 && status < 300) return { kind: "done" };
  if (RETRY_STATUSES.includes(status) || status >= 500) return { kind: "retry", status };
  if (status === 404 && opType === "delete") return { kind: "done" }; // already gone
  const errors = (body && body.errors) || {};
  const codes = (body && body.codes) || {};
  const detail = Object.entries(errors)
    .map(([field, message]) => `${field}: ${message}`)
    .join("; ");
  let code = "invalid";
  if (status === 401) code = codes.auth === "erased" ? "erased" : "session";
  else if (status === 413) code = "too_big";
  else if (status === 404) code = "gone";
  else if (codes.walk) code = "closed";
  else if (status === 409) code = "conflict";
  return { kind: "refused", status, error: { code, status, detail, codes, at: now } };
}

// Only a 401 with the code `erased` (this participant's data was erased, from another phone
// with the erasure code) lets the phone forget its copy; any other 401 keeps what is unsent.
export function clearsLocalCopy(outcome) {
  return outcome.kind === "refused" && outcome.status === 401 && outcome.error.code === "erased";
}

// Whether the flush should stop after this outcome: the network or the server is down, or
// the token is refused (every other record would be refused the same way).
export function stopsFlush(outcome) {
  if (outcome.kind === "retry") return !!outcome.network || outcome.status >= 500;
  return outcome.kind === "refused" && outcome.status === 401;
}

// The words of a spot's one visible state (the list's data-state): waiting to be sent, sent,
// refused (with its reason), being deleted, or waiting for a position (a spot saved without one,
// spot.positionNeeded).
export const SHOWN = ["waiting", "sent", "refused", "deleting", "position_needed"];

// What the participant sees of each spot, from the spots and the records waiting: exactly one
// state per spot (SHOWN). A join that waited on the phone (type "join") is no spot: it is
// summarised apart, as `join` (null, or {state, error}); so are the questionnaire's answers
// (type "answer"): `answers` [{id, state, error}], `answersWaiting`, `answersRefused`.
export function summarise(spots, ops, now) {
  const bySpot = new Map();
  let nextTryAt = Infinity;
  let join = null;
  const answers = [];
  for (const op of ops) {
    const state = stateOf(op);
    if (op.type === "join") {
      join = { state, error: state === REFUSED ? op.error : null };
      if (state !== REFUSED) nextTryAt = Math.min(nextTryAt, op.nextTryAt || 0);
      continue;
    }
    if (op.type === "answer") {
      answers.push({ id: op.body && op.body.id, state, error: state === REFUSED ? op.error : null });
      if (state !== REFUSED) nextTryAt = Math.min(nextTryAt, op.nextTryAt || 0);
      continue;
    }
    const entry = bySpot.get(op.spotId) || { refused: null, sending: false, waiting: false, again: false, live: false };
    if (state === REFUSED) entry.refused = entry.refused || op.error;
    else {
      if (op.type !== "delete") entry.live = true;
      if (state === SENDING) entry.sending = true;
      else if (state === WAITING_AGAIN && op.nextTryAt > now) entry.again = true;
      else entry.waiting = true;
      nextTryAt = Math.min(nextTryAt, op.nextTryAt || 0);
    }
    bySpot.set(op.spotId, entry);
  }
  let waiting = 0;
  let problems = 0;
  const list = [...spots]
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((spot) => {
      const entry = bySpot.get(spot.id);
      let delivery = SENT;
      if (entry && entry.refused) delivery = REFUSED;
      else if (entry && entry.sending) delivery = SENDING;
      else if (entry && entry.again) delivery = WAITING_AGAIN;
      else if (entry && (entry.waiting || entry.live)) delivery = WAITING;
      let display = "sent";
      if (delivery === REFUSED) display = "refused";
      else if (spot.deleting) display = "deleting";
      else if (spot.positionNeeded) display = "position_needed";
      else if (entry && entry.live) display = "waiting";
      return { ...spot, delivery, state: display, problem: (entry && entry.refused) || null };
    });
  for (const entry of bySpot.values()) {
    if (entry.refused) problems += 1;
    else if (entry.live) waiting += 1;
  }
  const answersRefused = answers.filter((a) => a.state === REFUSED).length;
  return {
    spots: list,
    waiting,
    problems,
    nextTryAt,
    pending: ops.length,
    join,
    answers,
    answersWaiting: answers.length - answersRefused,
    answersRefused,
  };
}

// The number each spot shows ("Spot 3"): given once, at capture, the next after every number
// this walk's spots ever had — a deletion never renumbers the others. Spots saved before
// numbers existed (no n) count in their order.
export function nextNumber(spots, walkId) {
  let highest = 0;
  let unnumbered = 0;
  for (const spot of spots) {
    if (spot.walkId !== walkId) continue;
    if (Number.isInteger(spot.n)) highest = Math.max(highest, spot.n);
    else unnumbered += 1;
  }
  return Math.max(highest, unnumbered) + 1;
}

// The numbers shown, by spot id: its own n, else its rank among its walk's spots.
export function numbers(spots) {
  const out = new Map();
  const rank = new Map();
  for (const spot of [...spots].sort((a, b) => a.createdAt - b.createdAt)) {
    const r = (rank.get(spot.walkId) || 0) + 1;
    rank.set(spot.walkId, r);
    out.set(spot.id, Number.isInteger(spot.n) ? spot.n : r);
  }
  return out;
}
