// The double-tap guard (static/pwa/guard.js): one intended action = one record.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createGuard, DOUBLE_TAP_MS } from "../../static/pwa/guard.js";

function clock(start = 0) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe("the double-tap guard", () => {
  it("ignores a repeat of the same action within 600 ms", async () => {
    const c = clock();
    const guard = createGuard({ now: c.now });
    let records = 0;
    const save = async () => ++records;
    assert.deepEqual(await guard.run("category:lighting", save), { ran: true, value: 1 });
    c.t = 30; // the finger bounces
    assert.deepEqual(await guard.run("category:lighting", save), { ran: false });
    c.t = DOUBLE_TAP_MS - 1;
    assert.equal((await guard.run("category:lighting", save)).ran, false);
    c.t = DOUBLE_TAP_MS;
    assert.equal((await guard.run("category:lighting", save)).ran, true);
    assert.equal(records, 2);
  });

  it("ignores any repeat while the save is in flight, however long it takes", async () => {
    const c = clock();
    const guard = createGuard({ now: c.now });
    let release;
    let records = 0;
    const slow = () => new Promise((resolve) => (release = () => resolve(++records)));
    const first = guard.run("save", slow);
    assert.equal(guard.busy("save"), true);
    c.t = 5000; // well past the window: still one save on its way
    assert.deepEqual(await guard.run("save", slow), { ran: false });
    assert.equal(guard.accepts("save"), false);
    release();
    assert.deepEqual(await first, { ran: true, value: 1 });
    assert.equal(guard.accepts("save"), true);
  });

  it("two taps 30 ms apart, before the first await returns, make one record", async () => {
    const guard = createGuard(); // the real clock
    let records = 0;
    const save = async () => {
      await new Promise((r) => setTimeout(r, 20));
      return ++records;
    };
    const [a, b] = await Promise.all([guard.run("k", save), guard.run("k", save)]);
    assert.deepEqual([a.ran, b.ran, records], [true, false, 1]);
  });

  it("keeps different actions apart", async () => {
    const c = clock();
    const guard = createGuard({ now: c.now });
    assert.equal((await guard.run("category:lighting", async () => 1)).ran, true);
    assert.equal((await guard.run("category:seating", async () => 2)).ran, true);
  });

  it("releases the action when its save fails", async () => {
    const c = clock();
    const guard = createGuard({ now: c.now, windowMs: 100 });
    await assert.rejects(guard.run("k", async () => {
      throw new Error("quota");
    }));
    assert.equal(guard.busy("k"), false);
    c.t = 100;
    assert.equal((await guard.run("k", async () => "ok")).value, "ok");
  });
});
