/* walkapp: the screens and the way between them — join (consent, profile, erasure code), the
 * app's tabs, erasure; and the language, switched without network. */
import { nextLanguage } from "./i18n.js";
import * as box from "./outbox.js";
import { walkCentre } from "./position.js";
import { openEdit, openSpots, renderSpots } from "./spots.js";
import { app, local } from "./state.js";
import { renderStops } from "./stop.js";
import { renderSync } from "./syncbar.js";
import { forgetCurrent, openTag } from "./tag.js";
import { $, all, chosen, say, t, term } from "./ui.js";

const APP_SCREENS = ["tag", "stop", "spots", "edit"];

// --- Language -------------------------------------------------------------------------------

export function applyLanguage() {
  document.documentElement.lang = app.lang;
  for (const el of all("[data-t]")) el.textContent = t(el.dataset.t, el.dataset.tArgs ? JSON.parse(el.dataset.tArgs) : null);
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
  const inApp = !!app.session && APP_SCREENS.includes(name);
  $("tabs").hidden = !inApp;
  $("syncbar").hidden = !app.session;
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
  document.title = `${screen ? screen.querySelector("h1").textContent : ""} · walkapp`;
}

export async function route(options) {
  const { data } = app;
  if (!app.session) {
    if (data.start === "join" && $("screen-join")) return show("join", { noFocus: true });
    return show(data.start === "erase" || location.hash === "#erase" ? "erase" : "nowalk", options);
  }
  const hash = location.hash.slice(1);
  if (await box.kvGet("erasureCode")) return showCode();
  if (hash === "erase") return show("erase", options);
  if (hash.startsWith("edit/")) return openEdit(hash.slice(5), show);
  if (hash === "stop" || hash === "spots") return show(hash, options);
  return show("tag", options);
}

// --- Join: consent, profile, erasure code ---------------------------------------------------

const joinAnswers = { guardian: false, track: false };

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
  show("profile");
}

export function onAgeChange() {
  const under15 = chosen("age_band") === "under_15";
  $("guardian-again").hidden = !(under15 && !joinAnswers.guardian);
}

export async function join(withProfile) {
  const { data, config } = app;
  const guardian = joinAnswers.guardian || $("guardian-2").checked;
  let profile = null;
  if (withProfile) {
    profile = {};
    for (const name of config.profile_fields) {
      const value = chosen(name);
      if (value) profile[name] = value;
    }
    if (!Object.keys(profile).length) profile = null;
  }
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
  let response;
  try {
    response = await fetch(`${config.api}/walks/${encodeURIComponent(data.walk.code)}/participants`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (e) {
    response = null;
  }
  buttons.forEach((b) => (b.disabled = false));
  if (!response || response.status !== 201) {
    const key = !response ? "join.offline" : response.status === 409 ? "join.closed"
      : response.status === 404 ? "join.unknown" : "join.error";
    say($("profile-error"), key);
    return;
  }
  const answer = await response.json();
  app.session = {
    token: answer.token,
    participantId: answer.participant_id,
    walk: { ...answer.walk, code: data.walk.code },
    trackConsent: joinAnswers.track,
    joinedAt: new Date().toISOString(),
  };
  await box.saveSession(app.session);
  await box.kvSet("erasureCode", answer.erasure_code);
  local("walkapp.joined", "1");
  // Where theme.js computes the sun offline (not a spot's position).
  const centre = walkCentre(app.session.walk);
  if (centre) local("walkapp.place", `${centre.lat},${centre.lon}`);
  askPersistentStorage();
  say($("profile-error"), null);
  history.replaceState(null, "", `${config.app}#tag`); // reloads open the offline app
  showCode();
}

export async function showCode() {
  $("erasure-code").textContent = (await box.kvGet("erasureCode")) || "";
  show("code");
}

export async function codeDone() {
  await box.kvDelete("erasureCode"); // shown once
  if (location.hash !== "#tag") history.replaceState(null, "", `${app.config.app}#tag`);
  route();
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
  show("erased");
}

function forgetSession() {
  app.session = null;
  forgetCurrent();
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
