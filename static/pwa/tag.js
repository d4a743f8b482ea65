/* walkapp: the "tag a spot" screen — the position, a feeling then a category (saved on the phone
 * at once), then the details: photo, comment, criteria (kept as she types), the pin moved by
 * hand. A spot tagged with no position (location refused, no fix yet) waits on the phone as
 * "position to confirm", the map first, until she places the pin or chooses her stop: it is
 * never given a position nobody gave (position.choosePosition). One tap = one spot (guard.js).
 * The position is watched only while the app is visible and something needs it (battery).
 * And the route trace, only with consent, only while the app is open. */
import { isoWithOffset } from "./dates.js";
import { createGuard } from "./guard.js";
import * as box from "./outbox.js";
import { shrinkPhoto } from "./photo.js";
import { accuracyWords, choosePosition, createWatcher, isFresh, lateFixFits, tracePointDue } from "./position.js";
import { app, local } from "./state.js";
import { flushSoon } from "./syncbar.js";
import { $, all, chosen, ensureMap, ratingsOf, say, sayIsolated, showThumb, t } from "./ui.js";

const THUMB_SIDE = 240; // the thumbnail kept on the phone for "my spots"
const PENDING_KEY = "pendingSpot"; // IndexedDB (kv): the spot waiting for its position
const TYPED_SAVE_MS = 700; // a comment is kept this long after she stops typing

let pinByHand = null; // the pin moved by hand before saving
let current = null; // the spot just saved on this screen
let pending = null; // {body, at, walkId}: a spot tagged without a position, not in the outbox yet
let watcher = null;
let lastTrack = null;
let wired = false;
let typedTimer = null;
let keeping = Promise.resolve();
const guard = createGuard();
let tagRound = 0; // one per "tag a spot" form shown: a new spot after "Tag another spot" is a new action

export const currentSpot = () => current;

export function forgetCurrent() {
  current = null;
  pending = null;
  pinByHand = null;
}

// --- Position -------------------------------------------------------------------------------

function ensureWatcher() {
  if (watcher) return watcher;
  watcher = createWatcher({ onFix: onPosition, onError: onPositionError });
  const visible = () => document.visibilityState !== "hidden";
  watcher.setVisible(visible());
  document.addEventListener("visibilitychange", () => watcher.setVisible(visible()));
  // The tag screen needs a fresh fix while it is shown (screens.show() hides and shows it).
  const screen = $("screen-tag");
  if (screen && typeof MutationObserver === "function") {
    new MutationObserver(() => watcher.need("tag", !screen.hidden)).observe(screen, {
      attributes: true,
      attributeFilter: ["hidden"],
    });
  }
  return watcher;
}

export function startWatching() {
  ensureWatcher().need("tag", true);
}

// The last fix, if it still says where she is now.
function freshFix() {
  const fix = app.position;
  return fix && isFresh(fix, Date.now()) ? fix : null;
}

function onPosition(fix) {
  app.position = fix;
  app.positionError = null;
  renderPosition();
  if (pending) {
    // Tagged a moment ago, before the first fix: this fix is where she tagged it.
    if (lateFixFits(fix, pending.at)) placePending(choosePosition({ fix, now: Date.now() }));
    else renderPendingGps();
  } else if (!pinByHand && !current && app.maps.tag) app.maps.tag.showPin(fix.lat, fix.lon, t("map.title"));
  recordTrack();
}

function onPositionError(error) {
  app.positionError = error;
  renderPosition();
}

// "Try again": ask for the position again (the permission turned back on, or the sky found).
function retryPosition() {
  app.positionError = null;
  renderPosition(); // "Looking for your position…"
  $("position").focus(); // the button hides: the focus goes to what it says now
  ensureWatcher().retry();
}

function renderPosition() {
  const el = $("position");
  if (pinByHand) {
    $("position-help").hidden = true;
    return say(el, "pos.manual");
  }
  const { positionError } = app;
  const position = freshFix();
  // Refused or not found: how to turn it back on, and "Try again".
  $("position-help").hidden = !positionError || !!position || !!pinByHand;
  if (!position) return say(el, positionError === "denied" ? "pos.denied" : positionError ? "pos.none" : "pos.searching");
  const { key, m } = accuracyWords(position.accuracy);
  say(el, key, { m });
}

const accuracyOf = (fix) => Math.round(fix.accuracy * 10) / 10;

// Where the spot is and where that came from (the pin, else a fresh fix), or null: nobody
// gave a position yet, and the spot waits for one (never the walk's centre).
function spotPlace() {
  return choosePosition({ fix: app.position, pin: pinByHand, now: Date.now() });
}

// --- Route trace ----------------------------------------------------------------------------

export function trackOn() {
  return !!(app.session && app.session.trackConsent) && local("walkapp.trackPaused") !== "1";
}

export function renderTrack() {
  const consented = !!(app.session && app.session.trackConsent);
  ensureWatcher().need("track", trackOn()); // the trace needs fixes, on any screen
  $("track-note").hidden = !consented;
  if (!consented) return;
  say($("track-text"), trackOn() ? "track.on" : "track.paused");
  say($("track-toggle"), trackOn() ? "track.pause" : "track.resume");
}

function recordTrack() {
  const position = app.position;
  if (!trackOn() || !position) return;
  const now = Date.now();
  if (!tracePointDue(lastTrack, position, now)) return;
  lastTrack = { ...position, at: now };
  box
    .addTrackPoint({
      t: new Date(now).toISOString(),
      lat: position.lat,
      lon: position.lon,
      accuracy_m: accuracyOf(position),
    })
    .catch(() => {});
}

export function toggleTrack() {
  local("walkapp.trackPaused", trackOn() ? "1" : null);
  renderTrack();
}

// --- The screen -----------------------------------------------------------------------------

function wireOnce() {
  if (wired) return;
  wired = true;
  // What she types is kept as she types (and before "Tag another spot"), never dropped.
  $("details-comment").addEventListener("input", () => {
    clearTimeout(typedTimer);
    typedTimer = setTimeout(() => keepTyped(), TYPED_SAVE_MS);
  });
  $("details-comment").addEventListener("change", () => keepTyped());
  $("details-form").addEventListener("change", (event) => {
    if (event.target.closest(".criteria")) keepTyped();
  });
  $("pending-cancel").addEventListener("click", cancelPending);
  $("position-retry").addEventListener("click", retryPosition);
}

export async function openTag() {
  wireOnce();
  startWatching();
  renderPosition();
  renderTrack();
  if (!current && !pending) await restorePending();
  if (pending) showPending();
  else if (!current && !$("tag-saved").hidden) showNew(); // the spot was forgotten (erasure)
  const map = await ensureMap("tag", $("tag-map"));
  if (!map) return;
  map.onPin = onTagPin;
  const where = current ? current.body : pending ? null : pinByHand || freshFix();
  if (where) map.showPin(where.lat, where.lon, t("map.title"));
  else map.clearPin();
}

async function onTagPin(lat, lon) {
  const place = choosePosition({ pin: { lat, lon } });
  if (!place) return;
  if (pending) return placePending(place);
  if (current) {
    await movePlace(place);
    say($("details-msg"), "pos.manual");
  } else {
    pinByHand = { lat, lon };
    renderPosition();
  }
  $("tag-pin-gps").hidden = false;
}

// The saved spot moves: the new place goes with its source (a PATCH without one would make it
// "unknown" on the server).
async function movePlace(place) {
  await box.edit(current.id, place);
  current.body = box.clean({ ...current.body, ...place });
  flushSoon();
}

export function pinAtCentre(name) {
  const map = app.maps[name];
  if (!map) return;
  const c = map.centre();
  map.movePin(c.lat, c.lon, true);
}

export async function pinBackToGps() {
  const place = choosePosition({ fix: app.position, now: Date.now() });
  if (!place) {
    $("tag-pin-gps").hidden = true;
    return;
  }
  if (pending) return placePending(place);
  $("tag-pin-gps").hidden = true;
  if (app.maps.tag) app.maps.tag.showPin(place.lat, place.lon);
  if (current) {
    await movePlace(place);
  } else {
    pinByHand = null;
    renderPosition();
  }
}

// One tap on a category = one spot: a second tap (a bounce, a double tap on a slow phone) while
// the first is saved, or just after, does nothing; the next spot (after "Tag another spot")
// is another action, however soon.
export function onCategory(code) {
  return guard.run(`category:${tagRound}`, () => tagWith(code));
}

async function tagWith(code) {
  if (current || pending) return; // the screen already shows a spot just tagged
  const feeling = chosen("feeling", $("tag-form"));
  if (!feeling) {
    say($("tag-error"), "feeling.first");
    const first = $("tag-form").querySelector('input[name="feeling"]');
    if (first) first.focus();
    return;
  }
  say($("tag-error"), null);
  const now = Date.now();
  const body = { id: box.uuid(), recorded_at: isoWithOffset(new Date(now)), category: code, feeling: Number(feeling) };
  const place = spotPlace();
  if (!place) {
    pending = { body, at: now, walkId: app.session.walk.id };
    try {
      await box.kvSet(PENDING_KEY, pending);
    } catch (e) {
      /* no IndexedDB: it waits in this page only */
    }
    showPending({ focus: true });
    return;
  }
  current = await box.capture({ ...body, ...place });
  box.registerSync();
  showSaved();
  flushSoon();
}

// --- A spot waiting for its position --------------------------------------------------------

async function restorePending() {
  let stored = null;
  try {
    stored = await box.kvGet(PENDING_KEY);
  } catch (e) {
    return;
  }
  if (stored && app.session && stored.walkId === app.session.walk.id && !current && !pending) pending = stored;
}

// The map first (tap or drag the pin), then the stops she may be at; nothing else until placed.
function showPending(options) {
  $("tag-new").hidden = true;
  $("tag-saved").hidden = false;
  $("tag-pending").hidden = false;
  $("details-form").hidden = true;
  $("tag-another").hidden = true;
  $("harassment").hidden = pending.body.category !== "harassment";
  const box_ = $("tag-map").closest(".map-box");
  if (box_ && box_.previousElementSibling !== $("saved-msg")) {
    $("saved-msg").after(box_);
    if (app.maps.tag) app.maps.tag.refresh();
  }
  say($("saved-msg"), "saved.pending");
  $("saved-msg").classList.add("to-place");
  renderPendingStops();
  renderPendingGps();
  if (options && options.focus) $("saved-msg").focus();
}

function renderPendingStops() {
  const stops = (app.session && app.session.walk.stops) || [];
  $("pending-stops").hidden = stops.length === 0;
  const list = $("pending-stop-list");
  list.textContent = "";
  for (const stop of stops) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    sayIsolated(b, "stop.name", { n: stop.number, name: stop.name }, ["name"]);
    b.addEventListener("click", () => {
      const place = choosePosition({ stop });
      if (place) placePending({ ...place, stop_id: stop.id });
    });
    list.appendChild(b);
  }
}

// A fix came too late to be where she tagged: she may still choose it herself.
function renderPendingGps() {
  const gps = $("tag-pin-gps");
  const fix = freshFix();
  gps.hidden = !fix;
  if (fix) say(gps, "pin.use_gps", { m: accuracyWords(fix.accuracy).m });
}

function placePending(place) {
  return guard.run("place", async () => {
    if (!pending || !place) return;
    const spot = pending;
    current = await box.capture({ ...spot.body, ...place });
    pending = null;
    try {
      await box.kvDelete(PENDING_KEY);
    } catch (e) {
      /* no IndexedDB */
    }
    if (app.maps.tag) app.maps.tag.showPin(place.lat, place.lon, t("map.title"));
    box.registerSync();
    showSaved();
    flushSoon();
  });
}

async function cancelPending() {
  pending = null;
  try {
    await box.kvDelete(PENDING_KEY);
  } catch (e) {
    /* no IndexedDB */
  }
  tagAnother();
}

function leavePending() {
  $("tag-pending").hidden = true;
  $("saved-msg").classList.remove("to-place");
  $("details-form").hidden = false;
  $("tag-another").hidden = false;
  say($("tag-pin-gps"), "pin.gps");
  const box_ = $("tag-map").closest(".map-box");
  if (box_ && box_.parentElement !== $("screen-tag")) {
    $("screen-tag").appendChild(box_);
    if (app.maps.tag) app.maps.tag.refresh();
  }
}

export function resetDetails(prefix) {
  $(`${prefix}-comment`).value = "";
  for (const input of all(`#screen-${prefix === "details" ? "tag" : "edit"} .criteria input`)) input.checked = false;
  say($(`${prefix}-photo-msg`), null);
  $(`${prefix}-thumbs`).textContent = "";
  say($(`${prefix}-msg`), null);
}

function showSaved() {
  leavePending();
  $("tag-pin-gps").hidden = true;
  $("tag-new").hidden = true;
  $("tag-saved").hidden = false;
  $("harassment").hidden = current.body.category !== "harassment";
  resetDetails("details");
  say($("saved-msg"), "saved.local");
  $("saved-msg").focus();
}

export async function tagAnother() {
  clearTimeout(typedTimer);
  await keepTyped(); // what she typed and did not save goes with the spot
  current = null;
  pinByHand = null;
  if (pending) return showPending({ focus: true }); // still waiting for its position
  showNew();
  const heading = $("screen-tag").querySelector("h1");
  heading.focus();
}

function showNew() {
  tagRound += 1;
  leavePending();
  for (const input of all('#tag-form input[name="feeling"]')) input.checked = false;
  $("tag-new").hidden = false;
  $("tag-saved").hidden = true;
  $("tag-pin-gps").hidden = true;
  renderPosition();
  const fix = freshFix();
  if (app.maps.tag) {
    if (fix) app.maps.tag.showPin(fix.lat, fix.lon);
    else app.maps.tag.clearPin();
  }
}

// The details typed on this screen that differ from the spot's record (pure): {} when none.
// body: the record; typed: {comment, ratings} as read from the form (null when empty).
export function detailChanges(body, typed) {
  const changes = {};
  const comment = (typed.comment || "").trim() || null;
  if (comment !== ((body && body.comment) || null)) changes.comment = comment;
  const ratings = typed.ratings && Object.keys(typed.ratings).length ? typed.ratings : null;
  if (!sameRatings(ratings, (body && body.ratings) || null)) changes.ratings = ratings;
  return changes;
}

function sameRatings(a, b) {
  if (!a || !b) return !a && !b;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

// Keep what is typed in the details into the spot's record (one at a time, in order).
function keepTyped() {
  keeping = keeping.then(async () => {
    const spot = current;
    if (!spot) return false;
    const changes = detailChanges(spot.body, { comment: $("details-comment").value, ratings: ratingsOf("details") });
    if (!Object.keys(changes).length) return false;
    await box.edit(spot.id, changes);
    spot.body = box.clean({ ...spot.body, ...changes });
    flushSoon();
    return true;
  }).catch(() => false);
  return keeping;
}

export async function onDetails(event) {
  event.preventDefault();
  if (!current) return;
  clearTimeout(typedTimer);
  await keepTyped();
  say($("details-msg"), "details.saved");
}

// --- Photos (the details of this screen and the edit screen) ---------------------------------

export async function onPhoto(prefix, spotId) {
  const input = $(`${prefix}-photo`);
  const file = input.files && input.files[0];
  if (!file || !spotId) return;
  const message = $(`${prefix}-photo-msg`);
  say(message, "photo.working");
  try {
    const { blob, thumb } = await shrinkPhoto(file, { maxSide: app.config.photo_max_side, thumbSide: THUMB_SIDE });
    await box.addPhoto(spotId, blob, thumb);
    showThumb($(`${prefix}-thumbs`), thumb, t("photo.saved"));
    say(message, "photo.saved");
    box.registerSync();
    flushSoon();
  } catch (e) {
    say(message, "photo.failed");
  }
  input.value = "";
}
