/* walkapp: the "rate a stop" screen — the nine criteria (0–3) at a stop of the route. Its
 * position is the stop's (position_source "stop"); one tap on "save" = one rating (guard.js). */
import { isoWithOffset } from "./dates.js";
import { createGuard } from "./guard.js";
import * as box from "./outbox.js";
import { choosePosition, nearestStop } from "./position.js";
import { app } from "./state.js";
import { flushSoon } from "./syncbar.js";
import { $, all, chosen, pieces, ratingsOf, say } from "./ui.js";

let categoryTouched = false; // she chose the category herself: the ratings no longer set it
const guard = createGuard();
let formRound = 0; // a change in the form (a feeling, a rating): the next "save" is a new action

// The category a stop rating stands for: its worst rated criterion when it is 0 or 1, "what
// works" when every criterion is 2 or more, else none. criterionCategory: the configuration's
// criterion -> category (a criterion without one, such as perceived_safety, decides nothing).
export function stopCategory(ratings, criterionCategory) {
  if (!ratings) return null;
  let worst = null;
  for (const [code, value] of Object.entries(ratings)) {
    if (criterionCategory[code] && (!worst || value < worst.value)) worst = { code, value };
  }
  if (worst && worst.value <= 1) return criterionCategory[worst.code];
  return Object.values(ratings).every((v) => v >= 2) ? "good_place" : null;
}

export function renderStops() {
  const list = $("stop-list");
  if (!list || !app.session) return;
  const stops = app.session.walk.stops || [];
  $("stop-none").hidden = stops.length > 0;
  $("stop-form").hidden = stops.length === 0;
  $("tab-stop").hidden = stops.length === 0;
  const selected = chosen("stop", list);
  list.textContent = "";
  const nearest = nearestStop(app.position, stops);
  for (const stop of stops) {
    const label = document.createElement("label");
    label.className = "choice";
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "stop";
    input.value = String(stop.id);
    input.checked = selected ? selected === String(stop.id) : nearest ? nearest.id === stop.id : stop === stops[0];
    const text = document.createElement("span");
    text.replaceChildren(...pieces("stop.name", { n: stop.number, name: stop.name }, ["name"]));
    label.append(input, text);
    list.appendChild(label);
  }
}

export function onStopChange(event) {
  formRound += 1;
  if (event.target.id === "stop-category") categoryTouched = true;
  else if (event.target.closest(".rating") && !categoryTouched) {
    const category = stopCategory(ratingsOf("stop"), app.config.criterion_category);
    if (category) $("stop-category").value = category;
  }
}

// A second tap (a bounce, a double tap on a slow phone) while the first is saved, or just after,
// saves nothing more; a rating changed since is a new one, however soon.
export function onStopSave(event) {
  event.preventDefault();
  return guard.run(`save:${formRound}`, saveRating);
}

async function saveRating() {
  const stopId = Number(chosen("stop", $("stop-list")));
  const stop = (app.session.walk.stops || []).find((s) => s.id === stopId);
  const feeling = chosen("stop-feeling");
  if (!feeling) {
    say($("stop-error"), "stop.need_feeling");
    $("stop-form").querySelector('input[name="stop-feeling"]').focus();
    return;
  }
  const place = choosePosition({ stop });
  if (!place) return;
  say($("stop-error"), null);
  const body = {
    id: box.uuid(),
    ...place,
    recorded_at: isoWithOffset(new Date()),
    category: $("stop-category").value,
    feeling: Number(feeling),
    ratings: ratingsOf("stop"),
    stop_id: stop.id,
  };
  await box.capture(body);
  box.registerSync();
  flushSoon();
  for (const input of all("#stop-form .rating input, #stop-form .feelings input")) input.checked = false;
  categoryTouched = false;
  say($("stop-saved"), "stop.saved");
  $("stop-saved").focus();
}
