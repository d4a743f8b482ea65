/* walkapp participant app: join, tag spots, rate stops, my spots, erase — offline first.
 * Every sentence comes from the server's gettext catalogs (both languages, in the page), every
 * vocabulary label from GET /api/v1/taxonomy: the language switches without network.
 *
 * The entry module: reads the page's data, wires the controls and starts. The other modules
 * (the list is walkapp/participate/assets.py's MODULES, which the service worker precaches):
 *   state      what the screens share          ui        DOM helpers, sentences, maps
 *   screens    navigation, language, join, erasure
 *   tag        tagging a spot, the pin, photos, the route trace
 *   stop       rating a stop                   spots     my spots, editing one
 *   survey     the appropriation questionnaire's screens (its rules: questionnaire, pure)
 *   syncbar    what waits, "send now"          night     the night-mode toggle
 *   outbox     IndexedDB and sending           delivery  each record's state machine (pure)
 *   position   a spot's position (pure) and the GPS watcher
 *   photo      downscaling photos              map       Leaflet
 *   i18n, dates, guard, walkstatus: pure functions
 */
import { formatWalkTimes } from "./dates.js";
import { pickLanguage } from "./i18n.js";
import { followTheme, renderTheme, toggleTheme } from "./night.js";
import * as box from "./outbox.js";
import {
  applyLanguage,
  askPersistentStorage,
  codeDone,
  copyCode,
  eraseAll,
  homeHash,
  join,
  loadTaxonomy,
  onAgeChange,
  onConsent,
  onEraseWithCode,
  refreshMe,
  renderWalk,
  route,
  saveCode,
  showCode,
  switchLanguage,
} from "./screens.js";
import { editingSpot, onEditCancel, onEditSave } from "./spots.js";
import { app, local, setup } from "./state.js";
import { onStopChange, onStopSave } from "./stop.js";
import { scannedAgain } from "./survey.js";
import { flushNow, renderSync, renderSyncSoon } from "./syncbar.js";
import { currentSpot, onCategory, onDetails, onPhoto, pinAtCentre, pinBackToGps, tagAnother, toggleTrack } from "./tag.js";
import { $, all, say } from "./ui.js";

// The walk's times of the join screen, in the app's language (the server wrote the page's).
function renderWalkTimes() {
  const when = $("walk-times");
  if (when) when.textContent = formatWalkTimes(when.dataset.starts, when.dataset.ends, app.lang, when.dataset.timezone);
}

// The emergency numbers, one tap away on every screen (the header's control).
function showEmergency(open) {
  const panel = $("emergency");
  panel.hidden = !open;
  $("emergency-toggle").setAttribute("aria-expanded", String(open));
  if (open) $("emergency-h").focus();
  else $("emergency-toggle").focus();
}

function wire() {
  $("theme-toggle").addEventListener("click", () => toggleTheme(app.session && app.session.walk));
  followTheme();
  $("lang-toggle").addEventListener("click", () => {
    switchLanguage();
    renderWalkTimes();
  });
  $("emergency-toggle").addEventListener("click", () => showEmergency($("emergency").hidden));
  $("emergency-hide").addEventListener("click", () => showEmergency(false));
  $("emergency").addEventListener("keydown", (event) => {
    if (event.key === "Escape") showEmergency(false);
  });
  $("send-now").addEventListener("click", () => flushNow(true));
  if ($("consent-form")) {
    $("consent-form").addEventListener("submit", onConsent);
    $("profile-form").addEventListener("submit", (e) => {
      e.preventDefault();
      join(true);
    });
    $("profile-skip").addEventListener("click", () => join(false));
    for (const input of all('input[name="age_band"]')) input.addEventListener("change", onAgeChange);
  }
  $("code-done").addEventListener("click", codeDone);
  $("code-copy").addEventListener("click", copyCode);
  $("code-save").addEventListener("click", saveCode);
  $("show-code").addEventListener("click", showCode);
  for (const b of all("button.category")) b.addEventListener("click", () => onCategory(b.dataset.category));
  for (const input of all('#tag-form input[name="feeling"]')) input.addEventListener("change", () => say($("tag-error"), null));
  $("details-form").addEventListener("submit", onDetails);
  $("details-photo").addEventListener("change", () => onPhoto("details", currentSpot() && currentSpot().id));
  $("tag-another").addEventListener("click", tagAnother);
  $("tag-pin-centre").addEventListener("click", () => pinAtCentre("tag"));
  $("tag-pin-gps").addEventListener("click", pinBackToGps);
  $("edit-pin-centre").addEventListener("click", () => pinAtCentre("edit"));
  $("track-toggle").addEventListener("click", toggleTrack);
  $("stop-form").addEventListener("submit", onStopSave);
  $("stop-form").addEventListener("change", onStopChange);
  $("edit-form").addEventListener("submit", onEditSave);
  $("edit-cancel").addEventListener("click", onEditCancel);
  $("edit-photo").addEventListener("change", () => onPhoto("edit", editingSpot() && editingSpot().id));
  $("erase-all").addEventListener("click", () => {
    $("erase-confirm").hidden = false;
    $("erase-all").setAttribute("aria-expanded", "true");
    $("erase-yes").focus();
  });
  $("erase-no").addEventListener("click", () => {
    $("erase-confirm").hidden = true;
    $("erase-all").setAttribute("aria-expanded", "false");
    $("erase-all").focus();
  });
  $("erase-yes").addEventListener("click", eraseAll);
  $("erase-form").addEventListener("submit", onEraseWithCode);
  window.addEventListener("hashchange", () => route());
  window.addEventListener("online", () => flushNow(true));
  window.addEventListener("offline", () => {
    renderSync();
    renderWalk();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") flushNow(false);
  });
  box.onChange(renderSyncSoon);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "outbox-changed") renderSyncSoon();
    });
  }
}

function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  // A module worker: it imports outbox.js, the same module as the page.
  navigator.serviceWorker.register(app.config.sw, { scope: "/", type: "module" }).catch(() => {
    /* not a secure context (plain http on a phone): the app works, not offline */
  });
}

async function start() {
  const data = JSON.parse(document.getElementById("walkapp-data").textContent);
  setup(data);
  box.configure(data.config.outbox);
  app.lang = pickLanguage({
    languages: app.languages,
    stored: local("walkapp.lang"),
    cookie: document.cookie,
    preferred: navigator.languages || [navigator.language || ""],
    pageLang: data.lang,
  });
  wire();
  renderTheme();
  if (app.lang !== data.lang) applyLanguage();
  renderWalkTimes();
  registerWorker();
  loadTaxonomy();
  try {
    app.session = (await box.getSession()) || null;
  } catch (e) {
    app.session = null; // IndexedDB unavailable: joining still works, spots are sent at once
  }
  if (app.session && data.start === "join" && app.session.walk.code !== data.walk.code) {
    // Another walk: the earlier walk's waiting spots keep their own token in the outbox.
    app.session = null;
  }
  if (app.session) {
    try {
      app.me = (await box.kvGet("me")) || null; // the walk's state as last heard: offline too
      app.erasureCode = (await box.kvGet("erasureCode")) || null;
    } catch (e) {
      /* IndexedDB unavailable */
    }
  }
  if (app.session && data.start === "join") {
    await scannedAgain(data.walk); // a survey's QR scanned again: its zone, a new answer
    history.replaceState(null, "", `${app.config.app}#${homeHash()}`);
  }
  if (app.session && data.start === "erase") location.hash = "#erase";
  await route({ noFocus: true });
  renderSync();
  if (app.session) {
    askPersistentStorage();
    refreshMe(); // the server's rule, never the phone's guess: closed, or erased elsewhere
    flushNow(true);
  }
  document.documentElement.classList.add("ready");
}

start();
