/* walkapp: the appropriation questionnaire's rules — pure functions, no DOM, no storage.
 *
 * What the phone asks, in order (/tmp contract of issue 18): the zone ("Where are you?",
 * skipped when the QR code carried it or the project has no zones), then the items whose
 * `relevant` holds (a note is shown, not answered; an image is not asked yet), then at most
 * `max_rechecks` re-check items, those of her zone first. Every screen can be skipped: a skipped
 * item is absent from the answers. survey.js draws the screens; tests/js/questionnaire.test.mjs
 * tests these.
 */

export const ZONE = "zone"; // the key of the zone question's screen
export const SURVEY_KIND = "appropriation_survey";
export const TEXT_MAX = 2000;
export const BUTTON_STEPS_MAX = 11; // a range of up to 11 values is a row of buttons
const NOT_ASKED = new Set(["image"]); // photos are a later slice

// Whether a walk (the join's answer, or the shell's) is an appropriation survey to answer.
export function isSurvey(walk) {
  return !!walk && walk.kind === SURVEY_KIND && !!walk.questionnaire && Array.isArray(walk.questionnaire.items);
}

// --- relevant: OR of ANDs -----------------------------------------------------------------

// The server's reading (domain.appropriation.Condition.holds), so that the phone and the
// figures agree on what was asked: "=" compares the answer as text (a skipped item equals
// nothing, a list of codes no literal), "!=" is its negation (true for a skipped item),
// "selected" looks in a select_multiple's codes only.
function same(value, literal) {
  if (value === undefined || value === null || Array.isArray(value) || typeof value === "object") return false;
  return String(value) === String(literal);
}

// One condition {q, op, value} on the answers so far.
export function holds(condition, answers) {
  const value = answers[condition.q];
  switch (condition.op) {
    case "=":
      return same(value, condition.value);
    case "!=":
      return !same(value, condition.value);
    case "selected":
      return Array.isArray(value) && value.map(String).includes(String(condition.value));
    default:
      return false; // refused at import: never asked rather than asked wrongly
  }
}

// null (or no list) asks the item; else any inner list whose conditions all hold.
export function isRelevant(relevant, answers) {
  if (!Array.isArray(relevant) || relevant.length === 0) return true;
  return relevant.some((all) => Array.isArray(all) && all.every((condition) => holds(condition, answers)));
}

// --- The re-checks ------------------------------------------------------------------------

// At most `max`: those of her zone first (in list order), then the others (in list order).
export function pickRechecks(rechecks, zoneId, max) {
  const list = Array.isArray(rechecks) ? rechecks : [];
  const limit = Number.isInteger(max) && max >= 0 ? max : 5;
  const mine = zoneId === null || zoneId === undefined ? [] : list.filter((r) => r.zone_id === zoneId);
  const others = list.filter((r) => !mine.includes(r));
  return [...mine, ...others].slice(0, limit);
}

// --- The screens --------------------------------------------------------------------------

// Whether the zone is asked: not when the QR code carried it, nor when there are no zones.
export function asksZone(questionnaire) {
  return questionnaire.zone_id === null || questionnaire.zone_id === undefined
    ? Array.isArray(questionnaire.zones) && questionnaire.zones.length > 0
    : false;
}

// Her zone: the QR code's, else the one she chose (null: "I don't know", or skipped).
export function zoneOf(questionnaire, chosen) {
  if (questionnaire.zone_id !== null && questionnaire.zone_id !== undefined) return questionnaire.zone_id;
  const zones = questionnaire.zones || [];
  return zones.some((z) => z.id === chosen) ? chosen : null;
}

// The screens in order, from the answers so far: [{key, kind: "zone" | "item" | "note" |
// "recheck", item}]. An item's `relevant` sees only the answers of the items asked before it
// (an answer given to an item that is no longer asked counts as skipped).
export function screens(questionnaire, answers, chosenZone) {
  const out = [];
  if (asksZone(questionnaire)) out.push({ key: ZONE, kind: "zone", item: null });
  const kept = {};
  for (const item of questionnaire.items || []) {
    if (NOT_ASKED.has(item.type) || !isRelevant(item.relevant, kept)) continue;
    out.push({ key: item.code, kind: item.type === "note" ? "note" : "item", item });
    if (item.type !== "note" && answers[item.code] !== undefined) kept[item.code] = answers[item.code];
  }
  const zone = zoneOf(questionnaire, chosenZone);
  for (const recheck of pickRechecks(questionnaire.rechecks, zone, questionnaire.max_rechecks)) {
    out.push({ key: recheck.code, kind: "recheck", item: { ...recheck, type: "select_one" } });
  }
  return out;
}

// The screen after `key` (the first when key is null), or null at the end.
export function nextKey(list, key) {
  if (key === null || key === undefined) return list.length ? list[0].key : null;
  const at = list.findIndex((s) => s.key === key);
  if (at < 0) return list.length ? list[0].key : null;
  return at + 1 < list.length ? list[at + 1].key : null;
}

// "3 / 12": the screen's place among the screens asked now.
export function progress(list, key) {
  const at = list.findIndex((s) => s.key === key);
  return { n: at < 0 ? 1 : at + 1, total: list.length };
}

// --- Answers ------------------------------------------------------------------------------

// The values of a range, when few enough for a row of buttons (else null: a number field).
export function rangeValues(range) {
  if (!range) return null;
  const { start, end } = range;
  const step = Math.abs(range.step || 1);
  if (![start, end, step].every(Number.isFinite) || step === 0) return null;
  const count = Math.floor(Math.abs(end - start) / step + 1e-9) + 1;
  if (count > BUTTON_STEPS_MAX) return null;
  const sign = end >= start ? 1 : -1;
  return Array.from({ length: count }, (_, i) => tidy(start + sign * i * step));
}

// 0.1 + 0.2 is 0.30000000000000004: a value on a decimal step keeps ten decimals at most.
function tidy(x) {
  return Math.round(x * 1e10) / 1e10;
}

// A number typed on a French phone: "2,5" is 2.5.
function number(raw) {
  const text = String(raw).trim().replace(/\s/g, "").replace(",", ".");
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) return null;
  return Number(text);
}

// What she typed (or chose) for an item -> {value}, {skip: true} (nothing given: absent), or
// {error: sentence key, args}. select_multiple: the chosen codes, in the choices' order;
// geopoint: a position from position.js's choosePosition.
export function parseAnswer(item, raw) {
  if (raw === undefined || raw === null) return { skip: true };
  switch (item.type) {
    case "select_one": {
      const codes = (item.choices || []).map((c) => c.code);
      return codes.includes(raw) ? { value: raw } : { skip: true };
    }
    case "select_multiple": {
      const picked = new Set(Array.isArray(raw) ? raw : [raw]);
      const value = (item.choices || []).map((c) => c.code).filter((code) => picked.has(code));
      return value.length ? { value } : { skip: true };
    }
    case "text": {
      const value = String(raw).trim();
      if (!value) return { skip: true };
      return { value: value.slice(0, TEXT_MAX) };
    }
    case "integer": {
      if (String(raw).trim() === "") return { skip: true };
      const text = String(raw).trim().replace(/\s/g, "");
      if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) return { error: "survey.need_integer" };
      return { value: Number(text) };
    }
    case "decimal": {
      if (String(raw).trim() === "") return { skip: true };
      const value = number(raw);
      return value === null || !Number.isFinite(value) ? { error: "survey.need_number" } : { value };
    }
    case "range":
      return rangeAnswer(item.range, raw);
    case "geopoint": {
      if (!Number.isFinite(raw.lat) || !Number.isFinite(raw.lon)) return { skip: true };
      const accuracy = Number.isFinite(raw.accuracy_m) ? raw.accuracy_m : null;
      return { value: { lat: raw.lat, lon: raw.lon, accuracy_m: accuracy } };
    }
    default:
      return { skip: true }; // a note, an image: never answered here
  }
}

function rangeAnswer(range, raw) {
  if (typeof raw !== "number" && String(raw).trim() === "") return { skip: true };
  const value = typeof raw === "number" ? raw : number(raw);
  if (value === null || !Number.isFinite(value) || !range) return { error: "survey.need_number" };
  const low = Math.min(range.start, range.end);
  const high = Math.max(range.start, range.end);
  if (value < low || value > high) return { error: "survey.out_of_range", args: { start: low, end: high } };
  const step = Math.abs(range.step || 1);
  const steps = (value - range.start) / step;
  if (Math.abs(steps - Math.round(steps)) > 1e-9) return { error: "survey.off_step", args: { step } };
  return { value: tidy(value) };
}

// The answers to send: those of the screens asked now (an item that became irrelevant after
// she went back is dropped), never a note's. {code: value}.
export function answersToSend(questionnaire, answers, chosenZone) {
  const out = {};
  for (const screen of screens(questionnaire, answers, chosenZone)) {
    if (screen.kind === "zone" || screen.kind === "note") continue;
    if (answers[screen.key] !== undefined) out[screen.key] = answers[screen.key];
  }
  return out;
}

// POST /api/v1/answers's body. id: the uuid made on the phone, once, when she finishes;
// now: a Date. recorded_at carries the phone's offset, like a spot's: the server keeps it as
// utc_offset_minutes (AnswerIn refuses unknown fields, so it is not sent twice).
// questionnaire_id null: the project's built-in questionnaire, not stored yet.
export function answerBody({ id, questionnaire, answers, chosenZone, now, isoWithOffset }) {
  return {
    id,
    questionnaire_id: questionnaire.id ?? null,
    zone_id: zoneOf(questionnaire, chosenZone),
    recorded_at: isoWithOffset(now),
    answers: answersToSend(questionnaire, answers, chosenZone),
  };
}

// The walk a join's answer gives, with the questionnaire of the shell she joined from when it
// had one: the questions she is answering (perhaps since the join waited offline) stay those
// she was shown, and the zone of the QR code she scanned is kept (the join request does not
// carry it, so the answer's questionnaire has none).
export function keepSurvey(shellWalk, answerWalk) {
  const walk = { ...answerWalk };
  if (!shellWalk || !shellWalk.questionnaire) return walk;
  walk.questionnaire = shellWalk.questionnaire;
  walk.kind = walk.kind || shellWalk.kind;
  return walk;
}

// The label of a prompt or choice in her language, else in the other one.
export function words(text, lang) {
  if (!text) return "";
  if (typeof text === "string") return text;
  return text[lang] || text.fr || text.en || Object.values(text).find(Boolean) || "";
}
