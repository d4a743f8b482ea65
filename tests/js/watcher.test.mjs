// The position watcher and the late fix (static/pwa/position.js): the GPS runs only while the
// app is visible and something needs it (battery), and a spot tagged before the first fix
// takes a fix only if it came right after the tap.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createWatcher, IDLE_STOP_MS, LATE_FIX_MS, lateFixFits } from "../../static/pwa/position.js";

// A fake navigator.geolocation: counts the watches it holds, and lets the test send fixes.
function fakeGeo() {
  const watches = new Map();
  let next = 1;
  return {
    watches,
    watchPosition(ok, error, options) {
      const id = next++;
      watches.set(id, { ok, error, options });
      return id;
    },
    clearWatch(id) {
      watches.delete(id);
    },
    send(coords) {
      for (const w of watches.values()) w.ok({ coords });
    },
    fail(code) {
      for (const w of watches.values()) w.error({ code });
    },
  };
}

// Timers under the test's hand.
function fakeTimers() {
  const timers = new Map();
  let next = 1;
  return {
    timers,
    setTimer: (fn, ms) => {
      const id = next++;
      timers.set(id, { fn, ms });
      return id;
    },
    clearTimer: (id) => timers.delete(id),
    fire() {
      for (const [id, t] of [...timers]) {
        timers.delete(id);
        t.fn();
      }
    },
  };
}

function setup(options = {}) {
  const geolocation = fakeGeo();
  const clock = fakeTimers();
  const fixes = [];
  const errors = [];
  const watcher = createWatcher({
    onFix: (f) => fixes.push(f),
    onError: (e) => errors.push(e),
    geolocation,
    now: () => 1000,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    ...options,
  });
  return { watcher, geolocation, clock, fixes, errors };
}

describe("the position watcher", () => {
  it("watches nothing until something needs the position", () => {
    const { watcher, geolocation } = setup();
    assert.equal(geolocation.watches.size, 0);
    watcher.need("tag", true);
    assert.equal(geolocation.watches.size, 1);
    watcher.need("track", true);
    assert.equal(geolocation.watches.size, 1, "one watch, however many reasons");
    assert.equal(geolocation.watches.get(1).options.enableHighAccuracy, true);
  });

  it("passes fixes on with the time they came, and words errors", () => {
    const { watcher, geolocation, fixes, errors } = setup();
    watcher.need("tag", true);
    geolocation.send({ latitude: 50.3, longitude: 3.5, accuracy: 8 });
    assert.deepEqual(fixes, [{ lat: 50.3, lon: 3.5, accuracy: 8, at: 1000 }]);
    geolocation.fail(1);
    geolocation.fail(3);
    assert.deepEqual(errors, ["denied", "none"]);
  });

  it("stops at once while hidden, and watches again once visible if still needed", () => {
    const { watcher, geolocation } = setup();
    watcher.need("tag", true);
    watcher.setVisible(false);
    assert.equal(geolocation.watches.size, 0);
    assert.equal(watcher.watching(), false);
    watcher.need("track", true); // asked while hidden: still nothing
    assert.equal(geolocation.watches.size, 0);
    watcher.setVisible(true);
    assert.equal(geolocation.watches.size, 1);
  });

  it("stops a while after nothing needs it, and not if needed again meanwhile", () => {
    const { watcher, geolocation, clock } = setup();
    watcher.need("tag", true);
    watcher.need("tag", false);
    assert.equal(geolocation.watches.size, 1, "kept a moment: coming back finds a fix at once");
    assert.equal([...clock.timers.values()][0].ms, IDLE_STOP_MS);
    watcher.need("tag", true);
    assert.equal(clock.timers.size, 0, "needed again: the stop is called off");
    watcher.need("tag", false);
    clock.fire();
    assert.equal(geolocation.watches.size, 0);
    watcher.need("tag", true);
    assert.equal(geolocation.watches.size, 1);
  });

  it("keeps watching while another reason holds", () => {
    const { watcher, geolocation, clock } = setup();
    watcher.need("tag", true);
    watcher.need("track", true);
    watcher.need("tag", false);
    assert.equal(clock.timers.size, 0);
    assert.equal(geolocation.watches.size, 1);
    assert.equal(watcher.needs("track"), true);
  });

  it("a hidden app forgets the pending stop, and does not restart without a reason", () => {
    const { watcher, geolocation, clock } = setup();
    watcher.need("tag", true);
    watcher.need("tag", false);
    watcher.setVisible(false);
    assert.equal(clock.timers.size, 0);
    watcher.setVisible(true);
    assert.equal(geolocation.watches.size, 0);
  });

  it("says the location is off when the phone has no geolocation", () => {
    const { watcher, errors } = setup({ geolocation: undefined });
    watcher.need("tag", true);
    assert.deepEqual(errors, ["denied"]);
    assert.equal(watcher.watching(), false);
  });
});

describe("a fix that comes after the tap", () => {
  const tapped = 1_800_000_000_000;
  it("says where the spot is only if it came within a few seconds of the tap", () => {
    assert.equal(lateFixFits({ at: tapped + 3000 }, tapped), true);
    assert.equal(lateFixFits({ at: tapped + LATE_FIX_MS }, tapped), true);
    assert.equal(lateFixFits({ at: tapped + LATE_FIX_MS + 1 }, tapped), false);
  });

  it("never takes a fix from before the tap, nor none", () => {
    assert.equal(lateFixFits({ at: tapped - 1 }, tapped), false);
    assert.equal(lateFixFits(null, tapped), false);
    assert.equal(lateFixFits({ at: undefined }, tapped), false);
    assert.equal(lateFixFits({ at: tapped }, undefined), false);
  });
});
