/* walkapp: the sync bar — how many spots (and questionnaire answers) wait, "send now", and the
 * retries. */
import * as box from "./outbox.js";
import { currentWalkState, erasedElsewhere, refreshMe, route } from "./screens.js";
import { renderSpots } from "./spots.js";
import { app } from "./state.js";
import { renderThanks, surveyAsking } from "./survey.js";
import { currentSpot } from "./tag.js";
import { $, say, t } from "./ui.js";
import { PROBABLY_OVER } from "./walkstatus.js";

let renderQueued = false;
let flushing = false;
let retryTimer = null;

// A sentence ends with a full stop (or ? !): the bar's sentences are put one after the other,
// and one without its stop ("1 spot waiting to be sent") would run into the next.
function sentence(text) {
  const trimmed = text.trim();
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

// The sentence of the bar, from the outbox's summary (pure). A questionnaire's answers are
// counted apart from spots (answersWaiting, answersRefused).
export function syncSentence(summary, online, translate) {
  const parts = [];
  const answers = summary.answersWaiting || 0;
  if (summary.join && summary.join.state === "refused") parts.push(translate("problem.join"));
  if (summary.waiting === 1) parts.push(translate("sync.one"));
  else if (summary.waiting > 1) parts.push(translate("sync.many", { n: summary.waiting }));
  if (answers === 1) parts.push(translate("sync.answers_one"));
  else if (answers > 1) parts.push(translate("sync.answers_many", { n: answers }));
  if (summary.problems) parts.push(translate("sync.problems", { n: summary.problems }));
  if (summary.answersRefused) parts.push(translate("sync.answers_refused"));
  if (!parts.length) parts.push(translate("sync.none"));
  else if (summary.waiting && !online) parts.push(translate("sync.offline"));
  else if (answers && !online) parts.push(translate("sync.offline_answers"));
  return parts.length === 1 ? parts[0] : parts.map(sentence).join(" ");
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
  const waiting = state.waiting + (state.answersWaiting || 0);
  count.textContent = String(waiting);
  count.hidden = waiting === 0;
  const sentence = syncSentence(state, navigator.onLine, t);
  if (text.textContent !== sentence) text.textContent = sentence;
  delete text.dataset.t;
  $("syncbar").classList.toggle("has-waiting", waiting > 0);
  if (navigator.setAppBadge) navigator.setAppBadge(waiting).catch(() => {});
  renderThanks(state);
  const current = currentSpot();
  if (current) {
    const mine = state.spots.find((s) => s.id === current.id);
    const said = $("saved-msg").dataset.t;
    if (mine && mine.state === "sent" && (said === "saved.local" || said === "saved.if_open")) say($("saved-msg"), "saved.sent");
    // Offline after the planned end: kept, but only sent if the server still takes it.
    else if (mine && mine.state === "waiting" && said === "saved.local" && currentWalkState() === PROBABLY_OVER) {
      say($("saved-msg"), "saved.if_open");
    }
  }
}

// A join that waited (no signal) was answered, here or by the service worker: the page takes
// the session with its token, and shows the erasure code that came with it.
async function joinAnswered() {
  if (!app.session || app.session.token) return;
  const stored = await box.getSession();
  if (!stored || !stored.token || stored.localId) return;
  app.session = stored;
  app.erasureCode = (await box.kvGet("erasureCode")) || null;
  const busy = document.activeElement && document.activeElement.matches("input, textarea, select");
  if (!busy && !surveyAsking()) route({ noFocus: false }); // a question is never taken away
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
  if (summary.erased && app.session && !(await box.getSession().catch(() => null))) {
    // Erased from another phone with the erasure code: outbox.js forgot this token's copy.
    erasedElsewhere(app.session.token);
    return;
  }
  await joinAnswered().catch(() => {});
  if (app.session && app.session.token && !summary.offline) refreshMe(); // after each answer
  renderSync();
  if (summary.retry && app.session) {
    const wait = Number.isFinite(summary.nextTryAt) ? summary.nextTryAt - Date.now() : 30000;
    retryTimer = setTimeout(() => flushNow(false), Math.max(1000, wait));
  }
}

export function flushSoon() {
  if (!flushing) setTimeout(() => flushNow(false), 0);
}
