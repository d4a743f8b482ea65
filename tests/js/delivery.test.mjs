// The outbox's state machine and backoff (static/pwa/delivery.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  answer,
  BACKOFF,
  backoff,
  clearsLocalCopy,
  due,
  edited,
  judge,
  newRecord,
  REFUSED,
  send,
  SENDING,
  SENT,
  stateOf,
  stopsFlush,
  summarise,
  WAITING,
  WAITING_AGAIN,
} from "../../static/pwa/delivery.js";

const body = (codes, errors = {}) => ({ errors, codes });

describe("backoff", () => {
  it("doubles from the base, without jitter at the middle of the spread", () => {
    const mid = () => 0.5;
    assert.deepEqual([1, 2, 3, 4].map((n) => backoff(n, {}, mid)), [2000, 4000, 8000, 16000]);
    assert.equal(backoff(0, {}, mid), 2000);
  });

  it("spreads by ±25% and never goes above the cap", () => {
    for (const attempts of [1, 3, 6, 8, 9, 20, 100]) {
      const low = backoff(attempts, {}, () => 0);
      const high = backoff(attempts, {}, () => 0.999999);
      const raw = Math.min(BACKOFF.cap, BACKOFF.base * 2 ** (attempts - 1));
      assert.equal(low, Math.round(raw * 0.75));
      assert.ok(high <= BACKOFF.cap && high >= raw * 0.75, `${attempts}: ${high}`);
    }
    assert.equal(backoff(50, {}, () => 0.999), BACKOFF.cap);
  });

  it("jitters: two phones retrying together do not stay together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoff(4)));
    assert.ok(delays.size > 10);
    for (const d of delays) assert.ok(d >= 12000 && d <= 20000, String(d));
  });

  it("takes its own base and cap", () => {
    assert.equal(backoff(10, { base: 100, cap: 1000, jitter: 0 }), 1000);
    assert.equal(backoff(2, { base: 100, cap: 1000, jitter: 0 }), 200);
  });
});

describe("one record's states", () => {
  const now = 1_000_000;
  const fresh = () => newRecord("create", "spot-1", now, { body: { feeling: 2 } });

  it("goes waiting -> sending -> sent on a 2xx", () => {
    const op = fresh();
    assert.equal(stateOf(op), WAITING);
    const out = send(op, now);
    assert.equal(out.state, SENDING);
    assert.equal(out.attempts, 1);
    assert.equal(out.maybeStored, true);
    assert.equal(answer(out, judge(201, null, "create", now), now).state, SENT);
  });

  it("waits again after a 5xx, a 429 or a network error, with a backoff", () => {
    for (const outcome of [judge(503, null, "create", now), judge(429, null, "create", now), { kind: "retry", network: true }]) {
      const out = answer(send(fresh(), now), outcome, now, () => 0.5);
      assert.equal(out.state, WAITING_AGAIN);
      assert.equal(out.nextTryAt, now + 2000);
      assert.equal(due(out, now + 1999, false), false);
      assert.equal(due(out, now + 1999, true), true); // "send now", or the network is back
      assert.equal(due(out, now + 2000, false), true);
      const again = answer(send(out, now + 2000), outcome, now + 2000, () => 0.5);
      assert.equal(again.attempts, 2);
      assert.equal(again.nextTryAt, now + 2000 + 4000);
    }
  });

  it("is refused with a code by another 4xx, kept, and never sent again on its own", () => {
    const out = answer(send(fresh(), now), judge(422, body({ feeling: "feeling_range" }, { feeling: "1 to 5" }), "create", now), now);
    assert.equal(out.state, REFUSED);
    assert.equal(out.error.code, "invalid");
    assert.equal(out.error.detail, "feeling: 1 to 5");
    assert.equal(out.maybeStored, false); // a refused request stored nothing
    assert.equal(due(out, now + 1e9, true), false);
    assert.throws(() => send(out, now));
  });

  it("keeps 'maybe stored' after a 409: something is stored under that id", () => {
    const out = answer(send(fresh(), now), judge(409, body({ id: "id_conflict" }), "create", now), now);
    assert.equal(out.error.code, "conflict");
    assert.equal(out.maybeStored, true);
  });

  it("is sent again at once after an edit, refused or waiting again", () => {
    const refused = answer(send(fresh(), now), judge(422, body({}), "create", now), now);
    const back = edited(refused, { body: { feeling: 3 } });
    assert.deepEqual([back.state, back.error, back.nextTryAt, back.body.feeling], [WAITING, null, 0, 3]);
    const later = answer(send(fresh(), now), { kind: "retry", status: 500 }, now);
    assert.equal(edited(later, {}).state, WAITING);
    assert.throws(() => edited(send(fresh(), now), {})); // not while a request carries it
  });

  it("refuses impossible transitions", () => {
    assert.throws(() => answer(fresh(), { kind: "done" }, now));
    const sent = answer(send(fresh(), now), { kind: "done" }, now);
    assert.throws(() => send(sent, now));
  });

  it("sends again a record left 'sending' by a page that died", () => {
    const stale = send(fresh(), now);
    assert.equal(due(stale, now, false), true);
    assert.equal(send(stale, now + 5).attempts, 2);
  });

  it("reads the records stored before states existed", () => {
    assert.equal(stateOf({ attempts: 0, nextTryAt: 0 }), WAITING);
    assert.equal(stateOf({ attempts: 2, nextTryAt: 5 }), WAITING_AGAIN);
    assert.equal(stateOf({ attempts: 1, error: { code: "invalid" } }), REFUSED);
  });
});

describe("judging an answer by its codes", () => {
  const now = 5;
  const code = (status, b, type = "create") => judge(status, b, type, now).error.code;

  it("done on 2xx, and on a 404 to a delete (already gone)", () => {
    assert.equal(judge(200, null, "create", now).kind, "done");
    assert.equal(judge(204, null, "delete", now).kind, "done");
    assert.equal(judge(404, body({ id: "spot_unknown" }), "delete", now).kind, "done");
  });

  it("retries 408, 425, 429 and 5xx", () => {
    for (const status of [408, 425, 429, 500, 502, 503]) assert.equal(judge(status, null, "create", now).kind, "retry");
  });

  it("names the refusal from the API's codes, never from its sentences", () => {
    assert.equal(code(401, body({ auth: "erased" })), "erased");
    assert.equal(code(401, body({ auth: "token_required" })), "session");
    assert.equal(code(401, null), "session");
    assert.equal(code(413, null), "too_big");
    assert.equal(code(404, body({ id: "spot_unknown" }), "patch"), "gone");
    assert.equal(code(409, body({ walk: "walk_closed" })), "closed");
    assert.equal(code(409, body({ id: "id_conflict" })), "conflict");
    assert.equal(code(422, body({ walk: "walk_closed" })), "closed");
    assert.equal(code(422, body({ feeling: "feeling_range" })), "invalid");
    // The same sentence in any language: the code decides.
    assert.equal(code(409, body({ walk: "walk_closed" }, { walk: "Cette marche est fermée." })), "closed");
    assert.deepEqual(judge(409, body({ walk: "walk_closed" }), "create", now).error.codes, { walk: "walk_closed" });
  });

  it("lets only a 401 `erased` clear the phone's copy", () => {
    assert.equal(clearsLocalCopy(judge(401, body({ auth: "erased" }), "create", now)), true);
    for (const [status, b] of [
      [401, body({ auth: "token_required" })],
      [401, null],
      [403, body({ auth: "erased" })],
      [409, body({ walk: "walk_closed" })],
      [500, null],
    ]) {
      assert.equal(clearsLocalCopy(judge(status, b, "create", now)), false, `${status}`);
    }
    assert.equal(clearsLocalCopy({ kind: "retry", network: true }), false);
  });

  it("stops a flush when the network, the server or the token fails", () => {
    assert.equal(stopsFlush({ kind: "retry", network: true }), true);
    assert.equal(stopsFlush(judge(503, null, "create", now)), true);
    assert.equal(stopsFlush(judge(429, null, "create", now)), false);
    assert.equal(stopsFlush(judge(401, body({ auth: "token_required" }), "create", now)), true);
    assert.equal(stopsFlush(judge(422, body({}), "create", now)), false);
  });
});

describe("what the participant sees", () => {
  const now = 100;
  const spot = (id, createdAt, extra) => ({ id, createdAt, body: {}, photos: [], ...extra });
  const op = (spotId, type, extra) => ({ ...newRecord(type, spotId, 0), ...extra });

  it("gives each spot exactly one state", () => {
    const spots = [spot("d", 4, { deleting: true }), spot("a", 1), spot("b", 2), spot("c", 3), spot("e", 5), spot("f", 6)];
    const ops = [
      op("b", "create"),
      op("b", "photo", { state: SENDING }),
      op("c", "patch", { state: REFUSED, error: { code: "closed" } }),
      op("c", "photo"),
      op("d", "delete"),
      op("e", "create", { state: WAITING_AGAIN, attempts: 1, nextTryAt: now + 10 }),
      op("f", "photo", { state: SENDING }),
    ];
    const summary = summarise(spots, ops, now);
    const seen = Object.fromEntries(summary.spots.map((s) => [s.id, [s.delivery, s.state]]));
    assert.deepEqual(seen, {
      a: ["sent", "sent"],
      b: ["sending", "waiting"],
      c: ["refused", "refused"],
      d: ["waiting", "deleting"],
      e: ["waiting_again", "waiting"],
      f: ["sending", "waiting"],
    });
    assert.deepEqual(summary.spots.map((s) => s.id), ["a", "b", "c", "d", "e", "f"]); // oldest first
    assert.equal(summary.waiting, 3); // b, e, f: a refused spot counts as a problem, not waiting
    assert.equal(summary.problems, 1);
    assert.equal(summary.pending, ops.length);
    assert.equal(summary.spots.find((s) => s.id === "c").problem.code, "closed");
  });

  it("says when the next try is due", () => {
    const summary = summarise([spot("a", 1)], [op("a", "create", { state: WAITING_AGAIN, attempts: 1, nextTryAt: 500 })], now);
    assert.equal(summary.nextTryAt, 500);
    assert.equal(summarise([], [], now).nextTryAt, Infinity);
  });
});
