/* walkapp outbox: nothing a participant saves is ever lost.
 *
 * A spot goes to IndexedDB first, keyed by a UUID made once, at capture; its photos go there as
 * Blobs. Then "operations" (create, photo, patch, delete) are sent in order. An operation leaves
 * the outbox only after a 2xx. A 4xx that retrying cannot fix stays, marked, and is shown to the
 * participant (never dropped silently); 5xx, 408, 429 and network errors are retried with
 * exponential backoff. The server is idempotent on the UUID, so a lost answer is harmless.
 *
 * Shared by the page (a classic script) and the service worker (importScripts), which flushes it
 * through Background Sync where the browser has it.
 */
(function (root) {
  "use strict";

  const DB_NAME = "walkapp";
  const DB_VERSION = 1;
  const API = "/api/v1";
  const SYNC_TAG = "walkapp-outbox";
  const BASE_DELAY = 2000; // first retry after about 2 s, then 4, 8, ... up to 5 minutes
  const MAX_DELAY = 5 * 60 * 1000;
  const TIMEOUT = 30000;
  const PHOTO_TIMEOUT = 120000; // a photo on a slow network
  const TRACK_BATCH = 500;

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
  async function tx(names, mode, body) {
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
  const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("walkapp") : null;

  function changed() {
    for (const listener of listeners) listener();
    if (channel) channel.postMessage("outbox-changed");
  }

  function onChange(listener) {
    listeners.add(listener);
    if (channel && listeners.size === 1) channel.onmessage = () => listeners.forEach((l) => l());
  }

  // --- Small helpers --------------------------------------------------------------------------

  function uuid() {
    if (root.crypto && typeof root.crypto.randomUUID === "function") return root.crypto.randomUUID();
    const b = root.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // A spot body for POST: optional fields left out when empty.
  function clean(body) {
    const out = {};
    for (const [key, value] of Object.entries(body)) {
      if (value === null || value === undefined || value === "") continue;
      if (key === "ratings" && Object.keys(value).length === 0) continue;
      out[key] = value;
    }
    return out;
  }

  function backoff(attempts) {
    const delay = Math.min(MAX_DELAY, BASE_DELAY * 2 ** Math.max(0, attempts - 1));
    return Math.round(delay * (0.75 + Math.random() * 0.5));
  }

  // --- Session and settings -------------------------------------------------------------------

  const kvGet = (key) => tx(["kv"], "readonly", (s) => done(s.kv.get(key)));
  const kvSet = (key, value) => tx(["kv"], "readwrite", (s) => void s.kv.put(value, key));
  const getSession = () => kvGet("session");
  const saveSession = (session) => kvSet("session", session);

  function clearLocal() {
    const names = ["kv", "spots", "outbox", "track"];
    return tx(names, "readwrite", (s) => names.forEach((n) => s[n].clear())).then(changed);
  }

  // --- Capture and edits ----------------------------------------------------------------------

  function newOp(type, spotId, extra) {
    return { type, spotId, attempts: 0, nextTryAt: 0, maybeStored: false, createdAt: Date.now(), ...extra };
  }

  async function capture(body) {
    const session = await getSession();
    // Each entry keeps the token it was made with: joining another walk later loses nothing.
    const spot = {
      id: body.id,
      walkId: session.walk.id,
      token: session.token,
      body: clean(body),
      createdAt: Date.now(),
      photos: [],
    };
    await tx(["spots", "outbox"], "readwrite", (s) => {
      s.spots.put(spot);
      s.outbox.add(newOp("create", spot.id, { body: spot.body, token: spot.token }));
    });
    changed();
    return spot;
  }

  async function addPhoto(spotId, blob, thumb) {
    const photoId = uuid();
    await tx(["spots", "outbox"], "readwrite", async (s) => {
      const spot = await done(s.spots.get(spotId));
      if (!spot) throw new Error("no such spot");
      spot.photos.push({ id: photoId, thumb, sent: false });
      s.spots.put(spot);
      s.outbox.add(newOp("photo", spotId, { photoId, blob, token: spot.token }));
    });
    changed();
    return photoId;
  }

  // changes: the fields to change; null clears an optional field.
  async function edit(spotId, changes) {
    await tx(["spots", "outbox"], "readwrite", async (s) => {
      const spot = await done(s.spots.get(spotId));
      if (!spot) throw new Error("no such spot");
      spot.body = clean({ ...spot.body, ...changes });
      s.spots.put(spot);
      const ops = await done(s.outbox.index("spotId").getAll(spotId));
      const create = ops.find((o) => o.type === "create");
      if (create && !create.maybeStored) {
        // The server never saw it: send the new content instead (no PATCH needed).
        Object.assign(create, { body: spot.body, error: null, nextTryAt: 0 });
        s.outbox.put(create);
        return;
      }
      const patch = ops.find((o) => o.type === "patch" && !o.maybeStored);
      if (patch) {
        Object.assign(patch, { body: { ...patch.body, ...changes }, error: null, nextTryAt: 0 });
        s.outbox.put(patch);
      } else {
        s.outbox.add(newOp("patch", spotId, { body: { ...changes }, token: spot.token }));
      }
    });
    changed();
  }

  async function remove(spotId) {
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
      s.outbox.add(newOp("delete", spotId, { token: spot && spot.token }));
    });
    changed();
  }

  // The participant chose to give up an entry the server refused (shown to her first).
  async function dismiss(spotId) {
    await tx(["spots", "outbox"], "readwrite", async (s) => {
      const ops = await done(s.outbox.index("spotId").getAll(spotId));
      const refused = ops.filter((o) => o.error);
      for (const op of refused) s.outbox.delete(op.seq);
      if (refused.some((o) => o.type === "create" || o.type === "delete")) s.spots.delete(spotId);
    });
    changed();
  }

  function addTrackPoint(point) {
    return tx(["track"], "readwrite", (s) => void s.track.put(point));
  }

  // --- State shown to the participant ---------------------------------------------------------

  async function state() {
    const [spots, ops] = await tx(["spots", "outbox"], "readonly", (s) =>
      Promise.all([done(s.spots.getAll()), done(s.outbox.getAll())]),
    );
    const waiting = new Set();
    const problems = new Map();
    let nextTryAt = Infinity;
    for (const op of ops) {
      if (op.error) problems.set(op.spotId, op.error);
      else {
        if (op.type !== "delete") waiting.add(op.spotId);
        nextTryAt = Math.min(nextTryAt, op.nextTryAt || 0);
      }
    }
    const list = spots
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((spot) => ({
        ...spot,
        state: problems.has(spot.id)
          ? "problem"
          : spot.deleting
            ? "deleting"
            : waiting.has(spot.id)
              ? "waiting"
              : "sent",
        problem: problems.get(spot.id) || null,
      }));
    for (const id of problems.keys()) waiting.delete(id);
    return { spots: list, waiting: waiting.size, problems: problems.size, nextTryAt, pending: ops.length };
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
      return await fetch(API + path, {
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

  function send(op, token) {
    const path = `/observations/${op.spotId}`;
    switch (op.type) {
      case "create":
        return call("POST", "/observations", token, op.body);
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

  // The API's error shape: {"errors": {field: sentence}, "codes": {field: code}}.
  async function problemsOf(response) {
    try {
      const body = await response.json();
      return { errors: (body && body.errors) || {}, codes: (body && body.codes) || {} };
    } catch (e) {
      return { errors: {}, codes: {} };
    }
  }

  // What an answer means: done, retry (temporary), or a problem retrying cannot fix.
  async function judge(op, response) {
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: "done" };
    if (status === 408 || status === 425 || status === 429 || status >= 500) return { kind: "retry", status };
    if (status === 404 && op.type === "delete") return { kind: "done" }; // already gone
    const { errors, codes } = await problemsOf(response);
    const detail = Object.entries(errors)
      .map(([field, message]) => `${field}: ${message}`)
      .join("; ");
    let code = "invalid";
    if (status === 401) code = "session";
    else if (status === 413) code = "too_big";
    else if (status === 404) code = "gone";
    else if (status === 409) code = codes.walk ? "closed" : "conflict";
    else if (codes.walk) code = "closed";
    return { kind: "problem", status, error: { code, status, detail, at: Date.now() } };
  }

  // Mark an operation as being sent: from now on the server may hold it.
  function begin(seq) {
    return tx(["outbox"], "readwrite", async (s) => {
      const op = await done(s.outbox.get(seq));
      if (!op || op.error) return null;
      op.attempts += 1;
      op.maybeStored = true;
      op.lastTryAt = Date.now();
      s.outbox.put(op);
      return op;
    });
  }

  function settle(op, outcome) {
    return tx(["spots", "outbox"], "readwrite", async (s) => {
      const current = await done(s.outbox.get(op.seq));
      if (!current) return; // deleted meanwhile by the participant
      if (outcome.kind === "done") {
        s.outbox.delete(op.seq);
        const spot = await done(s.spots.get(op.spotId));
        if (op.type === "delete") s.spots.delete(op.spotId);
        else if (spot && op.type === "photo") {
          for (const photo of spot.photos) if (photo.id === op.photoId) photo.sent = true;
          s.spots.put(spot);
        }
        return;
      }
      if (outcome.kind === "problem") {
        current.error = outcome.error;
        // A refused request stored nothing (409 excepted: something is stored under that id).
        if (outcome.status !== 409) current.maybeStored = false;
      } else {
        current.nextTryAt = Date.now() + backoff(current.attempts);
      }
      s.outbox.put(current);
    });
  }

  async function flushTrack(session) {
    if (!session.trackConsent) return "done";
    const points = await tx(["track"], "readonly", (s) => done(s.track.getAll(null, TRACK_BATCH)));
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
    if (!session || !session.token) return { offline: false, retry: false };
    // Surely offline: send nothing, so that what waits is known never to have left the phone
    // (an edit then changes the waiting spot itself, rather than queueing a PATCH).
    if (root.navigator && root.navigator.onLine === false) return { offline: true, retry: true };
    const ops = await tx(["outbox"], "readonly", (s) => done(s.outbox.getAll()));
    const blocked = new Set(); // a spot whose earlier operation is not through yet
    const now = Date.now();
    let offline = false;
    let retry = false;
    for (const op of ops) {
      if (op.error || blocked.has(op.spotId)) {
        blocked.add(op.spotId);
        continue;
      }
      if (!force && op.nextTryAt > now) {
        blocked.add(op.spotId);
        retry = true;
        continue;
      }
      const fresh = await begin(op.seq);
      if (!fresh) continue;
      let outcome;
      try {
        outcome = await judge(fresh, await send(fresh, fresh.token || session.token));
      } catch (e) {
        outcome = { kind: "retry", network: true };
      }
      await settle(fresh, outcome);
      changed();
      if (outcome.kind === "done") continue;
      blocked.add(op.spotId);
      if (outcome.kind === "retry") {
        retry = true;
        if (outcome.network || outcome.status >= 500) {
          offline = !!outcome.network;
          break; // the network or the server is down: stop here, try again later
        }
      } else if (outcome.error.code === "session") {
        break;
      }
    }
    if (!offline) {
      const track = await flushTrack(session);
      if (track !== "done") retry = true;
      if (track === "network") offline = true;
    }
    return { offline, retry };
  }

  function locked(fn) {
    const locks = root.navigator && root.navigator.locks;
    return locks ? locks.request("walkapp-outbox", fn) : fn();
  }

  // Send what is waiting. force: ignore the backoff delays (the network is back, or she asked).
  let running = null;
  let again = null; // null, or the force of a flush asked for while one was running
  function flush(options) {
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
      return { ...summary, ...result, retry: result.retry || summary.waiting > 0 };
    })().finally(() => {
      running = null;
    });
    return running;
  }

  // Ask the browser to send later even if the app is closed (Background Sync, where it exists).
  async function registerSync() {
    try {
      const reg = await root.navigator.serviceWorker.ready;
      if (reg.sync) await reg.sync.register(SYNC_TAG);
    } catch (e) {
      /* no Background Sync here (Safari, Firefox): the page sends on its own */
    }
  }

  // --- Erasure --------------------------------------------------------------------------------

  // DELETE /me for this walk and for any earlier walk whose spots are still on the phone.
  async function eraseEverything() {
    const session = await getSession();
    const spots = await tx(["spots"], "readonly", (s) => done(s.spots.getAll()));
    const tokens = new Set(spots.map((spot) => spot.token).filter(Boolean));
    if (session && session.token) tokens.add(session.token);
    for (const token of tokens) {
      const response = await call("DELETE", "/me", token);
      if (!(response.ok || response.status === 401)) throw new Error(`erase failed: ${response.status}`);
    }
    await clearLocal();
  }

  async function eraseWithCode(code) {
    const response = await fetch(`${API}/erasure`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ erasure_code: code }),
    });
    return response.status;
  }

  root.walkappOutbox = {
    uuid,
    clean,
    tx,
    kvGet,
    kvSet,
    getSession,
    saveSession,
    clearLocal,
    capture,
    addPhoto,
    edit,
    remove,
    dismiss,
    addTrackPoint,
    state,
    flush,
    registerSync,
    onChange,
    eraseEverything,
    eraseWithCode,
    SYNC_TAG,
  };
})(self);
