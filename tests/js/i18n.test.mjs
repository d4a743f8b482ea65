// Sentences and the language (static/pwa/i18n.js), and the screens' pure rules.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { nextLanguage, pickLanguage, translate } from "../../static/pwa/i18n.js";
import { erasureMessage } from "../../static/pwa/screens.js";
import { stopCategory } from "../../static/pwa/stop.js";
import { syncSentence } from "../../static/pwa/syncbar.js";

const strings = {
  fr: { "sync.many": "%(n)s points en attente", only: "seulement fr" },
  en: { "sync.many": "%(n)s spots waiting" },
};

describe("sentences", () => {
  it("fills gettext's placeholders and keeps unknown ones", () => {
    assert.equal(translate(strings, "en", "sync.many", { n: 3 }), "3 spots waiting");
    assert.equal(translate(strings, "fr", "sync.many", {}), "%(n)s points en attente");
  });

  it("falls back to the default language, then to the key", () => {
    assert.equal(translate(strings, "en", "only"), "seulement fr");
    assert.equal(translate(strings, "en", "missing.key"), "missing.key");
  });
});

describe("the language", () => {
  const languages = ["fr", "en"];
  it("is her choice, else the cookie's, else the phone's, else the page's", () => {
    assert.equal(pickLanguage({ languages, stored: "en", cookie: "lang=fr", preferred: ["fr"], pageLang: "fr" }), "en");
    assert.equal(pickLanguage({ languages, stored: "xx", cookie: "a=1; lang=en", preferred: ["fr"], pageLang: "fr" }), "en");
    assert.equal(pickLanguage({ languages, stored: null, cookie: "", preferred: ["de-DE", "en-GB"], pageLang: "fr" }), "en");
    assert.equal(pickLanguage({ languages, stored: null, cookie: "", preferred: ["de"], pageLang: "fr" }), "fr");
    assert.equal(pickLanguage({ languages, preferred: [] }), "fr");
  });

  it("switches to the next one, round", () => {
    assert.equal(nextLanguage(["fr", "en"], "fr"), "en");
    assert.equal(nextLanguage(["fr", "en"], "en"), "fr");
  });
});

describe("the screens' rules", () => {
  const criterionCategory = { lighting: "lighting", openness: "visibility", people: "people_around" };

  it("suggests a stop's category from its worst criterion", () => {
    assert.equal(stopCategory(null, criterionCategory), null);
    assert.equal(stopCategory({ lighting: 0, openness: 1 }, criterionCategory), "lighting");
    assert.equal(stopCategory({ lighting: 2, openness: 1 }, criterionCategory), "visibility");
    assert.equal(stopCategory({ lighting: 2, perceived_safety: 3 }, criterionCategory), "good_place");
    assert.equal(stopCategory({ lighting: 2, perceived_safety: 1 }, criterionCategory), null);
    assert.equal(stopCategory({ perceived_safety: 0 }, criterionCategory), null);
  });

  it("says what waits", () => {
    const t = (key, args) => (args ? `${key}(${args.n})` : key);
    assert.equal(syncSentence({ waiting: 0, problems: 0 }, true, t), "sync.none");
    // Several sentences: each ends with its stop, never runs into the next (issue 10 point 11).
    assert.equal(syncSentence({ waiting: 1, problems: 0 }, false, t), "sync.one. sync.offline.");
    assert.equal(syncSentence({ waiting: 3, problems: 2 }, true, t), "sync.many(3). sync.problems(2).");
    assert.equal(syncSentence({ waiting: 0, problems: 2 }, false, t), "sync.problems(2)");
    const real = (key) => ({ "sync.one": "1 point en attente d'envoi", "sync.offline": "Pas de réseau." })[key];
    assert.equal(syncSentence({ waiting: 1, problems: 0 }, false, real), "1 point en attente d'envoi. Pas de réseau.");
    // A join that the walk refused (it waited with no signal) is said first.
    const join = { state: "refused", error: { code: "closed" } };
    assert.equal(syncSentence({ waiting: 2, problems: 0, join }, true, t), "problem.join. sync.many(2).");
  });

  it("words the erasure's answer", () => {
    assert.equal(erasureMessage(429), "erase.too_many");
    assert.equal(erasureMessage(404), "erase.unknown");
    assert.equal(erasureMessage(422), "erase.unknown");
    assert.equal(erasureMessage(500), "join.error");
  });
});
