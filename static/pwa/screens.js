/* walkapp: the screens and the way between them — join (consent, profile, erasure code), the
 * app's tabs (or, for an appropriation survey, its questionnaire: survey.js), erasure; and the
 * language, switched without network. */
import { isolate, nextLanguage } from "./i18n.js";
import * as box from "./outbox.js";
import { walkCentre } from "./position.js";
import { isSurvey, keepSurvey } from "./questionnaire.js";
import { openEdit, openSpots, renderSpots } from "./spots.js";
import { app, local } from "./state.js";
import { renderStops } from "./stop.js";
import { forgetSurvey, openSurvey, relabelSurvey } from "./survey.js";
import { renderSync } from "./syncbar.js";
import { forgetCurrent, openTag } from "./tag.js";
import { $, all, chosen, relabel, say, t, term } from "./ui.js";
import { CLOSED, PROBABLY_OVER, UNKNOWN, walkState } from "./walkstatus.js";

const APP_SCREENS = ["tag", "stop", "spots", "edit"];

// --- Language -------------------------------------------------------------------------------

export function applyLanguage() {
  document.documentElement.lang = app.lang;
  for (const el of all("[data-t]")) relabel(el);
  for (const el of all("[data-t-aria]")) el.setAttribute("aria-label", t(el.dataset.tAria));
  if (app.taxonomy) {
    for (const el of all("[data-vocab]")) {
      const [vocab, code] = el.dataset.vocab.split(":");
      const found = term(vocab, code);
      if (found) el.textContent = found.label[app.lang];
    }
    for (const el of all("[data-vocab-hint]")) {
      const [vocab, code] = el.dataset.vocabHint.split(":");
      const found = term(vocab, code);
      if (found && found.hint) el.textContent = found.hint[app.lang];
    }
  }
  const other = nextLanguage(app.languages, app.lang);
  const toggle = $("lang-toggle");
  toggle.lang = other;
  toggle.dataset.lang = other;
  toggle.textContent = app.data.language_names[other] || other;
  renderStops();
  renderSpots();
  renderSync();
  relabelSurvey();
}

export function switchLanguage() {
  app.lang = nextLanguage(app.languages, app.lang);
  local("walkapp.lang", app.lang);
  document.cookie = `lang=${app.lang}; path=/; max-age=31536000; samesite=lax`;
  applyLanguage();
}

export async function loadTaxonomy() {
  try {
    const response = await fetch(app.config.taxonomy);
    if (response.ok) {
      app.taxonomy = await response.json();
      applyLanguage();
    }
  } catch (e) {
    /* offline before the first visit finished: the labels rendered by the server stay */
  }
}

// --- Screens --------------------------------------------------------------------------------

export function show(name, options) {
  for (const section of all(".screen")) section.hidden = section.id !== `screen-${name}`;
  // A survey has no tabs (nothing to tag): its questionnaire, then « Merci ».
  const inApp = !!app.session && APP_SCREENS.includes(name) && !isSurvey(app.session.walk);
  $("tabs").hidden = !inApp;
  $("syncbar").hidden = !app.session;
  // No "rate a stop" on a walk without stops (stop.js's renderStops says the same).
  $("tab-stop").hidden = !(app.session && (app.session.walk.stops || []).length);
  $("show-code").hidden = !(app.session && app.erasureCode);
  renderWalk();
  for (const link of all("#tabs a")) {
    if (link.getAttribute("href") === `#${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const screen = $(`screen-${name}`);
  if (screen && !(options && options.noFocus)) {
    const heading = screen.querySelector("h1");
    if (heading) heading.focus({ preventScroll: false });
  }
  if (app.session) renderSync();
  if (name === "tag") openTag();
  if (name === "stop") renderStops();
  if (name === "spots") openSpots();
  const heading = screen ? screen.querySelector("h1") : null;
  const typed = heading && heading.querySelector("bdi"); // the walk's title, typed by a planner
  document.title = `${heading ? (typed ? isolate(heading.textContent) : heading.textContent) : ""} · walkapp`;
}

export async function route(options) {
  const { data } = app;
  if (!app.session) {
    if (data.start === "join" && $("screen-join")) return show("join", { noFocus: true });
    return show(data.start === "erase" || location.hash === "#erase" ? "erase" : "nowalk", options);
  }
  const hash = location.hash.slice(1);
  if (app.erasureCode && !(await box.kvGet("erasureSeen"))) return showCode();
  if (hash === "erase") return show("erase", options);
  // An appropriation survey: its questionnaire instead of tagging (« My spots » still erases).
  if (isSurvey(app.session.walk)) return hash === "spots" ? show("spots", options) : openSurvey(options);
  if (hash.startsWith("edit/")) return openEdit(hash.slice(5), show);
  if (hash === "stop" || hash === "spots") return show(hash, options);
  return show("tag", options);
}

// --- Join: consent, profile, erasure code ---------------------------------------------------

// The profile sent with the join (pure): every answer chosen when she joins with it; when she
// skips the questions, only an age band under 15 — it needs the guardian's agreement, and
// skipping must not drop that rule. choice(name) -> the chosen value or null ("" = no answer).
export function profileToSend(withProfile, fields, choice) {
  const profile = {};
  for (const name of fields) {
    const value = choice(name);
    if (!value) continue;
    if (withProfile || (name === "age_band" && value === "under_15")) profile[name] = value;
  }
  return Object.keys(profile).length ? profile : null;
}

const joinAnswers = { guardian: false, track: false, at: null };

export function onConsent(event) {
  event.preventDefault();
  const agree = $("agree");
  if (!agree.checked) {
    say($("consent-error"), "consent.required");
    agree.setAttribute("aria-invalid", "true");
    agree.focus();
    return;
  }
  agree.removeAttribute("aria-invalid");
  say($("consent-error"), null);
  joinAnswers.guardian = $("guardian").checked;
  joinAnswers.track = $("track-consent").checked;
  joinAnswers.at = new Date().toISOString(); // when she agreed: sent with a join that waits
  show("profile");
}

export function onAgeChange() {
  const under15 = chosen("age_band") === "under_15";
  $("guardian-again").hidden = !(under15 && !joinAnswers.guardian);
}

export async function join(withProfile) {
  const { data, config } = app;
  const guardian = joinAnswers.guardian || $("guardian-2").checked;
  const profile = profileToSend(withProfile, config.profile_fields, (name) => chosen(name));
  if (profile && profile.age_band === "under_15" && !guardian) {
    $("guardian-again").hidden = false;
    say($("profile-error"), "profile.guardian_needed");
    $("guardian-2").focus();
    return;
  }
  const buttons = all("#profile-form button");
  buttons.forEach((b) => (b.disabled = true));
  say($("profile-error"), "join.joining");
  const body = { consent: true, guardian_consent: guardian, track_consent: joinAnswers.track };
  if (profile) body.profile = profile;
  let response = null;
  if (navigator.onLine !== false) {
    try {
      response = await fetch(`${config.api}/walks/${encodeURIComponent(data.walk.code)}/participants`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (e) {
      response = null;
    }
  }
  buttons.forEach((b) => (b.disabled = false));
  if (!response) {
    // No signal at the meeting point: the join waits in the outbox, ahead of her spots.
    if (await joinLater(body)) return;
    say($("profile-error"), "join.offline");
    return;
  }
  if (response.status !== 201) {
    const key = response.status === 409 ? "join.closed" : response.status === 404 ? "join.unknown" : "join.error";
    say($("profile-error"), key);
    return;
  }
  const answer = await response.json();
  app.session = {
    token: answer.token,
    participantId: answer.participant_id,
    // A survey keeps the questionnaire she was shown, with the QR code's zone (keepSurvey).
    walk: { ...keepSurvey(data.walk, answer.walk), code: data.walk.code },
    trackConsent: joinAnswers.track,
    joinedAt: new Date().toISOString(),
  };
  await box.saveSession(app.session);
  await box.kvSet("erasureCode", answer.erasure_code);
  await box.kvSet("erasureSeen", false);
  app.erasureCode = answer.erasure_code;
  joined();
  history.replaceState(null, "", `${config.app}#${homeHash()}`); // reloads open the offline app
  showCode();
}

// The join with no network: a session with a local id and no token (spots are kept under that
// id), the join's request in the outbox with the time she agreed. False if the phone cannot
// keep it (no IndexedDB).
async function joinLater(body) {
  const { data, config } = app;
  const session = {
    token: null,
    localId: box.uuid(),
    participantId: null,
    walk: { ...data.walk },
    trackConsent: joinAnswers.track,
    joinedAt: new Date().toISOString(),
  };
  try {
    await box.queueJoin(session, data.walk.code, { ...body, consent_at: joinAnswers.at || session.joinedAt });
  } catch (e) {
    return false;
  }
  app.session = session;
  box.registerSync();
  joined();
  history.replaceState(null, "", `${config.app}#${homeHash()}`);
  route();
  return true;
}

// Where the app opens once joined: tagging, or the questionnaire of a survey.
export function homeHash() {
  return app.session && isSurvey(app.session.walk) ? "survey" : "tag";
}

// What both ways of joining do once the phone holds the session.
function joined() {
  local("walkapp.joined", "1");
  // Where theme.js computes the sun offline (not a spot's position).
  const centre = walkCentre(app.session.walk);
  if (centre) local("walkapp.place", `${centre.lat},${centre.lon}`);
  askPersistentStorage();
  say($("profile-error"), null);
  document.documentElement.classList.add("joined");
}

// The erasure code: shown once after joining, then again on demand (“My spots”) as long as the
// phone holds the session; it can be copied, and saved (the share sheet, or a small file).
export async function showCode() {
  app.erasureCode = app.erasureCode || (await box.kvGet("erasureCode")) || null;
  $("erasure-code").textContent = app.erasureCode || "";
  say($("code-msg"), null);
  show("code");
}

export async function codeDone() {
  await box.kvSet("erasureSeen", true); // shown once by itself; again from “My spots”
  if (location.hash !== `#${homeHash()}`) history.replaceState(null, "", `${app.config.app}#${homeHash()}`);
  route();
}

export async function copyCode() {
  try {
    await navigator.clipboard.writeText(app.erasureCode);
    say($("code-msg"), "code.copied");
  } catch (e) {
    say($("code-msg"), "code.not_saved");
  }
}

export async function saveCode() {
  const text = t("code.file", { code: app.erasureCode });
  if (navigator.share) {
    try {
      await navigator.share({ title: t("code.title"), text });
      say($("code-msg"), "code.saved");
      return;
    } catch (e) {
      if (e && e.name === "AbortError") return; // she closed the share sheet
    }
  }
  try {
    const url = URL.createObjectURL(new Blob([`${text}\n`], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "walkapp-erasure-code.txt";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    say($("code-msg"), "code.saved");
  } catch (e) {
    say($("code-msg"), "code.not_saved");
  }
}

// --- The walk's state (GET /api/v1/me) -------------------------------------------------------

// An answer older than this, or any answer while offline, is no longer "fresh": the phone then
// judges from the server's clock as last seen (walkstatus.walkState).
const FRESH_MS = 2 * 60 * 1000;

export function currentWalkState(now = Date.now()) {
  if (!app.session || !app.me) return UNKNOWN;
  const fresh = navigator.onLine !== false && now - app.me.answeredAt < FRESH_MS;
  return walkState(app.me.me, { answeredAt: app.me.answeredAt, deviceNow: now, fresh });
}

// The walk's state on every screen: closed (nothing new offered), or probably over (offline,
// after the planned end plus the grace: a new spot is kept, "sent if the walk is still open").
export function renderWalk() {
  const state = currentWalkState();
  const root = document.documentElement;
  root.classList.toggle("walk-closed", state === CLOSED);
  root.classList.toggle("walk-probably-over", state === PROBABLY_OVER);
  const banner = $("walk-state");
  if (!banner) return;
  banner.hidden = !(state === CLOSED || state === PROBABLY_OVER);
  if (state === CLOSED) say(banner, "walk.closed");
  else if (state === PROBABLY_OVER) say(banner, "walk.probably_over");
  else say(banner, null);
}

// Ask the server how the walk is (at load and after each answer). A 401 with the code `erased`
// — erased from another phone with the erasure code — forgets this token's copy and says so;
// any other 401 keeps everything.
export async function refreshMe() {
  const session = app.session;
  if (!session || !session.token) return renderWalk();
  const answer = await box.fetchMe(session.token);
  if (app.session !== session) return null;
  if (answer && answer.status === 200 && answer.body && answer.body.walk) {
    const { walk, late_sync_minutes: late, now } = answer.body;
    app.me = { me: { ...walk, late_sync_minutes: late, now }, answeredAt: Date.now() };
    box.kvSet("me", app.me).catch(() => {});
  } else if (answer && answer.status === 401 && answer.body && answer.body.codes && answer.body.codes.auth === "erased") {
    return erasedElsewhere(session.token);
  }
  renderWalk();
  return null;
}

export async function erasedElsewhere(token) {
  try {
    await box.forgetToken(token);
  } catch (e) {
    /* IndexedDB gone: nothing is left to forget */
  }
  forgetSession();
  history.replaceState(null, "", app.config.app);
  $("erased-elsewhere").hidden = false;
  show("erased");
}

export function askPersistentStorage() {
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().catch(() => {});
  }
}

// --- Erasure --------------------------------------------------------------------------------

export async function eraseAll() {
  say($("erase-all-msg"), null);
  try {
    await box.eraseEverything();
  } catch (e) {
    say($("erase-all-msg"), "erase.needs_network");
    return;
  }
  forgetSession();
  history.replaceState(null, "", app.config.app);
  $("erased-elsewhere").hidden = true;
  show("erased");
}

function forgetSession() {
  app.session = null;
  app.me = null;
  app.erasureCode = null;
  forgetCurrent();
  forgetSurvey();
  for (const key of ["walkapp.joined", "walkapp.place", "walkapp.trackPaused"]) local(key, null);
  document.documentElement.classList.remove("joined");
  renderSync();
}

// The answer's status -> the sentence shown (pure).
export function erasureMessage(status) {
  if (status === 429) return "erase.too_many";
  return status === 404 || status === 422 ? "erase.unknown" : "join.error";
}

export async function onEraseWithCode(event) {
  event.preventDefault();
  const input = $("erasure-input");
  const code = input.value.trim();
  if (!code) {
    input.focus();
    return;
  }
  let status;
  try {
    status = await box.eraseWithCode(code);
  } catch (e) {
    say($("erase-msg"), "erase.needs_network");
    return;
  }
  if (status === 204) {
    input.value = "";
    say($("erase-msg"), null);
    input.removeAttribute("aria-invalid");
    show("erased");
    return;
  }
  input.setAttribute("aria-invalid", "true");
  say($("erase-msg"), erasureMessage(status));
}
