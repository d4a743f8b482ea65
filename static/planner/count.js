/* The counter's phone: usage counts of the Public Life Data Protocol (planner/counting.py).
 *
 * Set up a period (zone, people staying or passing, weather...), then one tap per person on the
 * gender x age group grid, with the sticky choices above it (how they move; or posture, activity
 * and group). Everything goes to localStorage first, then to the server in order:
 *
 *   localStorage["walkapp.count.<project id>"] = {
 *     v: 1,
 *     periods: {uuid: period},   // periods not yet confirmed, latest state of each
 *     records: [record, ...],    // people counted not yet confirmed, in tap order
 *     undone: [uuid, ...],       // records to delete on the server (taken back after sending)
 *     inflight: [uuid, ...],     // pending records already in a request (maybe on the server)
 *     active: {period, sticky: {mode, posture, activity, group_size}, taps: [{uuid, gender,
 *              age_group}, ...]} | null,   // the period being counted (survives a reload)
 *     summary: ""                // the last ended period, in words
 *   }
 *
 * A request carries every pending period (a period goes with or before its records), at most
 * data.max_records records, and the undone uuids; on 200 exactly what was sent leaves the queue
 * (a period changed meanwhile, or a tap during the request, stays). The server ignores a record
 * it already has, so a resend after a lost answer never doubles a person.
 *
 * Data from the server or the user is written with textContent, never innerHTML.
 */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("count-data").textContent);
  const urls = data.urls;
  const S = data.strings;
  const L = data.labels;
  const KEY = "walkapp.count." + data.project_id;
  const CACHE_PREFIX = "walkapp-planner-";
  const MAX_BACKOFF = 60000;
  const MAX_PERIODS = 50; // services.counts.MAX_PERIODS_PER_BATCH

  let csrfToken = data.csrf_token || null;
  let sending = false;
  let backoff = 0;
  let retryTimer = null;
  let problem = "";
  let timer = null;

  const $ = (id) => document.getElementById(id);

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));
  }

  function plural(forms, n) {
    return forms[new Intl.PluralRules(data.lang).select(n)] || forms.other;
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // RFC 4122 version 4 from getRandomValues (or Math.random on a very old phone).
    const bytes = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    const parts = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
    return parts.concat(hex.slice(20)).join("-");
  }

  // --- The store ---------------------------------------------------------------------------------

  function empty() {
    return { v: 1, periods: {}, records: [], undone: [], inflight: [], active: null, summary: "" };
  }

  function load() {
    try {
      const raw = localStorage.getItem(KEY);
      const store = raw ? JSON.parse(raw) : null;
      return store && store.v === 1 ? Object.assign(empty(), store) : empty();
    } catch (e) {
      return empty();
    }
  }

  function save(store) {
    localStorage.setItem(KEY, JSON.stringify(store));
  }

  // Times only grow on this phone, even for two taps in the same millisecond.
  let lastTime = 0;
  function now() {
    lastTime = Math.max(Date.now(), lastTime + 1);
    return new Date(lastTime);
  }

  function pending(store) {
    return {
      people: store.records.length,
      other: Object.keys(store.periods).length + store.undone.length,
    };
  }

  function label(vocab, code) {
    return (L[vocab] && L[vocab][code]) || code;
  }

  function who(gender, age) {
    return label("perceived_gender", gender) + ", " + label("age_group", age);
  }

  function zoneName(id) {
    const zone = data.zones.find((z) => z.id === id);
    return zone ? zone.name : "";
  }

  // --- Counting ----------------------------------------------------------------------------------

  function checked(name) {
    const input = document.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : null;
  }

  function start(event) {
    event.preventDefault();
    const zoneId = Number($("zone").value);
    if (!zoneId) {
      $("setup-error").textContent = S.choose_zone;
      $("zone").focus();
      return;
    }
    $("setup-error").textContent = "";
    const kind = checked("kind");
    const store = load();
    const period = {
      uuid: newId(),
      zone_id: zoneId,
      kind: kind,
      started_at: now().toISOString(),
      ended_at: null,
      weather: $("weather").value || null,
      time_character: $("time-character").value || "none",
      line: kind === "moving" ? $("line").value.trim().slice(0, 120) : "",
      note: "",
    };
    store.periods[period.uuid] = period;
    store.active = { period: period, sticky: readSticky(), taps: [] };
    store.summary = "";
    save(store);
    keepAwake();
    render();
    flushSoon(0);
  }

  function readSticky() {
    return {
      mode: checked("mode"),
      posture: checked("posture"),
      activity: $("activity").value,
      group_size: checked("group_size"),
    };
  }

  function writeSticky(sticky) {
    for (const name of ["mode", "posture", "group_size"]) {
      const input = document.querySelector(
        "input[name='" + name + "'][value='" + CSS.escape(sticky[name] || "") + "']",
      );
      if (input) input.checked = true;
    }
    if (sticky.activity) $("activity").value = sticky.activity;
  }

  function stickyChanged() {
    const store = load();
    if (!store.active) return;
    store.active.sticky = readSticky();
    save(store);
  }

  function tap(gender, age) {
    const store = load();
    const active = store.active;
    if (!active) return;
    const sticky = active.sticky;
    const staying = active.period.kind === "staying";
    const record = {
      uuid: newId(),
      period_uuid: active.period.uuid,
      recorded_at: now().toISOString(),
      gender: gender,
      age_group: age,
      mode: staying ? null : sticky.mode,
      posture: staying ? sticky.posture : null,
      activity: staying ? sticky.activity : null,
      group_size: staying ? sticky.group_size : null,
    };
    store.records.push(record);
    active.taps.push({ uuid: record.uuid, gender: gender, age_group: age });
    save(store);
    $("tap-state").textContent = fmt(S.counted, { who: who(gender, age) });
    if (navigator.vibrate) navigator.vibrate(15);
    renderCounts(store);
    renderSync(store);
    flushSoon(0);
  }

  function undo() {
    const store = load();
    const active = store.active;
    if (!active || !active.taps.length) {
      $("tap-state").textContent = S.nothing_to_undo;
      return;
    }
    const last = active.taps.pop();
    const index = store.records.findIndex((r) => r.uuid === last.uuid);
    // Still on the phone and in no request: forgetting it is enough. Otherwise (sent, or in a
    // request whose answer is not back) the server may have it: ask it to delete it.
    if (index >= 0) store.records.splice(index, 1);
    if (index < 0 || store.inflight.includes(last.uuid)) store.undone.push(last.uuid);
    save(store);
    $("tap-state").textContent = fmt(S.undone, { who: who(last.gender, last.age_group) });
    renderCounts(store);
    renderSync(store);
    flushSoon(0);
  }

  function end() {
    const store = load();
    const active = store.active;
    if (!active) return;
    const period = active.period;
    const ended = now();
    const minutes = (ended - new Date(period.started_at)) / 60000;
    if (
      period.kind === "moving" &&
      minutes < data.min_moving_minutes &&
      !window.confirm(fmt(S.short_moving, { n: data.min_moving_minutes }))
    ) {
      return;
    }
    period.ended_at = ended.toISOString();
    store.periods[period.uuid] = period; // the latest state replaces any unsent one
    store.summary = fmt(S.ended, {
      n: active.taps.length,
      zone: zoneName(period.zone_id),
      kind: label("count_kind", period.kind),
      minutes: Math.round(minutes),
    });
    store.active = null;
    save(store);
    render();
    $("summary").focus();
    flushSoon(0);
  }

  // --- Talking to the server -------------------------------------------------------------------

  // The next request: every pending period, then records in order while their period is either
  // in the request or already on the server, then the undone uuids.
  function batch(store) {
    const periods = Object.values(store.periods).slice(0, MAX_PERIODS);
    const inBody = new Set(periods.map((p) => p.uuid));
    const records = [];
    for (const record of store.records) {
      if (records.length >= data.max_records) break;
      if (store.periods[record.period_uuid] && !inBody.has(record.period_uuid)) break;
      records.push(record);
    }
    return { periods: periods, records: records, undone: store.undone.slice(0, data.max_records) };
  }

  function forgetSent(body) {
    const store = load();
    for (const period of body.periods) {
      const current = store.periods[period.uuid];
      if (current && JSON.stringify(current) === JSON.stringify(period)) {
        delete store.periods[period.uuid];
      }
    }
    const records = new Set(body.records.map((r) => r.uuid));
    store.records = store.records.filter((r) => !records.has(r.uuid));
    store.inflight = store.inflight.filter((u) => !records.has(u));
    const undone = new Set(body.undone);
    store.undone = store.undone.filter((u) => !undone.has(u));
    save(store);
  }

  // Records that were in a request may be on the server even without an answer (lost, or the
  // page reloaded meanwhile): they stay marked until an answer confirms them.
  function markInflight(body) {
    const store = load();
    const still = new Set(store.records.map((r) => r.uuid));
    const marked = new Set(store.inflight.filter((u) => still.has(u)));
    for (const record of body.records) marked.add(record.uuid);
    store.inflight = Array.from(marked);
    save(store);
  }

  async function reason(response) {
    try {
      const body = await response.json();
      return Object.values(body.errors || {}).join("; ") || String(response.status);
    } catch (e) {
      return String(response.status);
    }
  }

  // A fresh CSRF token from the page itself (an old one: the page was kept since a sign-in).
  async function refreshToken() {
    try {
      const response = await fetch(urls.page, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok || response.redirected) {
        if (response.redirected) problem = S.sign_in;
        return;
      }
      const html = await response.text();
      const doc = new DOMParser().parseFromString(html, "text/html");
      const node = doc.getElementById("count-data");
      if (node) csrfToken = JSON.parse(node.textContent).csrf_token || csrfToken;
    } catch (e) {
      // Offline again: the next try will ask again.
    }
  }

  // Returns "done", "retry", "drop" or "keep".
  async function sendOnce() {
    const store = load();
    const body = batch(store);
    if (!body.periods.length && !body.records.length && !body.undone.length) return "done";
    markInflight(body);
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (csrfToken) headers["X-CSRFToken"] = csrfToken;
    const response = await fetch(urls.sync, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    if (response.ok) {
      const answer = await response.json();
      csrfToken = answer.csrf_token || csrfToken;
      forgetSent(body);
      return "done";
    }
    if (response.status === 401) {
      problem = S.sign_in;
      return "keep";
    }
    if (response.status === 400) {
      await refreshToken();
      return "retry";
    }
    if (response.status === 422 || response.status === 413) {
      problem = fmt(S.refused, { reason: await reason(response) });
      forgetSent(body);
      return "drop";
    }
    if (response.status >= 500 || response.status === 429) return "retry";
    problem = fmt(S.refused, { reason: await reason(response) });
    return "keep";
  }

  function hasPending() {
    const p = pending(load());
    return p.people + p.other > 0;
  }

  async function flush() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (sending) return;
    if (!hasPending()) {
      renderSync(load());
      return;
    }
    if (!navigator.onLine) {
      // No network at all (the browser says so): nothing to try; the "online" event sends.
      setOnline(false);
      renderSync(load());
      return;
    }
    sending = true;
    problem = "";
    renderSync(load());
    let outcome = "done";
    try {
      while (hasPending()) {
        outcome = await sendOnce();
        if (outcome !== "done" && outcome !== "drop") break;
        setOnline(true);
      }
    } catch (e) {
      outcome = "retry"; // the network: offline, or the answer was lost
      setOnline(false);
    } finally {
      sending = false;
    }
    if (outcome === "retry") {
      backoff = Math.min(MAX_BACKOFF, backoff ? backoff * 2 : 2000);
      flushSoon(backoff);
    } else {
      backoff = 0;
    }
    renderSync(load());
  }

  function flushSoon(delay) {
    if (sending) return; // the running flush sends what was added meanwhile
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, delay);
  }

  // --- Rendering ---------------------------------------------------------------------------------

  function setOnline(value) {
    const online = value && navigator.onLine;
    $("count").classList.toggle("is-offline", !online);
    $("count-net-text").textContent = online ? S.online : S.offline;
  }

  function renderSync(store) {
    const p = pending(store);
    let text = S.all_sent;
    if (p.people) text = fmt(plural(S.pending_people, p.people), { n: p.people });
    else if (p.other) text = fmt(plural(S.pending, p.other), { n: p.other });
    if (sending) text = S.sending + " " + text;
    if (problem) text = problem + " " + text;
    $("sync-state").textContent = text;
    $("send-now").hidden = p.people + p.other === 0;
  }

  function renderCounts(store) {
    const taps = store.active ? store.active.taps : [];
    const cells = {};
    const totals = {};
    for (const t of taps) {
      const key = t.gender + "|" + t.age_group;
      cells[key] = (cells[key] || 0) + 1;
      totals[t.gender] = (totals[t.gender] || 0) + 1;
    }
    for (const button of document.querySelectorAll(".tap")) {
      const n = cells[button.dataset.gender + "|" + button.dataset.age] || 0;
      button.querySelector(".tap-n").textContent = String(n);
    }
    for (const el of document.querySelectorAll("[data-total]")) {
      el.textContent = String(totals[el.dataset.total] || 0);
    }
    $("total").textContent = String(taps.length);
    $("undo").disabled = taps.length === 0;
  }

  function renderTimer(startedAt) {
    const seconds = Math.max(0, Math.floor((Date.now() - new Date(startedAt)) / 1000));
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = String(seconds % 60).padStart(2, "0");
    $("timer").textContent = h ? h + ":" + String(m).padStart(2, "0") + ":" + s : m + ":" + s;
  }

  function render() {
    const store = load();
    const active = store.active;
    const setup = $("screen-setup");
    const counting = $("screen-counting");
    clearInterval(timer);
    if (active) {
      const period = active.period;
      setup.hidden = true;
      counting.hidden = false;
      $("period-kind").textContent = label("count_kind", period.kind);
      $("period-zone").textContent = zoneName(period.zone_id);
      $("moving-options").hidden = period.kind !== "moving";
      $("staying-options").hidden = period.kind !== "staying";
      writeSticky(active.sticky);
      renderTimer(period.started_at);
      timer = setInterval(() => renderTimer(period.started_at), 1000);
    } else {
      setup.hidden = false;
      counting.hidden = true;
      $("tap-state").textContent = "";
    }
    const summary = $("summary");
    summary.textContent = store.summary || "";
    summary.hidden = !store.summary;
    summary.tabIndex = -1;
    renderCounts(store);
    renderSync(store);
  }

  function showLine() {
    const field = $("line-field");
    if (field) field.hidden = checked("kind") !== "moving";
  }

  // --- Offline: the service worker (the live view's, planner/live-sw.js) ------------------------

  async function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    try {
      await navigator.serviceWorker.register(urls.sw);
      const registration = await navigator.serviceWorker.ready;
      const worker = registration.active || navigator.serviceWorker.controller;
      if (worker) worker.postMessage({ type: "keep", urls: [urls.page] });
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
    } catch (e) {
      // No service worker (plain http on a phone): the page still counts while it stays open.
    }
  }

  let wakeLock = null;
  async function keepAwake() {
    // The screen stays on while counting, where the phone allows it.
    try {
      if (navigator.wakeLock && !wakeLock) {
        wakeLock = await navigator.wakeLock.request("screen");
        wakeLock.addEventListener("release", () => (wakeLock = null));
      }
    } catch (e) {
      wakeLock = null;
    }
  }

  function guardSignOut() {
    for (const form of document.querySelectorAll("form[action$='/logout']")) {
      form.addEventListener("submit", (event) => {
        if (hasPending() && !window.confirm(S.leave_pending)) {
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

  // --- Start -------------------------------------------------------------------------------------

  const form = $("setup");
  if (form) {
    form.addEventListener("submit", start);
    form.addEventListener("change", showLine);
    showLine();
  }
  $("grid").addEventListener("click", (event) => {
    const button = event.target.closest(".tap");
    if (button) tap(button.dataset.gender, button.dataset.age);
  });
  for (const id of ["moving-options", "staying-options"]) {
    $(id).addEventListener("change", stickyChanged);
  }
  $("undo").addEventListener("click", undo);
  $("end").addEventListener("click", end);
  $("send-now").addEventListener("click", () => {
    backoff = 0;
    flush();
  });
  window.addEventListener("online", () => {
    setOnline(true);
    backoff = 0;
    flush();
  });
  window.addEventListener("offline", () => setOnline(false));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    if (load().active) keepAwake();
    if (navigator.onLine) flush();
  });
  window.addEventListener("storage", (event) => {
    if (event.key === KEY) render(); // the same page in another tab
  });

  setOnline(navigator.onLine);
  render();
  if (load().active) keepAwake();
  guardSignOut();
  registerWorker();
  flush();
})();
