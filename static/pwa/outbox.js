/* walkapp outbox: nothing a participant saves is ever lost.
 *
 * A spot goes to IndexedDB first, keyed by a UUID made once, at capture; its photos go there as
 * Blobs. Then "operations" (create, photo, patch, delete) are sent in order, each an explicit
 * state machine (delivery.js): it leaves the outbox only after a 2xx; a 4xx that retrying cannot
 * fix stays, marked, and is shown to the participant (never dropped silently); 5xx, 408, 429 and
 * network errors are retried with exponential backoff. The server is idempotent on the UUID, so
 * a lost answer is harmless. A questionnaire's answer ("answer", POST /answers, idempotent on
 * its uuid too) goes the same way, after the join it may wait for.
 *
 * An ES module shared by the page and the service worker (a module worker), which flushes it
 * through Background Sync where the browser has it. Both call configure() first, with the
 * server's values (the API's path, the Background Sync tag, the trace batch limit): the page
 * from its configuration, the worker from its template. Nothing runs at import.
 */
import {
  answer,
  clearsLocalCopy,
  due,
  edited,
  judge,
  newRecord,
  nextNumber,
  REFUSED,
  send as sending,
  SENT,
  stateOf,
  stopsFlush,
  summarise,
} from "./delivery.js";
import { keepSurvey } from "./questionnaire.js";

const DB_NAME = "walkapp";
const DB_VERSION = 1;
const TIMEOUT = 30000;
const PHOTO_TIMEOUT = 120000; // a photo on a slow network

const settings = { api: null, syncTag: null, trackBatch: null };

// options: {api, sync_tag, track_batch} as the server gives them (shell_config()["outbox"]).
export function configure(options) {
  settings.api = options.api;
  settings.syncTag = options.sync_tag;
  settings.trackBatch = options.track_batch;
}

function api(path) {
  if (!settings.api) throw new Error("outbox: configure() was not called");
  return settings.api + path;
}

const root = globalThis;

// --- IndexedDB ------------------------------------------------------------------------------

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore("kv");
        db.createObjectStore("spots", { keyPath: "id" });
        const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        outbox.createIndex("spotId", "spotId");
        db.createObjectStore("track", { keyPath: "t" });
      };
      req.onsuccess = () => {
        const db = req.result;
        db.onversionchange = () => {
          db.close();
          dbPromise = null;
        };
        resolve(db);
      };
      req.onerror = () => {
        dbPromise = null;
        reject(req.error);
      };
    });
  }
  return dbPromise;
}

function done(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

// Run body(stores) in one transaction; resolves with its value once the transaction commits.
export async function tx(names, mode, body) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(names, mode);
    const stores = {};
    for (const name of names) stores[name] = t.objectStore(name);
    let result;
    Promise.resolve()
      .then(() => body(stores))
      .then(
        (value) => {
          result = value;
        },
        (err) => {
          try {
            t.abort();
          } catch (e) {
            /* already finished */
          }
          reject(err);
        },
      );
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("transaction aborted"));
  });
}

// --- Change notifications (this page, other tabs, the service worker) ----------------------

const listeners = new Set();
let channel; // made on first use, not at import

function broadcast() {
  if (channel === undefined) channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("walkapp") : null;
  return channel;
}

function changed() {
  for (const listener of listeners) listener();
  if (broadcast()) channel.postMessage("outbox-changed");
}

export function onChange(listener) {
  listeners.add(listener);
  if (broadcast() && listeners.size === 1) channel.onmessage = () => listeners.forEach((l) => l());
}

// --- Small helpers --------------------------------------------------------------------------

export function uuid() {
  if (root.crypto && typeof root.crypto.randomUUID === "function") return root.crypto.randomUUID();
  const b = root.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// A spot body for POST: optional fields left out when empty.
export function clean(body) {
  const out = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined || value === "") continue;
    if (key === "ratings" && Object.keys(value).length === 0) continue;
    out[key] = value;
  }
  return out;
}

// --- Session and settings -------------------------------------------------------------------

export const kvGet = (key) => tx(["kv"], "readonly", (s) => done(s.kv.get(key)));
export const kvSet = (key, value) => tx(["kv"], "readwrite", (s) => void s.kv.put(value, key));
export const kvDelete = (key) => tx(["kv"], "readwrite", (s) => void s.kv.delete(key));
export const getSession = () => kvGet("session");
export const saveSession = (session) => kvSet("session", session);
// Change the stored session in one transaction: the worker may be writing it (a join answered).
export const updateSession = (change) =>
  tx(["kv"], "readwrite", async (s) => {
    const session = await done(s.kv.get("session"));
    if (session) s.kv.put(change(session), "session");
  });

export function clearLocal() {
  const names = ["kv", "spots", "outbox", "track"];
  return tx(names, "readwrite", (s) => names.forEach((n) => s[n].clear())).then(changed);
}

// --- Capture and edits ----------------------------------------------------------------------

export async function capture(body) {
  const session = await getSession();
  // Each entry keeps the token it was made with: joining another walk later loses nothing. A
  // walk joined with no signal has no token yet: its entries carry the join's local id (joinId)
  // and get the token when the join is answered.
  const spot = {
    id: body.id,
    walkId: session.walk.id,
    token: session.token || null,
    joinId: session.token ? null : session.localId || null,
    body: clean(body),
    createdAt: Date.now(),
    photos: [],
  };
  await tx(["spots", "outbox", "kv"], "readwrite", async (s) => {
    const key = `spotNumber:${spot.walkId}`;
    const spots = await done(s.spots.getAll());
    const highest = (await done(s.kv.get(key))) || 0;
    spot.n = Math.max(nextNumber(spots, spot.walkId), highest + 1);
    s.kv.put(spot.n, key); // the highest number given: a deleted spot's is never given again
    s.spots.put(spot);
    s.outbox.add(newRecord("create", spot.id, Date.now(), { body: spot.body, token: spot.token, joinId: spot.joinId }));
  });
  changed();
  return spot;
}

// A join made with no signal at the meeting point: its request (consent, its time, the profile)
// waits in the outbox ahead of the spots, and the session meanwhile has a local id and no token.
// session: the page's session ({walk, trackConsent, joinedAt, localId}); request: the join's
// body (consent_at included); code: the walk's join code.
export async function queueJoin(session, code, request) {
  await tx(["kv", "outbox"], "readwrite", (s) => {
    s.kv.put(session, "session");
    s.outbox.add(newRecord("join", `join:${session.localId}`, Date.now(), { code, body: request, joinId: session.localId }));
  });
  changed();
}

// A questionnaire's answer, once she finished: POST /answers's body (its uuid made once, at the
// end), in the outbox like a spot, with the token it was made with (or the waiting join's local
// id). kv: {key: value} written in the same transaction (the draft marked as done), so that the
// answer is queued exactly once however the page dies.
export async function queueAnswer(body, kv) {
  const session = await getSession();
  if (!session) throw new Error("no session");
  await tx(["kv", "outbox"], "readwrite", (s) => {
    for (const [key, value] of Object.entries(kv || {})) s.kv.put(value, key);
    s.outbox.add(
      newRecord("answer", `answer:${body.id}`, Date.now(), {
        body,
        token: session.token || null,
        joinId: session.token ? null : session.localId || null,
      }),
    );
  });
  changed();
}

export async function addPhoto(spotId, blob, thumb) {
  const photoId = uuid();
  await tx(["spots", "outbox"], "readwrite", async (s) => {
    const spot = await done(s.spots.get(spotId));
    if (!spot) throw new Error("no such spot");
    spot.photos.push({ id: photoId, thumb, sent: false });
    s.spots.put(spot);
    s.outbox.add(newRecord("photo", spotId, Date.now(), { photoId, blob, token: spot.token, joinId: spot.joinId || null }));
  });
  changed();
  return photoId;
}

// An operation the server never saw, and that no request is carrying now, may be rewritten.
const unsent = (op) => !op.maybeStored && stateOf(op) !== "sending";

// changes: the fields to change; null clears an optional field.
export async function edit(spotId, changes) {
  await tx(["spots", "outbox"], "readwrite", async (s) => {
    const spot = await done(s.spots.get(spotId));
    if (!spot) throw new Error("no such spot");
    spot.body = clean({ ...spot.body, ...changes });
    s.spots.put(spot);
    const ops = await done(s.outbox.index("spotId").getAll(spotId));
    const create = ops.find((o) => o.type === "create");
    if (create && unsent(create)) {
      // The server never saw it: send the new content instead (no PATCH needed).
      s.outbox.put(edited(create, { body: spot.body }));
      return;
    }
    const patch = ops.find((o) => o.type === "patch" && unsent(o));
    if (patch) {
      s.outbox.put(edited(patch, { body: { ...patch.body, ...changes } }));
    } else {
      s.outbox.add(newRecord("patch", spotId, Date.now(), { body: { ...changes }, token: spot.token, joinId: spot.joinId || null }));
    }
  });
  changed();
}

export async function remove(spotId) {
  await tx(["spots", "outbox"], "readwrite", async (s) => {
    const spot = await done(s.spots.get(spotId));
    const ops = await done(s.outbox.index("spotId").getAll(spotId));
    const create = ops.find((o) => o.type === "create");
    for (const op of ops) s.outbox.delete(op.seq);
    if (create && !create.maybeStored) {
      s.spots.delete(spotId); // never reached the server
      return;
    }
    if (spot) s.spots.put({ ...spot, deleting: true });
    s.outbox.add(newRecord("delete", spotId, Date.now(), { token: spot && spot.token, joinId: (spot && spot.joinId) || null }));
  });
  changed();
}

// The participant chose to give up an entry the server refused (shown to her first).
export async function dismiss(spotId) {
  await tx(["spots", "outbox"], "readwrite", async (s) => {
    const ops = await done(s.outbox.index("spotId").getAll(spotId));
    const refused = ops.filter((o) => stateOf(o) === REFUSED);
    for (const op of refused) s.outbox.delete(op.seq);
    if (refused.some((o) => o.type === "create" || o.type === "delete")) s.spots.delete(spotId);
  });
  changed();
}

export function addTrackPoint(point) {
  return tx(["track"], "readwrite", (s) => void s.track.put(point));
}

// --- State shown to the participant ---------------------------------------------------------

export async function state() {
  const [spots, ops] = await tx(["spots", "outbox"], "readonly", (s) =>
    Promise.all([done(s.spots.getAll()), done(s.outbox.getAll())]),
  );
  return summarise(spots, ops, Date.now());
}

// --- Sending --------------------------------------------------------------------------------

async function call(method, path, token, body, timeout) {
  const controller = typeof AbortController === "function" ? new AbortController() : null;
  const timer = controller ? setTimeout(() => controller.abort(), timeout || TIMEOUT) : null;
  const headers = { Authorization: `Bearer ${token}` };
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  try {
    return await fetch(api(path), {
      method,
      headers,
      body: payload,
      cache: "no-store",
      signal: controller ? controller.signal : undefined,
    });
  } finally {
    if (timer) clearTimeout(timer);
  }
}

async function unauthenticated(method, path, body) {
  const controller = typeof AbortController === "function" ? new AbortController() : null;
  const timer = controller ? setTimeout(() => controller.abort(), TIMEOUT) : null;
  try {
    return await fetch(api(path), {
      method,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
      signal: controller ? controller.signal : undefined,
    });
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function request(op, token) {
  const path = `/observations/${op.spotId}`;
  switch (op.type) {
    case "join":
      return unauthenticated("POST", `/walks/${encodeURIComponent(op.code)}/participants`, op.body);
    case "create":
      return call("POST", "/observations", token, op.body);
    case "answer":
      return call("POST", "/answers", token, op.body);
    case "patch":
      return call("PATCH", path, token, op.body);
    case "delete":
      return call("DELETE", path, token);
    case "photo": {
      const form = new FormData();
      form.append("photo", op.blob, "photo.jpg");
      return call("POST", `${path}/photos`, token, form, PHOTO_TIMEOUT);
    }
    default:
      throw new Error(`unknown operation ${op.type}`);
  }
}

// The API's error shape: {"errors": {field: sentence}, "codes": {field: code}}; null otherwise.
async function bodyOf(response, op) {
  if (response.status >= 200 && response.status < 300 && op.type !== "join") return null;
  try {
    return await response.json();
  } catch (e) {
    return null;
  }
}

// Mark an operation as being sent: from now on the server may hold it.
function begin(seq) {
  return tx(["outbox"], "readwrite", async (s) => {
    const op = await done(s.outbox.get(seq));
    if (!op || stateOf(op) === REFUSED) return null;
    const next = sending(op, Date.now());
    s.outbox.put(next);
    return next;
  });
}

// The join that waited is answered: the session gets its token, participant and walk, the
// erasure code is kept to be shown, and every entry made meanwhile gets the token.
async function joined(s, op, answer) {
  const session = await done(s.kv.get("session"));
  if (session && session.localId === op.joinId) {
    s.kv.put(
      {
        ...session,
        token: answer.token,
        participantId: answer.participant_id,
        walk: { ...keepSurvey(session.walk, answer.walk), code: op.code },
        localId: null,
      },
      "session",
    );
  }
  s.kv.put(answer.erasure_code, "erasureCode");
  s.kv.put(false, "erasureSeen");
  for (const spot of await done(s.spots.getAll())) {
    if (spot.joinId === op.joinId) s.spots.put({ ...spot, token: answer.token, joinId: null, walkId: answer.walk.id });
  }
  for (const other of await done(s.outbox.getAll())) {
    if (other.joinId === op.joinId && other.seq !== op.seq) s.outbox.put({ ...other, token: answer.token, joinId: null });
  }
}

function settle(op, outcome) {
  return tx(["spots", "outbox", "kv"], "readwrite", async (s) => {
    const current = await done(s.outbox.get(op.seq));
    if (!current) return; // deleted meanwhile by the participant
    const next = answer(stateOf(current) === "sending" ? current : { ...current, state: "sending" }, outcome, Date.now());
    if (next.state !== SENT) {
      s.outbox.put(next);
      return;
    }
    s.outbox.delete(op.seq);
    if (op.type === "join") {
      await joined(s, op, outcome.joined);
      return;
    }
    const spot = await done(s.spots.get(op.spotId));
    if (op.type === "delete") s.spots.delete(op.spotId);
    else if (spot && op.type === "photo") {
      for (const photo of spot.photos) if (photo.id === op.photoId) photo.sent = true;
      s.spots.put(spot);
    }
  });
}

async function flushTrack(session) {
  if (!session.trackConsent) return "done";
  const points = await tx(["track"], "readonly", (s) => done(s.track.getAll(null, settings.trackBatch)));
  if (!points.length) return "done";
  let response;
  try {
    response = await call("POST", "/me/track", session.token, { points });
  } catch (e) {
    return "network";
  }
  if (response.status >= 500 || response.status === 429) return "retry";
  await tx(["track", "kv"], "readwrite", (s) => {
    for (const p of points) s.track.delete(p.t);
    if (!response.ok) s.kv.put(true, "trackProblem"); // shown in "My spots"
  });
  return "done";
}

async function flushOnce(force) {
  const session = await getSession();
  if (!session) return { offline: false, retry: false, erased: false };
  // Surely offline: send nothing, so that what waits is known never to have left the phone
  // (an edit then changes the waiting spot itself, rather than queueing a PATCH).
  if (root.navigator && root.navigator.onLine === false) return { offline: true, retry: true, erased: false };
  const ops = await tx(["outbox"], "readonly", (s) => done(s.outbox.getAll()));
  // No token and no join waiting to get one: nothing can be sent.
  if (!session.token && !ops.some((op) => op.type === "join")) return { offline: false, retry: false, erased: false };
  const blocked = new Set(); // a spot whose earlier operation is not through yet
  const waitingJoins = new Set(); // a join not answered yet: its entries have no token
  const now = Date.now();
  let offline = false;
  let retry = false;
  let erased = false;
  for (const op of ops) {
    if (op.joinId && op.type !== "join" && waitingJoins.has(op.joinId)) continue;
    if (stateOf(op) === REFUSED || blocked.has(op.spotId)) {
      blocked.add(op.spotId);
      if (op.type === "join") waitingJoins.add(op.joinId);
      continue;
    }
    if (!due(op, now, force)) {
      blocked.add(op.spotId);
      if (op.type === "join") waitingJoins.add(op.joinId);
      retry = true;
      continue;
    }
    const fresh = await begin(op.seq);
    if (!fresh) continue;
    const token = fresh.token || (fresh.joinId ? null : session.token);
    if (!token && fresh.type !== "join") {
      // Made under a join that is no longer waiting (given up): it can never be sent.
      await settle(fresh, judge(401, null, fresh.type, Date.now()));
      blocked.add(op.spotId);
      continue;
    }
    let outcome;
    try {
      const response = await request(fresh, token);
      const body = await bodyOf(response, fresh);
      outcome = judge(response.status, body, fresh.type, Date.now());
      if (fresh.type === "join" && outcome.kind === "done") outcome.joined = body;
    } catch (e) {
      outcome = { kind: "retry", network: true };
    }
    await settle(fresh, outcome);
    changed();
    if (outcome.kind === "done") continue;
    blocked.add(op.spotId);
    if (fresh.type === "join") waitingJoins.add(fresh.joinId);
    if (outcome.kind === "retry") retry = true;
    // Erased from another phone with the erasure code: this token's copy goes (its spots are
    // on the server no more); any other refusal keeps everything.
    if (clearsLocalCopy(outcome)) {
      erased = true;
      await forgetToken(token);
    }
    if (stopsFlush(outcome)) {
      offline = !!outcome.network;
      break; // the network or the server is down, or the token is refused: try again later
    }
  }
  const now2 = await getSession();
  if (!offline && now2 && now2.token) {
    const track = await flushTrack(now2);
    if (track !== "done") retry = true;
    if (track === "network") offline = true;
  }
  return { offline, retry, erased };
}

function locked(fn) {
  const locks = root.navigator && root.navigator.locks;
  return locks ? locks.request("walkapp-outbox", fn) : fn();
}

// Send what is waiting. force: ignore the backoff delays (the network is back, or she asked).
let running = null;
let again = null; // null, or the force of a flush asked for while one was running
export function flush(options) {
  const force = !!(options && options.force);
  if (running) {
    again = again || force;
    return running;
  }
  running = (async () => {
    let result;
    let forced = force;
    do {
      again = null;
      result = await locked(() => flushOnce(forced));
      forced = !!again;
    } while (again !== null && !result.offline);
    const summary = await state();
    changed();
    return { ...summary, ...result, retry: result.retry || summary.waiting > 0 || summary.answersWaiting > 0 };
  })().finally(() => {
    running = null;
  });
  return running;
}

// Ask the browser to send later even if the app is closed (Background Sync, where it exists).
export async function registerSync() {
  try {
    const reg = await root.navigator.serviceWorker.ready;
    if (reg.sync) await reg.sync.register(settings.syncTag);
  } catch (e) {
    /* no Background Sync here (Safari, Firefox): the page sends on its own */
  }
}

// --- Erasure --------------------------------------------------------------------------------

// Forget what this phone holds under a token the server says was erased (401 `erased`): its
// spots, their records, the session and erasure code if they are that token's. Another walk's
// spots, under their own token, stay.
export async function forgetToken(token) {
  if (!token) return;
  await tx(["kv", "spots", "outbox", "track"], "readwrite", async (s) => {
    for (const spot of await done(s.spots.getAll())) if (spot.token === token) s.spots.delete(spot.id);
    for (const op of await done(s.outbox.getAll())) if (op.token === token) s.outbox.delete(op.seq);
    const session = await done(s.kv.get("session"));
    if (session && session.token === token) {
      for (const key of ["session", "erasureCode", "erasureSeen", "trackProblem", "me", "survey"]) s.kv.delete(key);
      s.track.clear();
    }
  });
  changed();
}

// GET /me: the walk's state as the server sees it. {status, body} (body null unless JSON), or
// null without network.
export async function fetchMe(token) {
  let response;
  try {
    response = await call("GET", "/me", token);
  } catch (e) {
    return null;
  }
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    /* not JSON: a proxy's page */
  }
  return { status: response.status, body };
}

// DELETE /me for this walk and for any earlier walk whose spots are still on the phone.
export async function eraseEverything() {
  const session = await getSession();
  const spots = await tx(["spots"], "readonly", (s) => done(s.spots.getAll()));
  const tokens = new Set(spots.map((spot) => spot.token).filter(Boolean));
  if (session && session.token) tokens.add(session.token);
  for (const token of tokens) {
    const response = await call("DELETE", "/me", token);
    // She asked to erase: a token the server no longer knows has nothing left to erase there.
    if (!(response.ok || response.status === 401)) throw new Error(`erase failed: ${response.status}`);
  }
  await clearLocal();
}

export async function eraseWithCode(code) {
  const response = await fetch(api("/erasure"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ erasure_code: code }),
  });
  return response.status;
}
