/* walkapp: the sync bar — how many spots wait, "send now", and the retries. */
import * as box from "./outbox.js";
import { renderSpots } from "./spots.js";
import { app } from "./state.js";
import { currentSpot } from "./tag.js";
import { $, say, t } from "./ui.js";

let renderQueued = false;
let flushing = false;
let retryTimer = null;

// The sentence of the bar, from the outbox's summary (pure).
export function syncSentence(summary, online, translate) {
  const parts = [];
  if (summary.waiting === 1) parts.push(translate("sync.one"));
  else if (summary.waiting > 1) parts.push(translate("sync.many", { n: summary.waiting }));
  if (summary.problems) parts.push(translate("sync.problems", { n: summary.problems }));
  if (!parts.length) parts.push(translate("sync.none"));
  else if (summary.waiting && !online) parts.push(translate("sync.offline"));
  return parts.join(" ");
}

export function renderSyncSoon() {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(() => {
    renderQueued = false;
    renderSync();
    renderSpots();
  }, 50);
}

export async function renderSync() {
  if (!app.session) return;
  const state = await box.state();
  const text = $("sync-text");
  const count = $("sync-count");
  count.textContent = String(state.waiting);
  count.hidden = state.waiting === 0;
  const sentence = syncSentence(state, navigator.onLine, t);
  if (text.textContent !== sentence) text.textContent = sentence;
  delete text.dataset.t;
  $("syncbar").classList.toggle("has-waiting", state.waiting > 0);
  if (navigator.setAppBadge) navigator.setAppBadge(state.waiting).catch(() => {});
  const current = currentSpot();
  if (current) {
    const mine = state.spots.find((s) => s.id === current.id);
    if (mine && mine.state === "sent" && $("saved-msg").dataset.t === "saved.local") say($("saved-msg"), "saved.sent");
  }
}

export async function flushNow(force) {
  if (!app.session) return;
  clearTimeout(retryTimer);
  const sendNow = $("send-now");
  flushing = true;
  sendNow.setAttribute("aria-busy", "true");
  let summary;
  try {
    summary = await box.flush({ force });
  } catch (e) {
    summary = { retry: true, nextTryAt: Date.now() + 10000 };
  }
  flushing = false;
  sendNow.removeAttribute("aria-busy");
  renderSync();
  if (summary.retry && app.session) {
    const wait = Number.isFinite(summary.nextTryAt) ? summary.nextTryAt - Date.now() : 30000;
    retryTimer = setTimeout(() => flushNow(false), Math.max(1000, wait));
  }
}

export function flushSoon() {
  if (!flushing) setTimeout(() => flushNow(false), 0);
}
