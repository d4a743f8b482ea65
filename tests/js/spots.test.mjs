// Issue 10, one state per spot (point 6), the numbers of spots (point 11), the profile sent
// when she skips the questions (point 4): pure functions of delivery.js and screens.js.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { clearsLocalCopy, judge, newRecord, nextNumber, numbers, REFUSED, SHOWN, summarise } from "../../static/pwa/delivery.js";
import { profileToSend } from "../../static/pwa/screens.js";

const spot = (id, createdAt, extra) => ({ id, createdAt, walkId: 1, body: {}, photos: [], ...extra });
const op = (spotId, type, extra) => ({ ...newRecord(type, spotId, 0), ...extra });

describe("one state per spot", () => {
  it("shows a refused spot as refused only, with its reason", () => {
    const refused = judge(409, { errors: { walk: "closed" }, codes: { walk: "walk_closed" } }, "create", 5);
    const { spots, waiting, problems } = summarise(
      [spot("a", 1)],
      [op("a", "create", { state: REFUSED, error: refused.error }), op("a", "photo")],
      10,
    );
    assert.deepEqual([spots[0].state, spots[0].problem.code], ["refused", "closed"]);
    assert.deepEqual([waiting, problems], [0, 1]);
  });

  it("uses only the words of the list's data-state", () => {
    const spots = [spot("a", 1), spot("b", 2), spot("c", 3, { deleting: true }), spot("d", 4, { positionNeeded: true })];
    const ops = [op("b", "create"), op("c", "delete")];
    const states = summarise(spots, ops, 0).spots.map((s) => s.state);
    assert.deepEqual(states, ["sent", "waiting", "deleting", "position_needed"]);
    for (const state of states) assert.ok(SHOWN.includes(state));
  });

  it("keeps a join that waits out of the spots, and says it apart", () => {
    const ops = [op("join:x", "join", { joinId: "x" }), op("a", "create", { joinId: "x" })];
    const summary = summarise([spot("a", 1, { joinId: "x" })], ops, 0);
    assert.deepEqual(summary.spots.map((s) => [s.id, s.state]), [["a", "waiting"]]);
    assert.equal(summary.waiting, 1);
    assert.deepEqual(summary.join, { state: "waiting", error: null });
    const refused = judge(409, { codes: { walk: "walk_closed" } }, "join", 0);
    const after = summarise([], [op("join:x", "join", { state: REFUSED, error: refused.error })], 0);
    assert.deepEqual([after.join.state, after.join.error.code, after.problems], [REFUSED, "closed", 0]);
    assert.equal(summarise([], [], 0).join, null);
  });

  it("forgets the phone's copy only for a 401 with the code erased", () => {
    assert.ok(clearsLocalCopy(judge(401, { codes: { auth: "erased" } }, "create", 0)));
    assert.ok(!clearsLocalCopy(judge(401, { codes: { auth: "token_required" } }, "create", 0)));
    assert.ok(!clearsLocalCopy(judge(401, null, "patch", 0)));
    assert.ok(!clearsLocalCopy(judge(409, { codes: { walk: "walk_closed" } }, "create", 0)));
  });
});

describe("the numbers of spots", () => {
  it("gives the next number of the walk, never one given before", () => {
    assert.equal(nextNumber([], 1), 1);
    const spots = [spot("a", 1, { n: 1 }), spot("c", 3, { n: 3 }), spot("z", 9, { walkId: 2, n: 7 })];
    assert.equal(nextNumber(spots, 1), 4); // 2 was deleted: 4, not 3 again
    assert.equal(nextNumber(spots, 2), 8);
    assert.equal(nextNumber([spot("a", 1), spot("b", 2)], 1), 3); // saved before numbers existed
  });

  it("shows each spot's own number: a deletion renumbers nothing", () => {
    const shown = numbers([spot("c", 3, { n: 3 }), spot("a", 1, { n: 1 })]);
    assert.deepEqual([shown.get("a"), shown.get("c")], [1, 3]);
    const old = numbers([spot("b", 2), spot("a", 1), spot("x", 1, { walkId: 2 })]);
    assert.deepEqual([old.get("a"), old.get("b"), old.get("x")], [1, 2, 1]);
  });
});

describe("the profile sent with the join", () => {
  const fields = ["gender", "age_band", "resident", "mobility"];
  const answers = (given) => (name) => (name in given ? given[name] : null);

  it("sends every answer chosen when she joins with them", () => {
    assert.deepEqual(profileToSend(true, fields, answers({ gender: "woman", age_band: "25_44" })), {
      gender: "woman",
      age_band: "25_44",
    });
    assert.equal(profileToSend(true, fields, answers({ age_band: "" })), null); // "prefer not to say"
    assert.equal(profileToSend(true, fields, answers({})), null);
  });

  it("keeps an age band under 15 when she skips the questions", () => {
    const given = answers({ gender: "woman", age_band: "under_15" });
    assert.deepEqual(profileToSend(false, fields, given), { age_band: "under_15" });
    assert.equal(profileToSend(false, fields, answers({ gender: "woman", age_band: "25_44" })), null);
  });
});
