/* walkapp: "my spots" — the list and map with each spot's state, edit, delete, erase all. */
import { formatDateTime } from "./dates.js";
import { numbers } from "./delivery.js";
import * as box from "./outbox.js";
import { currentWalkState } from "./screens.js";
import { app } from "./state.js";
import { flushSoon } from "./syncbar.js";
import { resetDetails } from "./tag.js";
import { $, all, button, chosen, ensureMap, forgetThumbs, pieces, ratingsOf, say, setRatings, showThumb, t, vocabLabel } from "./ui.js";
import { CLOSED } from "./walkstatus.js";

// The sentence of each refusal code (delivery.judge); any other: "invalid", with the detail.
const PROBLEM_KEYS = {
  closed: "problem.closed",
  conflict: "problem.conflict",
  session: "problem.session",
  erased: "problem.session",
  too_big: "problem.too_big",
  gone: "problem.gone",
};
// The one state each spot shows (delivery.SHOWN); "refused" says its reason (problemText).
const STATE_KEYS = {
  sent: "state.sent",
  waiting: "state.waiting",
  deleting: "state.deleting",
  position_needed: "pos.none",
};

let renders = 0;
// The spot whose "delete?" question is open. The list is drawn again whenever the outbox
// changes (a sync lands): the question must stay open, and keep the focus, across that.
let confirmingDelete = null;
let editing = null; // the spot open in the edit screen
let editPin = null;
// A pin moved on the edit screen and not saved yet, by spot id: kept across tab changes until
// she saves or cancels (the page's memory: a reload forgets it).
const pinDrafts = new Map();

function problemText(problem) {
  const key = PROBLEM_KEYS[problem.code];
  const message = key ? t(key) : t("problem.invalid", { detail: problem.detail || problem.status });
  return t("state.problem", { message });
}

// Its state in words, as the list and the map say it.
function stateTextOf(spot) {
  return spot.problem ? problemText(spot.problem) : t(STATE_KEYS[spot.state] || "state.waiting");
}

function timeOf(spot) {
  try {
    return formatDateTime(spot.body.recorded_at, app.lang, app.session && app.session.walk.timezone);
  } catch (e) {
    return "";
  }
}

export async function openSpots() {
  await renderSpots();
  const map = await ensureMap("spots", $("spots-map"));
  if (map) renderSpots();
}

export async function renderSpots() {
  const list = $("spots-list");
  if (!list || !app.session || $("screen-spots").hidden) return;
  const mine = ++renders;
  const state = await box.state();
  const trackProblem = await box.kvGet("trackProblem");
  if (mine !== renders) return; // a newer render is on its way: never list twice
  const focusInConfirm = Boolean(document.activeElement && document.activeElement.closest(".confirm-delete"));
  forgetThumbs();
  list.textContent = "";
  $("spots-empty").hidden = state.spots.length > 0;
  $("track-problem").hidden = !trackProblem;
  const shown = numbers(state.spots); // given at capture: a deletion renumbers nothing
  const closed = currentWalkState() === CLOSED;
  for (const spot of state.spots) list.appendChild(spotItem(spot, shown.get(spot.id), closed));
  const openConfirm = list.querySelector(".confirm-delete:not([hidden]) button");
  if (focusInConfirm && openConfirm) openConfirm.focus();
  if (app.maps.spots) {
    app.maps.spots.setSpots(state.spots, (spot) => t("spots.marker", { n: shown.get(spot.id), state: stateTextOf(spot) }));
  }
}

// "Stop 2: Parvis de la gare" for a stop's rating (the name in a <bdi>), else nothing.
function stopOf(spot) {
  const id = spot.body.stop_id;
  const stop = id && app.session && (app.session.walk.stops || []).find((s) => s.id === id);
  return stop ? pieces("stop.name", { n: stop.number, name: stop.name }, ["name"]) : null;
}

function spotItem(spot, n, closed) {
  const li = document.createElement("li");
  li.className = `spot state-${spot.state}`;
  li.dataset.state = spot.state; // exactly one: waiting, sent, refused, deleting, position_needed
  const title = document.createElement("h2");
  title.className = "spot-title";
  const what = `${vocabLabel("category", spot.body.category)} · ${vocabLabel("feeling", spot.body.feeling)}`;
  title.textContent = t("spots.item", { n, what });
  const meta = document.createElement("p");
  meta.className = spot.problem ? "small error" : "small";
  const parts = [timeOf(spot), stopOf(spot), stateTextOf(spot)].filter(Boolean);
  meta.replaceChildren(...parts.flatMap((part, i) => (i ? [" · "] : []).concat(part)));
  li.append(title, meta);
  if (spot.body.comment) {
    const comment = document.createElement("p");
    comment.dir = "auto"; // her own words, in their own direction
    comment.textContent = spot.body.comment; // text, never HTML
    li.appendChild(comment);
  }
  if (spot.photos.length) {
    const thumbs = document.createElement("div");
    thumbs.className = "thumbs";
    for (const photo of spot.photos) if (photo.thumb) showThumb(thumbs, photo.thumb, t("spots.photo", { n }));
    li.appendChild(thumbs);
  }
  const actions = document.createElement("div");
  actions.className = "row";
  if (spot.state !== "deleting") {
    // A closed walk takes no change (the server refuses a PATCH): no "Edit" is offered.
    if (!closed) {
      actions.appendChild(
        button(t("spots.edit_short"), t("spots.edit", { n }), "secondary", () => {
          location.hash = `#edit/${spot.id}`;
        }),
      );
    }
    const confirm = document.createElement("div");
    confirm.className = "row confirm-delete";
    confirm.hidden = confirmingDelete !== spot.id;
    const del = button(t("spots.delete_short"), t("spots.delete", { n }), "secondary", () => {
      confirmingDelete = spot.id;
      confirm.hidden = false;
      del.setAttribute("aria-expanded", "true");
      confirm.querySelector("button").focus();
    });
    del.setAttribute("aria-expanded", String(!confirm.hidden));
    const question = document.createElement("p");
    question.textContent = t("spots.confirm_delete");
    confirm.append(
      question,
      button(t("spots.yes_delete"), null, "danger", async () => {
        confirmingDelete = null;
        await box.remove(spot.id);
        flushSoon();
        renderSpots();
      }),
      button(t("spots.cancel"), null, "secondary", () => {
        confirmingDelete = null;
        confirm.hidden = true;
        del.setAttribute("aria-expanded", "false");
        del.focus();
      }),
    );
    actions.appendChild(del);
    li.append(actions, confirm);
  } else {
    li.appendChild(actions);
  }
  if (spot.problem) {
    actions.appendChild(
      button(t("spots.dismiss"), null, "secondary", async () => {
        await box.dismiss(spot.id);
        renderSpots();
      }),
    );
  }
  return li;
}

// --- Edit a spot ----------------------------------------------------------------------------

export const editingSpot = () => editing;

// show: screens.show (passed in, so that this module does not depend on the navigation).
export async function openEdit(id, show) {
  const state = await box.state();
  const spot = state.spots.find((s) => s.id === id);
  if (!spot || spot.state === "deleting" || currentWalkState() === CLOSED) {
    location.hash = "#spots";
    return;
  }
  editing = spot;
  editPin = pinDrafts.get(id) || null;
  show("edit");
  const form = $("edit-form");
  for (const input of all('input[name="edit-feeling"]', form)) input.checked = input.value === String(spot.body.feeling);
  $("edit-category").value = spot.body.category;
  resetDetails("edit");
  $("edit-comment").value = spot.body.comment || "";
  setRatings("edit", spot.body.ratings);
  for (const photo of spot.photos) if (photo.thumb) showThumb($("edit-thumbs"), photo.thumb, t("spots.photo", { n: "" }));
  const map = await ensureMap("edit", $("edit-map"));
  if (map) {
    map.onPin = (lat, lon) => {
      editPin = { lat, lon };
      pinDrafts.set(spot.id, editPin);
    };
    const where = editPin || spot.body;
    map.showPin(where.lat, where.lon, t("map.title"));
  }
}

// "Cancel" on the edit screen: the moved pin is given up.
export function onEditCancel() {
  if (editing) pinDrafts.delete(editing.id);
  editPin = null;
}

export async function onEditSave(event) {
  event.preventDefault();
  if (!editing) return;
  const changes = {
    feeling: Number(chosen("edit-feeling") || editing.body.feeling),
    category: $("edit-category").value,
    comment: $("edit-comment").value.trim() || null,
    ratings: ratingsOf("edit"),
  };
  if (currentWalkState() === CLOSED) {
    say($("edit-msg"), "edit.closed"); // never "saved on this phone": the server would refuse it
    return;
  }
  if (editPin) Object.assign(changes, { lat: editPin.lat, lon: editPin.lon, accuracy_m: null, position_source: "pin" });
  await box.edit(editing.id, changes);
  pinDrafts.delete(editing.id);
  say($("edit-msg"), "edit.saved");
  flushSoon();
}
