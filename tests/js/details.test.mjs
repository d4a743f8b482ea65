// What is typed in a spot's details and not yet in its record (static/pwa/tag.js): kept as she
// types, and before "Tag another spot", so that nothing typed is dropped.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { detailChanges } from "../../static/pwa/tag.js";

describe("the details typed and not yet kept", () => {
  const body = { id: "a", lat: 50, lon: 3, category: "lighting", feeling: 2 };

  it("finds nothing when nothing is typed", () => {
    assert.deepEqual(detailChanges(body, { comment: "", ratings: null }), {});
    assert.deepEqual(detailChanges(body, { comment: "   ", ratings: {} }), {});
  });

  it("finds a comment typed, trimmed", () => {
    assert.deepEqual(detailChanges(body, { comment: " Haie trop haute ", ratings: null }), { comment: "Haie trop haute" });
  });

  it("finds nothing once the record holds what is typed", () => {
    const kept = { ...body, comment: "Haie", ratings: { lighting: 1 } };
    assert.deepEqual(detailChanges(kept, { comment: "Haie", ratings: { lighting: 1 } }), {});
  });

  it("clears a comment erased, and finds ratings changed", () => {
    const kept = { ...body, comment: "Haie", ratings: { lighting: 1 } };
    assert.deepEqual(detailChanges(kept, { comment: "", ratings: { lighting: 2 } }), { comment: null, ratings: { lighting: 2 } });
    assert.deepEqual(detailChanges(kept, { comment: "Haie", ratings: { lighting: 1, openness: 0 } }), {
      ratings: { lighting: 1, openness: 0 },
    });
    assert.deepEqual(detailChanges(kept, { comment: "Haie", ratings: null }), { ratings: null });
  });
});
