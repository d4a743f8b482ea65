// The closed-walk decision from GET /api/v1/me (static/pwa/walkstatus.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { CLOSED, OPEN, PROBABLY_OVER, recordedInTime, serverNow, UNKNOWN, walkState } from "../../static/pwa/walkstatus.js";

const at = (iso) => Date.parse(iso);
const me = {
  status: "open",
  ends_at: "2026-12-01T21:00:00+00:00",
  closed_at: null,
  late_sync_minutes: 15,
  now: "2026-12-01T20:00:00+00:00",
};

describe("is the walk still open?", () => {
  it("is open when the server just said so", () => {
    const answeredAt = at("2026-12-01T20:00:00Z");
    assert.equal(walkState(me, { answeredAt, deviceNow: answeredAt, fresh: true }), OPEN);
    // Even after ends_at: the server, online, decides (a facilitator may keep it open).
    assert.equal(walkState({ ...me, now: "2026-12-01T23:00:00Z" }, { answeredAt, deviceNow: answeredAt, fresh: true }), OPEN);
  });

  it("is closed when the server says closed", () => {
    const closed = { ...me, status: "closed", closed_at: "2026-12-01T20:30:00+00:00" };
    assert.equal(walkState(closed, { answeredAt: 0, deviceNow: 0, fresh: true }), CLOSED);
    assert.equal(walkState(closed, { answeredAt: 0, deviceNow: 0, fresh: false }), CLOSED);
    assert.equal(walkState({ ...me, closed_at: "2026-12-01T20:30:00Z" }, { answeredAt: 0, deviceNow: 0, fresh: false }), CLOSED);
  });

  it("is probably over offline after ends_at plus the late-sync grace", () => {
    const answeredAt = at("2026-12-01T20:00:00Z");
    const offline = (deviceNow) => walkState(me, { answeredAt, deviceNow, fresh: false });
    assert.equal(offline(at("2026-12-01T21:00:00Z")), OPEN);
    assert.equal(offline(at("2026-12-01T21:15:00Z")), OPEN);
    assert.equal(offline(at("2026-12-01T21:15:01Z")), PROBABLY_OVER);
  });

  it("goes by the server's clock, not the phone's wrong one", () => {
    // The phone is an hour behind: its clock says 19:00 when the server says 20:00.
    const answeredAt = at("2026-12-01T19:00:00Z");
    assert.equal(serverNow(me, answeredAt, at("2026-12-01T20:20:00Z")), at("2026-12-01T21:20:00Z"));
    assert.equal(walkState(me, { answeredAt, deviceNow: at("2026-12-01T20:20:00Z"), fresh: false }), PROBABLY_OVER);
    assert.equal(serverNow({ ...me, now: undefined }, answeredAt, 42), 42);
  });

  it("is unknown before any answer", () => {
    assert.equal(walkState(null, { answeredAt: 0, deviceNow: 0, fresh: false }), UNKNOWN);
    assert.equal(walkState({}, { answeredAt: 0, deviceNow: 0, fresh: false }), UNKNOWN);
  });

  it("still sends what was recorded in time after a close", () => {
    const closed = { ...me, status: "closed", closed_at: "2026-12-01T20:30:00Z" };
    assert.equal(recordedInTime("2026-12-01T20:29:00+00:00", closed), true);
    assert.equal(recordedInTime("2026-12-01T21:44:00+01:00", closed), true); // 20:44 UTC: grace
    assert.equal(recordedInTime("2026-12-01T20:45:00Z", closed), true);
    assert.equal(recordedInTime("2026-12-01T20:45:01Z", closed), false);
    assert.equal(recordedInTime("not a date", closed), false);
    assert.equal(recordedInTime("2030-01-01T00:00:00Z", me), true); // not closed
  });
});
