// The appropriation questionnaire's rules (static/pwa/questionnaire.js): relevant, the
// re-checks, the order of the screens, the answers' types; and how the outbox and the sync bar
// count an answer (delivery.summarise, syncbar.syncSentence).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { isoWithOffset } from "../../static/pwa/dates.js";
import { newRecord, REFUSED, summarise } from "../../static/pwa/delivery.js";
import {
  answerBody,
  answersToSend,
  asksZone,
  holds,
  isRelevant,
  isSurvey,
  keepSurvey,
  nextKey,
  parseAnswer,
  pickRechecks,
  progress,
  rangeValues,
  screens,
  words,
  ZONE,
  zoneOf,
} from "../../static/pwa/questionnaire.js";
import { syncSentence } from "../../static/pwa/syncbar.js";

const choice = (code) => ({ code, label: { fr: `«${code}»`, en: code }, score: null });
const item = (code, type, extra = {}) => ({
  code,
  type,
  prompt: { fr: `Question ${code} ?`, en: `Question ${code}?` },
  hint: null,
  choices: [],
  range: null,
  relevant: null,
  required: false,
  ...extra,
});
const cond = (q, op, value) => ({ q, op, value });
const recheck = (findingId, zoneId) => ({
  code: `recheck_${findingId}`,
  finding_id: findingId,
  zone_id: zoneId,
  prompt: { fr: `Constat ${findingId} ?`, en: `Finding ${findingId}?` },
  choices: ["better", "same", "worse", "dont_know"].map(choice),
});

function form(extra = {}) {
  return {
    id: 7,
    items: [
      item("use_frequency", "select_one", { choices: ["never", "weekly", "daily"].map(choice) }),
      item("why_not", "text", { relevant: [[cond("use_frequency", "=", "never")]] }),
      item("intro", "note"),
      item("ps_feeling_safe", "range", { range: { start: 1, end: 7, step: 1 } }),
      item("photo", "image"),
      item("modes", "select_multiple", { choices: ["walk", "bike", "bus"].map(choice) }),
      item("bike_parking", "select_one", {
        choices: ["yes", "no"].map(choice),
        relevant: [[cond("modes", "selected", "bike")]],
      }),
    ],
    rechecks: [],
    max_rechecks: 5,
    zones: [
      { id: 3, name: "Le passage souterrain" },
      { id: 4, name: "Le square" },
    ],
    zone_id: null,
    ...extra,
  };
}

const keys = (list) => list.map((s) => s.key);

describe("relevant, in disjunctive normal form", () => {
  const dnf = [
    [cond("a", "=", "x"), cond("b", "!=", "y")],
    [cond("c", "selected", "z")],
  ];

  it("asks an item without conditions", () => {
    assert.equal(isRelevant(null, {}), true);
    assert.equal(isRelevant([], {}), true);
  });

  it("holds when every condition of one inner list holds", () => {
    assert.equal(isRelevant(dnf, { a: "x", b: "w" }), true);
    assert.equal(isRelevant(dnf, { a: "x", b: "y" }), false); // the first AND fails
    assert.equal(isRelevant(dnf, { a: "x", b: "y", c: ["q", "z"] }), true); // the OR's second list
    assert.equal(isRelevant(dnf, { a: "v", c: ["q"] }), false);
  });

  it("reads a skipped item as equal to nothing", () => {
    assert.equal(holds(cond("a", "=", "x"), {}), false);
    assert.equal(holds(cond("a", "!=", "x"), {}), true);
    assert.equal(holds(cond("a", "selected", "x"), {}), false);
    assert.equal(isRelevant(dnf, { a: "x" }), true); // b skipped: b != 'y' holds
  });

  it("compares as the server does (domain.appropriation.Condition.holds)", () => {
    assert.equal(holds(cond("m", "selected", "bike"), { m: ["walk", "bike"] }), true);
    assert.equal(holds(cond("m", "selected", "bus"), { m: ["walk", "bike"] }), false);
    assert.equal(holds(cond("s", "selected", "yes"), { s: "yes" }), false); // select_multiple only
    assert.equal(holds(cond("m", "=", "walk"), { m: ["walk"] }), false); // a list equals no literal
    assert.equal(holds(cond("m", "!=", "walk"), { m: ["walk"] }), true);
    assert.equal(holds(cond("n", "=", "5"), { n: 5 }), true); // as text: str(5) == "5"
    assert.equal(holds(cond("n", "=", "2.5"), { n: 2.5 }), true);
    assert.equal(holds(cond("n", "!=", "5"), { n: 6 }), true);
  });

  it("never asks on an unknown operator", () => {
    assert.equal(holds(cond("a", ">", "1"), { a: "2" }), false);
  });
});

describe("the re-checks", () => {
  const list = [recheck(1, 4), recheck(2, 3), recheck(3, null), recheck(4, 3), recheck(5, 4), recheck(6, 3), recheck(7, 5)];

  it("puts her zone's first, in list order, then the others, in list order, at most max", () => {
    assert.deepEqual(
      pickRechecks(list, 3, 5).map((r) => r.finding_id),
      [2, 4, 6, 1, 3],
    );
    assert.deepEqual(
      pickRechecks(list, 4, 3).map((r) => r.finding_id),
      [1, 5, 2],
    );
  });

  it("keeps the list's order when her zone is unknown, never more than max", () => {
    assert.deepEqual(
      pickRechecks(list, null, 5).map((r) => r.finding_id),
      [1, 2, 3, 4, 5],
    );
    assert.equal(pickRechecks(list, 9, 5).length, 5);
    assert.equal(pickRechecks(list, 3, 0).length, 0);
    assert.equal(pickRechecks([recheck(1, 3)], 3, 5).length, 1);
    assert.deepEqual(pickRechecks(undefined, 3, 5), []);
  });
});

describe("the order of the screens", () => {
  it("asks the zone first, then the items asked, notes shown, images not yet", () => {
    const list = screens(form(), {}, null);
    assert.deepEqual(keys(list), [ZONE, "use_frequency", "intro", "ps_feeling_safe", "modes"]);
    assert.deepEqual(
      list.map((s) => s.kind),
      ["zone", "item", "note", "item", "item"],
    );
  });

  it("skips the zone when the QR code carried it, or when there are no zones", () => {
    assert.equal(asksZone(form({ zone_id: 3 })), false);
    assert.equal(asksZone(form({ zones: [] })), false);
    assert.equal(asksZone(form()), true);
    assert.equal(keys(screens(form({ zone_id: 3 }), {}, null))[0], "use_frequency");
  });

  it("adds the items whose relevant holds on the answers so far", () => {
    const list = screens(form(), { use_frequency: "never", modes: ["bike"] }, null);
    assert.deepEqual(keys(list), [ZONE, "use_frequency", "why_not", "intro", "ps_feeling_safe", "modes", "bike_parking"]);
  });

  it("forgets the answer of an item no longer asked, for the items after it too", () => {
    const q = form();
    q.items.push(item("after_parking", "text", { relevant: [[cond("bike_parking", "=", "no")]] }));
    const answers = { modes: ["walk"], bike_parking: "no", after_parking: "too far", use_frequency: "weekly", why_not: "old" };
    const list = screens(q, answers, null);
    assert.ok(!keys(list).includes("bike_parking"));
    assert.ok(!keys(list).includes("after_parking")); // its condition's item is not asked
    assert.deepEqual(answersToSend(q, answers, null), { modes: ["walk"], use_frequency: "weekly" });
  });

  it("ends with the re-checks, her zone's first, at most max_rechecks", () => {
    const q = form({ rechecks: [recheck(1, 4), recheck(2, 3), recheck(3, 3)], max_rechecks: 2 });
    assert.deepEqual(keys(screens(q, {}, 3)).slice(-2), ["recheck_2", "recheck_3"]);
    assert.deepEqual(keys(screens(q, {}, null)).slice(-2), ["recheck_1", "recheck_2"]);
    const fromQr = { ...q, zone_id: 4 };
    assert.deepEqual(keys(screens(fromQr, {}, 3)).slice(-2), ["recheck_1", "recheck_2"]); // the QR's zone wins
    const last = screens(q, {}, 3).at(-1);
    assert.equal(last.kind, "recheck");
    assert.equal(last.item.type, "select_one");
  });

  it("moves on screen by screen, with its progress", () => {
    const list = screens(form(), {}, null);
    assert.equal(nextKey(list, null), ZONE);
    assert.equal(nextKey(list, ZONE), "use_frequency");
    assert.equal(nextKey(list, "modes"), null);
    assert.deepEqual(progress(list, "intro"), { n: 3, total: 5 });
  });

  it("takes her zone from the QR code, else from her choice among the zones", () => {
    assert.equal(zoneOf(form({ zone_id: 3 }), 4), 3);
    assert.equal(zoneOf(form(), 4), 4);
    assert.equal(zoneOf(form(), 99), null); // not one of the zones
    assert.equal(zoneOf(form(), null), null); // "I don't know"
  });
});

describe("the answers' types", () => {
  it("select_one: a choice code; select_multiple: the codes in the choices' order", () => {
    const one = item("a", "select_one", { choices: ["x", "y"].map(choice) });
    assert.deepEqual(parseAnswer(one, "y"), { value: "y" });
    assert.deepEqual(parseAnswer(one, "z"), { skip: true });
    const many = item("m", "select_multiple", { choices: ["walk", "bike", "bus"].map(choice) });
    assert.deepEqual(parseAnswer(many, ["bus", "walk"]), { value: ["walk", "bus"] });
    assert.deepEqual(parseAnswer(many, []), { skip: true });
  });

  it("integer: a whole number; decimal: a number, the French comma too", () => {
    const int = item("n", "integer");
    assert.deepEqual(parseAnswer(int, " 12 "), { value: 12 });
    assert.deepEqual(parseAnswer(int, "-3"), { value: -3 });
    assert.deepEqual(parseAnswer(int, "1.5"), { error: "survey.need_integer" });
    assert.deepEqual(parseAnswer(int, "douze"), { error: "survey.need_integer" });
    assert.deepEqual(parseAnswer(int, ""), { skip: true });
    const dec = item("d", "decimal");
    assert.deepEqual(parseAnswer(dec, "2,5"), { value: 2.5 });
    assert.deepEqual(parseAnswer(dec, "3"), { value: 3 });
    assert.deepEqual(parseAnswer(dec, "2,5,1"), { error: "survey.need_number" });
    assert.equal(typeof parseAnswer(dec, "0.75").value, "number");
  });

  it("range: buttons up to 11 values, a number field beyond, on the step and within bounds", () => {
    assert.deepEqual(rangeValues({ start: 1, end: 7, step: 1 }), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(rangeValues({ start: 0, end: 1, step: 0.1 }), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    assert.equal(rangeValues({ start: 0, end: 10, step: 1 }).length, 11);
    assert.equal(rangeValues({ start: 0, end: 11, step: 1 }), null);
    assert.equal(rangeValues({ start: 0, end: 100, step: 5 }), null);
    const big = item("r", "range", { range: { start: 0, end: 100, step: 5 } });
    assert.deepEqual(parseAnswer(big, "35"), { value: 35 });
    assert.deepEqual(parseAnswer(big, 35), { value: 35 });
    assert.deepEqual(parseAnswer(big, "101"), { error: "survey.out_of_range", args: { start: 0, end: 100 } });
    assert.deepEqual(parseAnswer(big, "33"), { error: "survey.off_step", args: { step: 5 } });
    assert.deepEqual(parseAnswer(big, ""), { skip: true });
    const fine = item("f", "range", { range: { start: 0, end: 2, step: 0.1 } });
    assert.deepEqual(parseAnswer(fine, "0,3"), { value: 0.3 });
  });

  it("text: trimmed, at most 2000 characters, empty is skipped", () => {
    const text = item("t", "text");
    assert.deepEqual(parseAnswer(text, "  plus de lumière "), { value: "plus de lumière" });
    assert.equal(parseAnswer(text, "x".repeat(2500)).value.length, 2000);
    assert.deepEqual(parseAnswer(text, "   "), { skip: true });
  });

  it("geopoint: lat, lon and accuracy_m; a note and an image are never answered", () => {
    const point = item("g", "geopoint");
    assert.deepEqual(parseAnswer(point, { lat: 50.3561, lon: 3.5187, accuracy_m: 8 }), {
      value: { lat: 50.3561, lon: 3.5187, accuracy_m: 8 },
    });
    assert.deepEqual(parseAnswer(point, { lat: 50.3561, lon: 3.5187 }).value.accuracy_m, null);
    assert.deepEqual(parseAnswer(point, null), { skip: true });
    assert.deepEqual(parseAnswer(item("n", "note"), "x"), { skip: true });
    assert.deepEqual(parseAnswer(item("i", "image"), "x"), { skip: true });
  });

  it("sends POST /answers's body: the uuid, the zone, the time with its offset, typed answers", () => {
    const q = form({ rechecks: [recheck(12, 3)] });
    const now = new Date("2026-12-01T20:40:00Z");
    const body = answerBody({
      id: "9b2f6d3e-0c1a-4e4b-9f5d-0d6f2a1b3c4d",
      questionnaire: q,
      answers: { use_frequency: "weekly", ps_feeling_safe: 5, modes: ["walk"], intro: "x", recheck_12: "better", stale: 1 },
      chosenZone: 3,
      now,
      isoWithOffset,
    });
    // AnswerIn refuses unknown fields: the offset travels in recorded_at, as a spot's does.
    assert.deepEqual(Object.keys(body).sort(), ["answers", "id", "questionnaire_id", "recorded_at", "zone_id"]);
    assert.equal(body.questionnaire_id, 7);
    assert.equal(body.zone_id, 3);
    assert.equal(new Date(body.recorded_at).getTime(), now.getTime());
    const offset = 0 - now.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    const hhmm = `${String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0")}:${String(Math.abs(offset) % 60).padStart(2, "0")}`;
    assert.ok(body.recorded_at.endsWith(`${sign}${hhmm}`), body.recorded_at);
    assert.deepEqual(body.answers, { use_frequency: "weekly", ps_feeling_safe: 5, modes: ["walk"], recheck_12: "better" });
    assert.equal(typeof body.answers.ps_feeling_safe, "number");
    assert.deepEqual(JSON.parse(JSON.stringify(body)), body);
    // The built-in questionnaire not stored yet: its id is null, sent as null.
    assert.equal(answerBody({ id: "x", questionnaire: { ...q, id: null }, answers: {}, chosenZone: null, now, isoWithOffset }).questionnaire_id, null);
  });
});

describe("the walk the phone keeps", () => {
  const shell = { kind: "appropriation_survey", questionnaire: form({ zone_id: 3 }) };

  it("is a survey only with its kind and a questionnaire", () => {
    assert.equal(isSurvey(shell), true);
    assert.equal(isSurvey({ kind: "appropriation_survey", questionnaire: null }), false);
    assert.equal(isSurvey({ kind: "exploratory_walk", questionnaire: form() }), false);
    assert.equal(isSurvey(null), false);
  });

  it("keeps the questionnaire she was shown and the QR code's zone, which the join's answer cannot know", () => {
    const answer = { id: 1, title: "Enquête", kind: "appropriation_survey", questionnaire: form({ id: 8 }) };
    const kept = keepSurvey(shell, answer);
    assert.equal(kept.questionnaire.zone_id, 3);
    assert.equal(kept.questionnaire.id, 7); // her answers so far stay those of her questions
    assert.equal(kept.title, "Enquête");
    assert.equal(keepSurvey(shell, { id: 1 }).kind, "appropriation_survey");
    // A shell without a questionnaire (the app opened offline): the answer's.
    assert.equal(keepSurvey({ questionnaire: null }, answer).questionnaire.id, 8);
    assert.deepEqual(keepSurvey({ kind: "exploratory_walk", questionnaire: null }, { id: 2 }), { id: 2 });
  });

  it("shows a label in her language, else the other", () => {
    assert.equal(words({ fr: "Oui", en: "Yes" }, "en"), "Yes");
    assert.equal(words({ fr: "Oui", en: "" }, "en"), "Oui");
    assert.equal(words(null, "fr"), "");
  });
});

describe("an answer in the outbox", () => {
  const answerOp = (id, extra = {}) => ({ ...newRecord("answer", `answer:${id}`, 1, { body: { id } }), seq: id, ...extra });

  it("is counted apart from the spots, refused ones too", () => {
    const summary = summarise([], [answerOp("a"), answerOp("b", { state: REFUSED, error: { code: "invalid" } })], 10);
    assert.equal(summary.waiting, 0);
    assert.equal(summary.problems, 0);
    assert.equal(summary.answersWaiting, 1);
    assert.equal(summary.answersRefused, 1);
    assert.deepEqual(
      summary.answers.map((a) => [a.id, a.state]),
      [
        ["a", "waiting"],
        ["b", "refused"],
      ],
    );
    assert.deepEqual(summary.spots, []);
  });

  it("is said in the sync bar", () => {
    const t = (key, args) => (args ? `${key}(${args.n})` : key);
    assert.equal(syncSentence({ waiting: 0, problems: 0, answersWaiting: 1 }, true, t), "sync.answers_one");
    assert.equal(syncSentence({ waiting: 0, problems: 0, answersWaiting: 1 }, false, t), "sync.answers_one. sync.offline_answers.");
    assert.equal(syncSentence({ waiting: 0, problems: 0, answersWaiting: 2 }, true, t), "sync.answers_many(2)");
    assert.equal(syncSentence({ waiting: 0, problems: 0, answersRefused: 1 }, true, t), "sync.answers_refused");
    assert.equal(syncSentence({ waiting: 0, problems: 0 }, true, t), "sync.none");
  });
});
