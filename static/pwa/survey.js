/* walkapp: the appropriation questionnaire's screens — one question per screen, big buttons,
 * « Passer » everywhere, « Retour » to the previous one, then « Merci ». What is asked and in
 * which order is questionnaire.js's (pure); this draws it and keeps the answers so far on the
 * phone (IndexedDB, kv "survey": a reload resumes where she was). At the end the answer gets its
 * uuid, once, and goes to the outbox with the draft marked done, in one transaction; the outbox
 * sends it (POST /answers) like a spot, offline too.
 * Every word from the questionnaire is the planner's (or the XLSForm's): textContent only.
 */
import { isoWithOffset } from "./dates.js";
import * as box from "./outbox.js";
import { accuracyWords, choosePosition, createWatcher } from "./position.js";
import { answerBody, isSurvey, nextKey, parseAnswer, progress, rangeValues, screens, words, ZONE } from "./questionnaire.js";
import { show, showCode } from "./screens.js";
import { app } from "./state.js";
import { flushSoon } from "./syncbar.js";
import { $, say, t } from "./ui.js";

const DRAFT_KEY = "survey";
// A new question's buttons wait this long: a double tap on a slow phone must not answer the
// next question too (the same place on the screen).
const SETTLE_MS = 250;

// {walkId, questionnaireId, answers: {code: value}, zone: id | null, trail: [keys], at: key |
// null (not started), done: the answer's uuid once queued | null}
let draft = null;
let watcher = null;
let finishing = false;
let settleTimer = null;
let wired = false;

export const surveyActive = () => !!app.session && isSurvey(app.session.walk);
// A question is on the screen: nothing else takes it over (a join answered meanwhile waits).
export const surveyAsking = () => !!$("screen-survey") && !$("screen-survey").hidden;

const questionnaire = () => app.session.walk.questionnaire;
const list = () => screens(questionnaire(), draft.answers, draft.zone);

function freshDraft() {
  return {
    walkId: app.session.walk.id,
    questionnaireId: questionnaire().id,
    answers: {},
    zone: null,
    trail: [],
    at: null,
    done: null,
  };
}

const mine = (d) => !!d && d.walkId === app.session.walk.id && d.questionnaireId === questionnaire().id;

async function loadDraft() {
  if (mine(draft)) return draft;
  let stored = null;
  try {
    stored = await box.kvGet(DRAFT_KEY);
  } catch (e) {
    /* no IndexedDB: the answers so far live in this page only */
  }
  draft = mine(stored) ? stored : freshDraft();
  return draft;
}

function keep() {
  return box.kvSet(DRAFT_KEY, draft).catch(() => {});
}

export function forgetSurvey() {
  draft = null;
}

// The join link scanned again (a permanent QR, another day): the shell's questionnaire, with
// the zone of this QR, is hers now, and one already answered starts again (a new answer, a new
// uuid at its end).
export async function scannedAgain(shellWalk) {
  if (!surveyActive() || !isSurvey(shellWalk)) return;
  const { questionnaire: fresh, kind } = shellWalk;
  app.session = { ...app.session, walk: { ...app.session.walk, kind, questionnaire: fresh } };
  try {
    await box.updateSession((s) => ({ ...s, walk: { ...s.walk, kind, questionnaire: fresh } }));
  } catch (e) {
    /* no IndexedDB: this page knows it */
  }
  await loadDraft();
  if (draft.done) {
    draft = freshDraft();
    await keep();
  }
}

// --- Opening and drawing ------------------------------------------------------------------

function wireOnce() {
  if (wired) return;
  wired = true;
  $("survey-form").addEventListener("submit", (event) => {
    event.preventDefault();
    onNext();
  });
  $("survey-skip").addEventListener("click", () => advance(undefined));
  $("survey-back").addEventListener("click", onBack);
  $("survey-position").addEventListener("click", onUsePosition);
  $("thanks-code").addEventListener("click", showCode);
}

// The questionnaire where she left it, or « Merci » once answered.
export async function openSurvey(options) {
  wireOnce();
  await loadDraft();
  if (draft.done) return showThanks(options);
  const screensNow = list();
  if (!screensNow.some((s) => s.key === draft.at)) draft.at = nextKey(screensNow, null);
  if (draft.at === null) return finish(); // nothing to ask (every item irrelevant or an image)
  return render(options);
}

function current() {
  return list().find((s) => s.key === draft.at) || null;
}

function render(options) {
  const screen = current();
  if (!screen) return null;
  draw(screen, null);
  show("survey", options);
  needPosition(screen.item && screen.item.type === "geopoint");
  settle();
  return null;
}

// The language changed: the same question in the other language, what she typed kept.
export function relabelSurvey() {
  if (!draft || $("screen-survey").hidden) return;
  const screen = current();
  if (screen) draw(screen, typedNow());
}

function settle() {
  const form = $("survey-form");
  const controls = Array.from(form.querySelectorAll("button"));
  controls.forEach((b) => (b.disabled = true));
  clearTimeout(settleTimer);
  settleTimer = setTimeout(() => controls.forEach((b) => (b.disabled = false)), SETTLE_MS);
}

// What is typed or ticked on the screen now (kept across a language switch).
function typedNow() {
  const input = $("survey-input");
  if (input) return input.value;
  const boxes = Array.from($("survey-body").querySelectorAll('input[type="checkbox"]'));
  return boxes.length ? boxes.filter((b) => b.checked).map((b) => b.value) : null;
}

function draw(screen, typed) {
  const { item } = screen;
  const all = list();
  // « 3 / 12 » shown (the same in every language), « Question 3 sur 12 » said.
  const { n, total } = progress(all, screen.key);
  $("survey-progress-shown").textContent = `${n} / ${total}`;
  say($("survey-progress-said"), "survey.progress", { n, total });
  const heading = $("survey-q");
  const hint = $("survey-hint");
  const body = $("survey-body");
  body.replaceChildren();
  say($("survey-error"), null);
  if (screen.kind === "zone") {
    say(heading, "survey.zone");
    hint.hidden = true;
  } else {
    delete heading.dataset.t;
    heading.textContent = words(item.prompt, app.lang);
    const hintText = words(item.hint, app.lang);
    hint.textContent = hintText;
    hint.hidden = !hintText;
  }
  let next = false; // « Suivant »: what is not one tap
  $("survey-position-box").hidden = true;
  if (screen.kind === "zone") drawZones(body);
  else if (screen.kind === "note") next = true;
  else if (item.type === "select_one") drawChoices(body, item);
  else if (item.type === "select_multiple") next = drawMany(body, item, typed);
  else if (item.type === "range" && rangeValues(item.range)) drawRange(body, item);
  else if (item.type === "geopoint") drawPosition();
  else next = drawInput(body, item, typed);
  $("survey-next").hidden = !next;
  $("survey-skip").hidden = screen.kind === "note";
  $("survey-back").hidden = draft.trail.length === 0;
}

function bigButton(text, pressed, onTap) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "survey-choice";
  b.dir = "auto";
  b.textContent = text;
  b.setAttribute("aria-pressed", String(!!pressed));
  b.addEventListener("click", onTap);
  return b;
}

function group(body, className) {
  const div = document.createElement("div");
  div.className = className;
  div.setAttribute("role", "group");
  div.setAttribute("aria-labelledby", "survey-q");
  body.appendChild(div);
  return div;
}

function drawZones(body) {
  const div = group(body, "survey-choices");
  for (const zone of questionnaire().zones || []) {
    div.appendChild(bigButton(zone.name, draft.zone === zone.id, () => advance({ zone: zone.id })));
  }
  const unknown = bigButton(t("survey.dont_know"), false, () => advance({ zone: null }));
  unknown.dataset.t = "survey.dont_know";
  unknown.classList.add("secondary");
  div.appendChild(unknown);
}

function drawChoices(body, item) {
  const div = group(body, "survey-choices");
  const given = draft.answers[item.code];
  for (const choice of item.choices || []) {
    div.appendChild(bigButton(words(choice.label, app.lang), given === choice.code, () => advance({ value: choice.code })));
  }
}

function drawMany(body, item, typed) {
  const given = typed || draft.answers[item.code] || [];
  const fieldset = document.createElement("fieldset");
  fieldset.className = "choices survey-many";
  fieldset.setAttribute("aria-labelledby", "survey-q");
  const help = document.createElement("p");
  help.className = "small";
  say(help, "survey.choose_many");
  fieldset.appendChild(help);
  for (const choice of item.choices || []) {
    const label = document.createElement("label");
    label.className = "choice";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = choice.code;
    input.checked = given.includes(choice.code);
    const text = document.createElement("span");
    text.dir = "auto";
    text.textContent = words(choice.label, app.lang);
    label.append(input, text);
    fieldset.appendChild(label);
  }
  body.appendChild(fieldset);
  return true;
}

function drawRange(body, item) {
  const div = group(body, "survey-range");
  const given = draft.answers[item.code];
  const values = rangeValues(item.range);
  // One row up to 7 (1 to 7 fits a 320 px phone at 48 px a button), else two even rows.
  div.style.setProperty("--columns", String(values.length <= 7 ? values.length : Math.ceil(values.length / 2)));
  for (const value of values) {
    div.appendChild(bigButton(String(value), given === value, () => advance({ value })));
  }
}

function drawInput(body, item, typed) {
  const given = draft.answers[item.code];
  const text = item.type === "text";
  const input = document.createElement(text ? "textarea" : "input");
  input.id = "survey-input";
  input.setAttribute("aria-labelledby", "survey-q");
  input.setAttribute("aria-describedby", "survey-error");
  input.dir = "auto";
  if (text) {
    input.rows = 4;
    input.maxLength = 2000;
  } else {
    input.type = "text"; // not type=number: « 2,5 » is a number on a French phone
    input.inputMode = item.type === "integer" ? "numeric" : "decimal";
    input.autocomplete = "off";
  }
  input.value = typed !== null && typed !== undefined ? typed : given === undefined ? "" : String(given);
  const field = document.createElement("div");
  field.className = "field";
  if (item.type === "range" && item.range) {
    const help = document.createElement("p");
    help.className = "small";
    say(help, "survey.range_hint", { start: item.range.start, end: item.range.end });
    field.appendChild(help);
  }
  field.appendChild(input);
  body.appendChild(field);
  return true;
}

// --- A position (geopoint): the app's watcher, one tap to give it -------------------------

function needPosition(on) {
  if (!watcher && !on) return;
  if (!watcher) {
    watcher = createWatcher({
      onFix: (fix) => {
        app.position = fix;
        app.positionError = null;
        renderPosition();
      },
      onError: (error) => {
        app.positionError = error;
        renderPosition();
      },
    });
    watcher.setVisible(document.visibilityState !== "hidden");
    document.addEventListener("visibilitychange", () => watcher.setVisible(document.visibilityState !== "hidden"));
  }
  watcher.need("survey", on);
}

function drawPosition() {
  $("survey-position-box").hidden = false;
  renderPosition();
}

function fixNow() {
  return choosePosition({ fix: app.position, now: Date.now() });
}

function renderPosition() {
  if ($("survey-position-box").hidden) return;
  const place = fixNow();
  const status = $("survey-position-status");
  $("survey-position").hidden = !place;
  if (place) say(status, "survey.position_at", { m: accuracyWords(place.accuracy_m || 0).m });
  else if (app.positionError === "denied") say(status, "survey.position_denied");
  else if (app.positionError) say(status, "survey.position_none");
  else say(status, "pos.searching");
}

function onUsePosition() {
  const place = fixNow();
  if (!place) return renderPosition();
  return advance({ value: { lat: place.lat, lon: place.lon, accuracy_m: place.accuracy_m } });
}

// --- Moving on ----------------------------------------------------------------------------

function onNext() {
  const screen = current();
  if (!screen) return null;
  if (screen.kind === "note") return advance(undefined);
  const parsed = parseAnswer(screen.item, typedNow());
  if (parsed.error) {
    say($("survey-error"), parsed.error, parsed.args);
    const input = $("survey-input");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
    return null;
  }
  return advance(parsed.skip ? undefined : { value: parsed.value });
}

// Record this screen's answer (undefined: skipped) and go to the next screen asked, from the
// answers now (a `relevant` may have changed), or finish.
function advance(given) {
  if (finishing || !draft || draft.done) return null;
  const screen = current();
  if (!screen) return null;
  if (screen.kind === "zone") draft.zone = given ? given.zone : null;
  else if (given && given.value !== undefined) draft.answers[screen.key] = given.value;
  else delete draft.answers[screen.key];
  draft.trail.push(screen.key);
  const next = nextKey(list(), screen.key);
  if (next === null) return finish();
  draft.at = next;
  keep();
  return render();
}

function onBack() {
  if (!draft || !draft.trail.length) return;
  const screensNow = list();
  let previous = draft.trail.pop();
  // A screen no longer asked (its `relevant` changed meanwhile) is passed over.
  while (previous !== undefined && !screensNow.some((s) => s.key === previous)) previous = draft.trail.pop();
  if (previous === undefined) previous = nextKey(screensNow, null);
  draft.at = previous;
  keep();
  render();
}

// The end: the answer gets its uuid (once), goes to the outbox with the draft marked done in
// the same transaction, and the outbox sends it now if it can.
async function finish() {
  if (finishing || draft.done) return showThanks();
  finishing = true;
  try {
    const id = box.uuid();
    const body = answerBody({
      id,
      questionnaire: questionnaire(),
      answers: draft.answers,
      chosenZone: draft.zone,
      now: new Date(),
      isoWithOffset,
    });
    const done = { ...draft, done: id, at: null };
    await box.queueAnswer(body, { [DRAFT_KEY]: done });
    draft = done;
  } catch (e) {
    finishing = false;
    say($("survey-error"), "join.error");
    return null;
  }
  finishing = false;
  needPosition(false);
  box.registerSync();
  flushSoon();
  return showThanks();
}

async function showThanks(options) {
  show("thanks", options);
  $("thanks-code").hidden = !app.erasureCode;
  try {
    renderThanks(await box.state());
  } catch (e) {
    say($("thanks-msg"), "thanks.local");
  }
  // Joined with no signal: the erasure code came meanwhile, shown once, now that she is done.
  if (app.erasureCode && !(await box.kvGet("erasureSeen").catch(() => true))) showCode();
}

// « Merci »'s sentence from the outbox's summary: kept on the phone, sent, or refused.
export function renderThanks(summary) {
  if (!draft || !draft.done || $("screen-thanks").hidden) return;
  const mine_ = (summary.answers || []).find((a) => a.id === draft.done);
  const key = !mine_ ? "thanks.sent" : mine_.state === "refused" ? "thanks.refused" : "thanks.local";
  const msg = $("thanks-msg");
  if (msg.dataset.t !== key) say(msg, key);
  $("thanks-code").hidden = !app.erasureCode;
}
