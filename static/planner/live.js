/* The facilitator's live view: polls the walk every ~10 s while online, counts attendance and
 * takes notes offline, sends them when the phone is back online.
 *
 * Attendance is kept as absolute counts per cell (gender x age band) with the time of the last
 * tap (edited_at). The queue in localStorage holds only the latest value of each changed cell;
 * PUT sends them all; the server applies a cell only if its edit is newer than the last one
 * applied, so a retry after a lost answer changes nothing. A cell leaves the queue only when the
 * server has answered for that very edit (a tap during the request stays queued).
 *
 * Data from the server or the user is written with textContent, never innerHTML; typed text
 * (comments, notes) is isolated (dir="auto", <bdi>), so that its direction stays inside it.
 */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("live-data").textContent);
  const urls = data.urls;
  const S = data.strings;
  const L = data.labels;
  const walkId = data.walk_id;
  const QUEUE_KEY = "walkapp.live." + walkId + ".attendance";
  const NOTES_KEY = "walkapp.live." + walkId + ".notes";
  const CACHE_PREFIX = "walkapp-planner-";
  const MAX_BACKOFF = 60000;

  let snapshot = data.snapshot;
  let csrfToken = data.csrf_token || null;
  let online = navigator.onLine;
  let sending = false;
  let backoff = 0;
  let retryTimer = null;
  let problem = "";

  const $ = (id) => document.getElementById(id);

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));
  }

  // A sentence with a count: {one, other} from the catalogue (live.py), chosen by the page's
  // language's plural rule (French: 0 and 1 take the singular).
  function plural(forms, n) {
    return forms[new Intl.PluralRules(data.lang).select(n)] || forms.other;
  }

  function readStore(key, fallback) {
    try {
      const raw = localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function writeStore(key, value) {
    localStorage.setItem(key, JSON.stringify(value));
  }

  // --- Attendance queue ------------------------------------------------------------------------

  function queue() {
    return readStore(QUEUE_KEY, { cells: {}, last: 0 });
  }

  function cellKey(gender, age) {
    return gender + "|" + age;
  }

  function shownCount(q, gender, age) {
    const pending = q.cells[cellKey(gender, age)];
    if (pending) return pending.count;
    const row = snapshot.attendance[gender] || {};
    return row[age] || 0;
  }

  function tap(gender, age, delta) {
    const q = queue();
    const count = Math.max(0, shownCount(q, gender, age) + delta);
    // Edit times only grow on this phone, even if two taps fall in the same millisecond.
    const t = Math.max(Date.now(), q.last + 1);
    q.last = t;
    q.cells[cellKey(gender, age)] = {
      gender: gender,
      age_band: age,
      count: count,
      edited_at: new Date(t).toISOString(),
    };
    writeStore(QUEUE_KEY, q);
    renderAttendance();
    flushSoon(0);
  }

  function pendingCount() {
    return Object.keys(queue().cells).length + readStore(NOTES_KEY, []).length;
  }

  // --- Talking to the server ----------------------------------------------------------------------

  async function send(method, url, body) {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (csrfToken) headers["X-CSRFToken"] = csrfToken;
    return fetch(url, {
      method: method,
      headers: headers,
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  }

  async function reason(response) {
    try {
      const body = await response.json();
      return Object.values(body.errors || {}).join("; ") || String(response.status);
    } catch (e) {
      return String(response.status);
    }
  }

  // What to do with an answer that is not 2xx. Returns "retry", "drop" or "keep".
  async function handleFailure(response) {
    if (response.status === 401) {
      problem = S.sign_in;
      return "keep";
    }
    if (response.status === 400) {
      await refresh(); // most likely an old CSRF token: the snapshot brings a fresh one
      return "retry";
    }
    if (response.status === 422 || response.status === 413) {
      problem = fmt(S.refused, { reason: await reason(response) });
      return "drop";
    }
    if (response.status >= 500 || response.status === 429) return "retry";
    problem = fmt(S.refused, { reason: await reason(response) });
    return "keep";
  }

  async function sendAttendance() {
    const q = queue();
    const cells = Object.values(q.cells);
    if (!cells.length) return "done";
    const response = await send("PUT", urls.attendance, { cells: cells });
    if (!response.ok) {
      const outcome = await handleFailure(response);
      if (outcome === "drop") forgetSent(cells);
      return outcome;
    }
    const body = await response.json();
    forgetSent(cells);
    snapshot.attendance = body.attendance;
    snapshot.women_share = body.women_share;
    return "done";
  }

  function forgetSent(cells) {
    const now = queue();
    for (const cell of cells) {
      const key = cellKey(cell.gender, cell.age_band);
      if (now.cells[key] && now.cells[key].edited_at === cell.edited_at) delete now.cells[key];
    }
    writeStore(QUEUE_KEY, now);
  }

  async function sendNotes() {
    let notes = readStore(NOTES_KEY, []);
    while (notes.length) {
      const note = notes[0];
      const response = await send("POST", urls.note, { stop_id: note.stop_id, text: note.text });
      let outcome = "done";
      if (!response.ok) outcome = await handleFailure(response);
      if (outcome === "retry" || outcome === "keep") return outcome;
      notes = readStore(NOTES_KEY, []).filter((n) => n.id !== note.id);
      writeStore(NOTES_KEY, notes);
      if (outcome === "done") $("note-state").textContent = S.note_saved;
    }
    return "done";
  }

  async function flush() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (sending || !pendingCount()) {
      renderSync();
      return;
    }
    sending = true;
    problem = "";
    renderSync();
    let outcome;
    try {
      outcome = await sendAttendance();
      if (outcome === "done") outcome = await sendNotes();
    } catch (e) {
      outcome = "retry"; // the network: offline, or the server did not answer
      setOnline(false);
    } finally {
      sending = false;
    }
    if (outcome === "retry") {
      backoff = Math.min(MAX_BACKOFF, backoff ? backoff * 2 : 2000);
      flushSoon(backoff);
    } else if (outcome === "done") {
      backoff = 0;
      if (pendingCount()) flushSoon(0); // tapped again while sending
    }
    renderAttendance();
    renderSync();
  }

  function flushSoon(delay) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, delay);
  }

  async function refresh() {
    let response;
    try {
      response = await fetch(urls.json, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (e) {
      setOnline(false);
      return;
    }
    if (response.status === 401) {
      problem = S.sign_in;
      renderSync();
      return;
    }
    if (!response.ok) return;
    snapshot = await response.json();
    csrfToken = snapshot.csrf_token || csrfToken;
    // The service worker answers from its cache when the network is down: say so.
    setOnline(response.headers.get("X-Walkapp-Offline") !== "1" && navigator.onLine);
    renderAll();
  }

  // --- Rendering -----------------------------------------------------------------------------

  function setOnline(value) {
    online = value;
    $("live").classList.toggle("is-offline", !online);
    $("live-net-text").textContent = online ? S.online : S.offline;
  }

  function renderAttendance() {
    const q = queue();
    const totals = {};
    let all = 0;
    for (const row of document.querySelectorAll(".att-row")) {
      const gender = row.dataset.gender;
      const count = shownCount(q, gender, row.dataset.age);
      row.querySelector(".att-count").textContent = String(count);
      row.classList.toggle("is-pending", Boolean(q.cells[cellKey(gender, row.dataset.age)]));
      totals[gender] = (totals[gender] || 0) + count;
      all += count;
    }
    for (const el of document.querySelectorAll("[data-total]")) {
      el.textContent = String(totals[el.dataset.total] || 0);
    }
    $("n-counted").textContent = String(all);
    // The share of women is the server's (domain.indicators.women_share, the indicators' own
    // definition): never computed here, so the phone and the indicators pages agree. Counts
    // still waiting to be sent are in it once the server has them.
    const share = snapshot.women_share || { text: "–", source_text: "" }; // an older cached answer
    $("n-women").textContent = share.text;
    const waiting = Object.keys(q.cells).length > 0;
    $("n-women-source").textContent = waiting ? S.share_pending : share.source_text;
  }

  function renderSync() {
    const n = pendingCount();
    let text = n ? fmt(plural(S.pending, n), { n: n }) : S.all_sent;
    if (sending) text = S.sending;
    if (problem) text = problem + " " + text;
    $("sync-state").textContent = text;
    $("send-now").hidden = n === 0;
  }

  function spotItem(spot) {
    const li = document.createElement("li");
    const head = document.createElement("p");
    const parts = [spot.time, L.categories[spot.category] || spot.category];
    parts.push(spot.feeling + "/5 " + (L.feelings[String(spot.feeling)] || ""));
    if (spot.stop) parts.push(fmt(S.stop, { n: spot.stop }));
    head.textContent = parts.join(" · ");
    li.appendChild(head);
    if (spot.entered_by_facilitator) {
      const mark = document.createElement("span");
      mark.className = "badge";
      mark.textContent = S.entered_by_you;
      head.appendChild(document.createTextNode(" "));
      head.appendChild(mark);
    }
    if (spot.comment) {
      const comment = document.createElement("p");
      comment.className = "comment";
      comment.dir = "auto";
      comment.textContent = spot.comment;
      li.appendChild(comment);
    }
    return li;
  }

  function noteItem(note, queued) {
    const li = document.createElement("li");
    const where = note.stop ? fmt(S.stop, { n: note.stop }) : S.whole_walk;
    const text = document.createElement("bdi");
    text.textContent = note.text;
    li.append((note.time ? note.time + " · " : "") + where + " — ", text);
    if (queued) li.classList.add("is-pending");
    return li;
  }

  function renderLists() {
    const spots = $("spots");
    spots.replaceChildren(...snapshot.recent.map(spotItem));
    if (!snapshot.recent.length) {
      const li = document.createElement("li");
      li.textContent = S.no_spots;
      spots.appendChild(li);
    }
    const queued = readStore(NOTES_KEY, []).map((n) =>
      noteItem({ stop: n.stop_number, text: n.text, time: "" }, true),
    );
    $("notes").replaceChildren(...snapshot.notes.map((n) => noteItem(n, false)), ...queued);
  }

  function renderAll() {
    $("n-participants").textContent = String(snapshot.participants);
    $("n-spots").textContent = String(snapshot.spots);
    const time = new Date().toLocaleTimeString(data.lang, { hour: "2-digit", minute: "2-digit" });
    $("live-updated").textContent = fmt(S.updated, { time: time });
    renderAttendance();
    renderLists();
    renderSync();
  }

  // --- Notes ---------------------------------------------------------------------------------

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  function addNote(event) {
    event.preventDefault();
    const text = $("note-text").value.trim();
    if (!text) {
      $("note-state").textContent = S.note_empty;
      return;
    }
    const select = $("note-stop");
    const stopId = select.value ? Number(select.value) : null;
    const stopNumber = stopId ? select.selectedIndex : null;
    const notes = readStore(NOTES_KEY, []);
    notes.push({ id: newId(), stop_id: stopId, stop_number: stopNumber, text: text });
    writeStore(NOTES_KEY, notes);
    $("note-text").value = "";
    $("note-state").textContent = S.note_queued;
    renderLists();
    flushSoon(0);
  }

  // --- Offline: the service worker -------------------------------------------------------------

  async function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    try {
      await navigator.serviceWorker.register(urls.sw);
      const registration = await navigator.serviceWorker.ready;
      const worker = registration.active || navigator.serviceWorker.controller;
      if (worker) worker.postMessage({ type: "keep", urls: [urls.page, urls.json] });
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
    } catch (e) {
      // No service worker (plain http on a phone): the page still counts while it stays open.
    }
  }

  function forgetOnSignOut() {
    for (const form of document.querySelectorAll("form[action$='/logout']")) {
      form.addEventListener("submit", (event) => {
        if (pendingCount() && !window.confirm(S.leave_pending)) {
          event.preventDefault();
          return;
        }
        if (window.caches) {
          caches.keys().then((keys) => {
            for (const key of keys) if (key.startsWith(CACHE_PREFIX)) caches.delete(key);
          });
        }
      });
    }
  }

  // --- Start ---------------------------------------------------------------------------------

  function poll() {
    if (document.visibilityState === "visible" && navigator.onLine) refresh();
  }

  document.querySelector(".attendance").addEventListener("click", (event) => {
    const button = event.target.closest(".att-btn");
    if (!button) return;
    const row = button.closest(".att-row");
    tap(row.dataset.gender, row.dataset.age, Number(button.dataset.delta));
  });
  $("send-now").addEventListener("click", () => {
    backoff = 0;
    flush();
  });
  $("note-form").addEventListener("submit", addNote);
  window.addEventListener("online", () => {
    setOnline(true);
    backoff = 0;
    refresh().then(flush);
  });
  window.addEventListener("offline", () => setOnline(false));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh().then(flush);
  });

  setOnline(navigator.onLine);
  renderAll();
  forgetOnSignOut();
  registerWorker();
  refresh().then(flush);
  setInterval(poll, data.poll_seconds * 1000);
})();
