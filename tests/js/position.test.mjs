// A spot's position and its source (static/pwa/position.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  accuracyWords,
  choosePosition,
  FIX_MAX_AGE_MS,
  metres,
  nearestStop,
  tracePointDue,
  walkCentre,
} from "../../static/pwa/position.js";

const now = 1_800_000_000_000;
const fix = { lat: 50.3571, lon: 3.5219, accuracy: 12.345, at: now - 5000 };
const pin = { lat: 50.358, lon: 3.523 };
const stop = { id: 7, lat: 50.356, lon: 3.52 };

describe("choosing a spot's position", () => {
  it("takes a fresh GPS fix, with its accuracy", () => {
    assert.deepEqual(choosePosition({ fix, now }), { lat: 50.3571, lon: 3.5219, accuracy_m: 12.3, position_source: "gps" });
  });

  it("takes a pin placed by hand, without an accuracy", () => {
    assert.deepEqual(choosePosition({ pin, now }), { lat: 50.358, lon: 3.523, accuracy_m: null, position_source: "pin" });
  });

  it("takes the stop she chose", () => {
    assert.deepEqual(choosePosition({ stop, now }), { lat: 50.356, lon: 3.52, accuracy_m: null, position_source: "stop" });
  });

  it("prefers what she chose by hand to the GPS: the pin, then the stop", () => {
    assert.equal(choosePosition({ fix, pin, stop, now }).position_source, "pin");
    assert.equal(choosePosition({ fix, stop, now }).position_source, "stop");
  });

  it("knows no position when nothing says where she is — never the walk's centre", () => {
    assert.equal(choosePosition({ now }), null);
    assert.equal(choosePosition(), null);
    assert.equal(choosePosition({ fix: null, pin: null, stop: null, now }), null);
  });

  it("does not take a stale fix for here", () => {
    const old = { ...fix, at: now - FIX_MAX_AGE_MS - 1 };
    assert.equal(choosePosition({ fix: old, now }), null);
    assert.equal(choosePosition({ fix: { ...fix, at: now - FIX_MAX_AGE_MS }, now }).position_source, "gps");
    assert.equal(choosePosition({ fix: old, now, maxAgeMs: 10 * 60 * 1000 }).position_source, "gps");
    assert.equal(choosePosition({ fix: { ...fix, at: undefined }, now }), null);
  });

  it("ignores what is not a WGS84 position", () => {
    assert.equal(choosePosition({ pin: { lat: NaN, lon: 3 }, now }), null);
    assert.equal(choosePosition({ fix: { ...fix, lat: 91 }, now }), null);
    assert.equal(choosePosition({ stop: { id: 1, lat: 50 }, fix, now }).position_source, "gps");
  });

  it("keeps a fix whose accuracy is unknown, with none", () => {
    assert.equal(choosePosition({ fix: { ...fix, accuracy: undefined }, now }).accuracy_m, null);
  });
});

describe("the position in words, distances, the trace", () => {
  it("words the accuracy", () => {
    assert.deepEqual(accuracyWords(0.2), { key: "pos.precise", m: 1 });
    assert.deepEqual(accuracyWords(15.4), { key: "pos.precise", m: 15 });
    assert.deepEqual(accuracyWords(16), { key: "pos.fair", m: 16 });
    assert.deepEqual(accuracyWords(150), { key: "pos.rough", m: 150 });
    assert.deepEqual(accuracyWords(151), { key: "pos.poor", m: 151 });
  });

  it("measures metres and finds the nearest stop", () => {
    const d = metres({ lat: 50, lon: 3 }, { lat: 50.001, lon: 3 });
    assert.ok(Math.abs(d - 111.2) < 0.5, String(d));
    const stops = [stop, { id: 8, lat: 50.3572, lon: 3.5218 }];
    assert.equal(nearestStop(fix, stops).id, 8);
    assert.equal(nearestStop(null, stops), null);
  });

  it("keeps a trace point every 15 m or every minute", () => {
    const last = { lat: 50, lon: 3, at: now };
    assert.equal(tracePointDue(null, last, now), true);
    assert.equal(tracePointDue(last, { lat: 50.0001, lon: 3 }, now + 1000), false);
    assert.equal(tracePointDue(last, { lat: 50.0002, lon: 3 }, now + 1000), true);
    assert.equal(tracePointDue(last, { lat: 50, lon: 3 }, now + 60000), true);
  });

  it("finds the walk's centre (where theme.js computes the sun), not a spot's position", () => {
    const square = { type: "Polygon", coordinates: [[[3, 50], [4, 50], [4, 51], [3, 51], [3, 50]]] };
    assert.deepEqual(walkCentre({ perimeter: square }), { lat: 50.5, lon: 3.5 });
    assert.deepEqual(walkCentre({ perimeter: null, stops: [stop] }), { lat: 50.356, lon: 3.52 });
    assert.equal(walkCentre({ stops: [] }), null);
    assert.equal(walkCentre(null), null);
  });
});
