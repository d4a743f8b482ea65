/* walkapp: the "tag a spot" screen — the position, a feeling then a category (saved on the phone
 * at once), then the details: photo, comment, criteria, the pin moved by hand. And the route
 * trace, only with consent, only while the app is open. */
import { isoWithOffset } from "./dates.js";
import * as box from "./outbox.js";
import { shrinkPhoto } from "./photo.js";
import { accuracyWords, tracePointDue, walkCentre, watchPosition } from "./position.js";
import { app, local } from "./state.js";
import { flushSoon } from "./syncbar.js";
import { $, all, chosen, ensureMap, ratingsOf, say, showThumb, t } from "./ui.js";

const THUMB_SIDE = 240; // the thumbnail kept on the phone for "my spots"

let pinByHand = null; // the pin moved by hand before saving
let current = null; // the spot just saved on this screen
let watching = false;
let lastTrack = null;

export const currentSpot = () => current;

export function forgetCurrent() {
  current = null;
}

// --- Position -------------------------------------------------------------------------------

export function startWatching() {
  if (watching) return;
  watching = watchPosition(onPosition, onPositionError);
}

function onPosition(fix) {
  app.position = fix;
  app.positionError = null;
  renderPosition();
  if (!pinByHand && !current && app.maps.tag) app.maps.tag.showPin(fix.lat, fix.lon, t("map.title"));
  recordTrack();
}

function onPositionError(error) {
  app.positionError = error;
  renderPosition();
}

function renderPosition() {
  const el = $("position");
  if (pinByHand) return say(el, "pos.manual");
  const { position, positionError } = app;
  if (!position) return say(el, positionError === "denied" ? "pos.denied" : positionError ? "pos.none" : "pos.searching");
  const { key, m } = accuracyWords(position.accuracy);
  say(el, key, { m });
}

const accuracyOf = (fix) => Math.round(fix.accuracy * 10) / 10;

// Today's rule (issue 10 moves it to position.choosePosition): the pin, else the last fix, else
// the walk's centre.
function spotPlace() {
  if (pinByHand) return { lat: pinByHand.lat, lon: pinByHand.lon, accuracy_m: null };
  const position = app.position;
  if (position) return { lat: position.lat, lon: position.lon, accuracy_m: accuracyOf(position) };
  const centre = walkCentre(app.session && app.session.walk) || { lat: 0, lon: 0 };
  return { lat: centre.lat, lon: centre.lon, accuracy_m: null };
}

// --- Route trace ----------------------------------------------------------------------------

export function trackOn() {
  return !!(app.session && app.session.trackConsent) && local("walkapp.trackPaused") !== "1";
}

export function renderTrack() {
  const consented = !!(app.session && app.session.trackConsent);
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

export async function openTag() {
  startWatching();
  renderPosition();
  renderTrack();
  const map = await ensureMap("tag", $("tag-map"));
  if (!map) return;
  map.onPin = onTagPin;
  const where = current ? current.body : pinByHand || app.position || walkCentre(app.session.walk);
  if (where) map.showPin(where.lat, where.lon, t("map.title"));
}

async function onTagPin(lat, lon) {
  if (current) {
    await box.edit(current.id, { lat, lon, accuracy_m: null });
    current.body = { ...current.body, lat, lon };
    say($("details-msg"), "pos.manual");
    flushSoon();
  } else {
    pinByHand = { lat, lon };
    renderPosition();
  }
  $("tag-pin-gps").hidden = false;
}

export function pinAtCentre(name) {
  const map = app.maps[name];
  if (!map) return;
  const c = map.centre();
  map.movePin(c.lat, c.lon, true);
}

export async function pinBackToGps() {
  const position = app.position;
  if (!position) return;
  $("tag-pin-gps").hidden = true;
  if (app.maps.tag) app.maps.tag.showPin(position.lat, position.lon);
  if (current) {
    const place = { lat: position.lat, lon: position.lon, accuracy_m: accuracyOf(position) };
    await box.edit(current.id, place);
    current.body = { ...current.body, ...place };
    flushSoon();
  } else {
    pinByHand = null;
    renderPosition();
  }
}

export async function onCategory(code) {
  const feeling = chosen("feeling", $("tag-form"));
  if (!feeling) {
    say($("tag-error"), "feeling.first");
    const first = $("tag-form").querySelector('input[name="feeling"]');
    if (first) first.focus();
    return;
  }
  say($("tag-error"), null);
  const body = { id: box.uuid(), ...spotPlace(), recorded_at: isoWithOffset(new Date()), category: code, feeling: Number(feeling) };
  current = await box.capture(body);
  box.registerSync();
  showSaved();
  flushSoon();
}

export function resetDetails(prefix) {
  $(`${prefix}-comment`).value = "";
  for (const input of all(`#screen-${prefix === "details" ? "tag" : "edit"} .criteria input`)) input.checked = false;
  say($(`${prefix}-photo-msg`), null);
  $(`${prefix}-thumbs`).textContent = "";
  say($(`${prefix}-msg`), null);
}

function showSaved() {
  $("tag-new").hidden = true;
  $("tag-saved").hidden = false;
  $("harassment").hidden = current.body.category !== "harassment";
  resetDetails("details");
  say($("saved-msg"), "saved.local");
  $("saved-msg").focus();
}

export function tagAnother() {
  current = null;
  pinByHand = null;
  for (const input of all('#tag-form input[name="feeling"]')) input.checked = false;
  $("tag-new").hidden = false;
  $("tag-saved").hidden = true;
  $("tag-pin-gps").hidden = true;
  renderPosition();
  if (app.maps.tag && app.position) app.maps.tag.showPin(app.position.lat, app.position.lon);
  const heading = $("screen-tag").querySelector("h1");
  heading.focus();
}

export async function onDetails(event) {
  event.preventDefault();
  if (!current) return;
  const changes = { comment: $("details-comment").value.trim() || null, ratings: ratingsOf("details") };
  await box.edit(current.id, changes);
  say($("details-msg"), "details.saved");
  flushSoon();
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
