// Typed text kept in its own direction (static/pwa/i18n.js): a stop's name with a right-to-left
// override (U+202E) is a piece of its own, which the page shows in a <bdi> (ui.js pieces()).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { isolate, translate, translatePieces } from "../../static/pwa/i18n.js";

const RLO = "\u202e";
const strings = {
  fr: { "stop.name": "Arrêt %(n)s : %(name)s", "around": "%(name)s, arrêt %(n)s (%(name)s)" },
  en: { "stop.name": "Stop %(n)s: %(name)s" },
};

describe("typed arguments apart", () => {
  it("cuts the sentence around each typed argument, the others filled in", () => {
    const name = `${RLO}Parvis`;
    assert.deepEqual(translatePieces(strings, "fr", "stop.name", { n: 2, name }, ["name"]), ["Arrêt 2 : ", { typed: name }]);
    assert.deepEqual(translatePieces(strings, "fr", "around", { n: 2, name: "x" }, ["name"]), [
      { typed: "x" },
      ", arrêt 2 (",
      { typed: "x" },
      ")",
    ]);
  });

  it("reads as translate() once put together", () => {
    const args = { n: 3, name: `${RLO}Gare` };
    for (const lang of ["fr", "en"]) {
      const pieces = translatePieces(strings, lang, "stop.name", args, ["name"]);
      const text = pieces.map((p) => (typeof p === "string" ? p : p.typed)).join("");
      assert.equal(text, translate(strings, lang, "stop.name", args));
    }
  });

  it("keeps an unknown placeholder and a sentence with nothing typed whole", () => {
    assert.deepEqual(translatePieces(strings, "en", "stop.name", { n: 1 }, ["name"]), ["Stop 1: %(name)s"]);
    assert.deepEqual(translatePieces(strings, "en", "stop.name", { n: 1, name: "a" }), ["Stop 1: a"]);
  });
});

describe("typed text in plain text", () => {
  it("goes between FSI and PDI", () => {
    assert.equal(isolate(`${RLO}Marche`), `\u2068${RLO}Marche\u2069`);
    assert.equal(isolate(""), "");
  });
});
