/* walkapp participant app: join, tag spots, rate stops, my spots, erase — offline first.
 * Every sentence comes from the server's gettext catalogs (both languages, in the page), every
 * vocabulary label from GET /api/v1/taxonomy: the language switches without network. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("walkapp-data").textContent);
  const box = window.walkappOutbox;
  const theme = window.walkappTheme;
  const config = data.config;
  // The catalogs' languages, the default first (the server's order).
  const languages = Object.keys(data.strings);
  const $ = (id) => document.getElementById(id);
  const all = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  const CRITERIA = ["lighting", "openness", "visibility", "people", "security", "walk_path",
    "public_transport", "gender_usage", "perceived_safety"];
  // Which category a stop rating stands for: its worst rated criterion (see stopCategory).
  const CRITERION_CATEGORY = {
    lighting: "lighting",
    openness: "visibility",
    visibility: "visibility",
    people: "people_around",
    security: "help_within_reach",
    walk_path: "footpath_access",
    public_transport: "transport_stop",
    gender_usage: "people_around",
  };
  const PHOTO_MAX = 1600; // long side sent to the server (it keeps at most this anyway)
  const THUMB_MAX = 240;
  const TRACK_MIN_METRES = 15;
  const TRACK_MIN_MS = 60000;

  let lang = pickLanguage();
  let taxonomy = null;
  let session = null;
  let position = null; // the latest GPS fix
  let positionError = null;
  let pinByHand = null; // the pin moved by hand before saving
  let current = null; // the spot just saved on the tag screen
  let editing = null; // the spot open in the edit screen
  let editPin = null;
  let stopCategoryTouched = false;
  let lastTrack = null;
  let retryTimer = null;
  let watching = false;
  const maps = {};
  const thumbUrls = [];

  // --- Storage helpers ------------------------------------------------------------------------

  function local(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key);
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch (e) {
      /* private mode: the app still works, it only forgets these preferences */
    }
    return null;
  }

  // --- Language -------------------------------------------------------------------------------

  function pickLanguage() {
    const chosen = local("walkapp.lang");
    if (languages.includes(chosen)) return chosen;
    const cookie = document.cookie.match(/(?:^|; )lang=([a-z]{2,3})/);
    if (cookie && languages.includes(cookie[1])) return cookie[1];
    for (const tag of navigator.languages || [navigator.language || ""]) {
      const code = String(tag).slice(0, 2).toLowerCase();
      if (languages.includes(code)) return code;
    }
    return data.lang || languages[0];
  }

  // gettext's placeholders, as in every catalog: "%(n)s spots waiting to be sent".
  function t(key, args) {
    const text = (data.strings[lang] && data.strings[lang][key]) || data.strings[languages[0]][key] || key;
    return text.replace(/%\((\w+)\)s/g, (whole, name) => (args && name in args ? String(args[name]) : whole));
  }

  function nextLanguage() {
    return languages[(languages.indexOf(lang) + 1) % languages.length];
  }

  // Show a sentence and remember its key, so that a language switch shows it again translated.
  function say(element, key, args) {
    if (!key) {
      element.textContent = "";
      delete element.dataset.t;
      delete element.dataset.tArgs;
      return;
    }
    element.dataset.t = key;
    if (args) element.dataset.tArgs = JSON.stringify(args);
    else delete element.dataset.tArgs;
    element.textContent = t(key, args);
  }

  function term(vocab, code) {
    const list = taxonomy && taxonomy[vocab];
    const found = list && list.find((item) => item.code === String(code));
    return found ? found : null;
  }

  function vocabLabel(vocab, code) {
    const found = term(vocab, code);
    if (found) return found.label[lang];
    const rendered = document.querySelector(`[data-vocab="${vocab}:${code}"]`);
    return rendered ? rendered.textContent : String(code);
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    for (const el of all("[data-t]")) el.textContent = t(el.dataset.t, el.dataset.tArgs ? JSON.parse(el.dataset.tArgs) : null);
    for (const el of all("[data-t-aria]")) el.setAttribute("aria-label", t(el.dataset.tAria));
    if (taxonomy) {
      for (const el of all("[data-vocab]")) {
        const [vocab, code] = el.dataset.vocab.split(":");
        const found = term(vocab, code);
        if (found) el.textContent = found.label[lang];
      }
      for (const el of all("[data-vocab-hint]")) {
        const [vocab, code] = el.dataset.vocabHint.split(":");
        const found = term(vocab, code);
        if (found && found.hint) el.textContent = found.hint[lang];
      }
    }
    const other = nextLanguage();
    const toggle = $("lang-toggle");
    toggle.lang = other;
    toggle.dataset.lang = other;
    toggle.textContent = data.language_names[other] || other;
    renderStops();
    renderSpots();
    renderSync();
  }

  function switchLanguage() {
    lang = nextLanguage();
    local("walkapp.lang", lang);
    document.cookie = `lang=${lang}; path=/; max-age=31536000; samesite=lax`;
    applyLanguage();
  }

  async function loadTaxonomy() {
    try {
      const response = await fetch(`${config.api}/taxonomy`);
      if (response.ok) {
        taxonomy = await response.json();
        applyLanguage();
      }
    } catch (e) {
      /* offline before the first visit finished: the labels rendered by the server stay */
    }
  }

  // --- Night mode -----------------------------------------------------------------------------

  function renderTheme() {
    const night = document.documentElement.getAttribute("data-theme") === "night";
    $("theme-toggle").setAttribute("aria-pressed", String(night));
    const meta = document.querySelector('meta[name="theme-color"]');
    if (meta) meta.content = night ? "#121016" : "#5b2a86";
  }

  function toggleTheme() {
    const night = document.documentElement.getAttribute("data-theme") !== "night";
    const chosen = night ? "night" : "day";
    local("walkapp.theme", chosen === theme.automatic() ? null : chosen);
    theme.apply(chosen);
    renderTheme();
  }

  // --- Screens --------------------------------------------------------------------------------

  const APP_SCREENS = ["tag", "stop", "spots", "edit"];

  function show(name, options) {
    for (const section of all(".screen")) section.hidden = section.id !== `screen-${name}`;
    const inApp = !!session && APP_SCREENS.includes(name);
    $("tabs").hidden = !inApp;
    $("syncbar").hidden = !session;
    for (const link of all("#tabs a")) {
      if (link.getAttribute("href") === `#${name}`) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const screen = $(`screen-${name}`);
    if (screen && !(options && options.noFocus)) {
      const heading = screen.querySelector("h1");
      if (heading) heading.focus({ preventScroll: false });
    }
    if (session) renderSync();
    if (name === "tag") openTag();
    if (name === "stop") renderStops();
    if (name === "spots") openSpots();
    document.title = `${screen ? screen.querySelector("h1").textContent : ""} · walkapp`;
  }

  async function route(options) {
    if (!session) {
      if (data.start === "join" && $("screen-join")) return show("join", { noFocus: true });
      return show(data.start === "erase" || location.hash === "#erase" ? "erase" : "nowalk", options);
    }
    const hash = location.hash.slice(1);
    if (await box.kvGet("erasureCode")) return showCode();
    if (hash === "erase") return show("erase", options);
    if (hash.startsWith("edit/")) return openEdit(hash.slice(5));
    if (hash === "stop" || hash === "spots") return show(hash, options);
    return show("tag", options);
  }

  // --- Join: consent, profile, erasure code ---------------------------------------------------

  const joinAnswers = { guardian: false, track: false };

  function onConsent(event) {
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

  function chosen(name, root) {
    const input = (root || document).querySelector(`input[name="${name}"]:checked`);
    return input ? input.value : null;
  }

  function onAgeChange() {
    const under15 = chosen("age_band") === "under_15";
    $("guardian-again").hidden = !(under15 && !joinAnswers.guardian);
  }

  async function join(withProfile) {
    const guardian = joinAnswers.guardian || $("guardian-2").checked;
    let profile = null;
    if (withProfile) {
      profile = {};
      for (const name of ["gender", "age_band", "resident", "mobility"]) {
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
    session = {
      token: answer.token,
      participantId: answer.participant_id,
      walk: { ...answer.walk, code: data.walk.code },
      trackConsent: joinAnswers.track,
      joinedAt: new Date().toISOString(),
    };
    await box.saveSession(session);
    await box.kvSet("erasureCode", answer.erasure_code);
    local("walkapp.joined", "1");
    const centre = walkCentre();
    if (centre) local("walkapp.place", `${centre.lat},${centre.lon}`);
    askPersistentStorage();
    say($("profile-error"), null);
    history.replaceState(null, "", `${config.app}#tag`); // reloads open the offline app
    showCode();
  }

  async function showCode() {
    $("erasure-code").textContent = (await box.kvGet("erasureCode")) || "";
    show("code");
  }

  async function codeDone() {
    await box.tx(["kv"], "readwrite", (s) => void s.kv.delete("erasureCode")); // shown once
    if (location.hash !== "#tag") history.replaceState(null, "", `${config.app}#tag`);
    route();
  }

  function askPersistentStorage() {
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().catch(() => {});
    }
  }

  // --- Position -------------------------------------------------------------------------------

  function walkCentre() {
    const walk = session && session.walk;
    if (!walk) return null;
    const geometry = walk.perimeter;
    if (geometry && geometry.coordinates) {
      const ring = geometry.type === "MultiPolygon" ? geometry.coordinates[0][0] : geometry.coordinates[0];
      let lat = 0;
      let lon = 0;
      const points = ring.slice(0, -1);
      for (const [x, y] of points) {
        lon += x;
        lat += y;
      }
      return { lat: lat / points.length, lon: lon / points.length };
    }
    if (walk.stops && walk.stops.length) return { lat: walk.stops[0].lat, lon: walk.stops[0].lon };
    return null;
  }

  function startWatching() {
    if (watching || !navigator.geolocation) {
      if (!navigator.geolocation) {
        positionError = "denied";
        renderPosition();
      }
      return;
    }
    watching = true;
    navigator.geolocation.watchPosition(onPosition, onPositionError, {
      enableHighAccuracy: true,
      maximumAge: 10000,
      timeout: 60000,
    });
  }

  function onPosition(p) {
    position = { lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy, at: Date.now() };
    positionError = null;
    renderPosition();
    if (!pinByHand && !current && maps.tag) maps.tag.showPin(position.lat, position.lon, t("map.title"));
    recordTrack();
  }

  function onPositionError(error) {
    positionError = error.code === 1 ? "denied" : "none";
    renderPosition();
  }

  function renderPosition() {
    const el = $("position");
    if (pinByHand) return say(el, "pos.manual");
    if (!position) return say(el, positionError === "denied" ? "pos.denied" : positionError ? "pos.none" : "pos.searching");
    const m = Math.max(1, Math.round(position.accuracy));
    const key = m <= 15 ? "pos.precise" : m <= 50 ? "pos.fair" : m <= 150 ? "pos.rough" : "pos.poor";
    say(el, key, { m });
  }

  function spotPlace() {
    if (pinByHand) return { lat: pinByHand.lat, lon: pinByHand.lon, accuracy_m: null };
    if (position) {
      return { lat: position.lat, lon: position.lon, accuracy_m: Math.round(position.accuracy * 10) / 10 };
    }
    const centre = walkCentre() || { lat: 0, lon: 0 };
    return { lat: centre.lat, lon: centre.lon, accuracy_m: null };
  }

  // --- Route trace (only with consent, only while the app is open) ---------------------------

  function trackOn() {
    return !!(session && session.trackConsent) && local("walkapp.trackPaused") !== "1";
  }

  function renderTrack() {
    const consented = !!(session && session.trackConsent);
    $("track-note").hidden = !consented;
    if (!consented) return;
    say($("track-text"), trackOn() ? "track.on" : "track.paused");
    say($("track-toggle"), trackOn() ? "track.pause" : "track.resume");
  }

  function recordTrack() {
    if (!trackOn() || !position) return;
    const now = Date.now();
    if (lastTrack && now - lastTrack.at < TRACK_MIN_MS && metres(lastTrack, position) < TRACK_MIN_METRES) return;
    lastTrack = { ...position, at: now };
    box
      .addTrackPoint({
        t: new Date(now).toISOString(),
        lat: position.lat,
        lon: position.lon,
        accuracy_m: Math.round(position.accuracy * 10) / 10,
      })
      .catch(() => {});
  }

  function metres(a, b) {
    const rad = Math.PI / 180;
    const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
    const y = (b.lat - a.lat) * rad;
    return Math.sqrt(x * x + y * y) * 6371000;
  }

  // --- Maps -----------------------------------------------------------------------------------

  async function ensureMap(name, element) {
    if (maps[name]) {
      maps[name].refresh();
      return maps[name];
    }
    try {
      maps[name] = await window.walkappMap.create(element, {
        leaflet: config.leaflet,
        tiles: config.tiles,
        attribution: config.attribution,
        walk: session.walk,
      });
    } catch (e) {
      element.hidden = true; // no map (Leaflet missing): the spot still uses the GPS position
      return null;
    }
    return maps[name];
  }

  // --- Tag a spot -----------------------------------------------------------------------------

  async function openTag() {
    startWatching();
    renderPosition();
    renderTrack();
    const map = await ensureMap("tag", $("tag-map"));
    if (!map) return;
    map.onPin = onTagPin;
    const where = current ? current.body : pinByHand || position || walkCentre();
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

  function pinAtCentre(name) {
    const map = maps[name];
    if (!map) return;
    const c = map.centre();
    map.movePin(c.lat, c.lon, true);
  }

  async function pinBackToGps() {
    if (!position) return;
    $("tag-pin-gps").hidden = true;
    if (maps.tag) maps.tag.showPin(position.lat, position.lon);
    if (current) {
      const place = { lat: position.lat, lon: position.lon, accuracy_m: Math.round(position.accuracy * 10) / 10 };
      await box.edit(current.id, place);
      current.body = { ...current.body, ...place };
      flushSoon();
    } else {
      pinByHand = null;
      renderPosition();
    }
  }

  function isoNow() {
    const d = new Date();
    const pad = (n, width) => String(Math.abs(n)).padStart(width || 2, "0");
    const offset = -d.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:` +
      `${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
      `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  }

  async function onCategory(code) {
    const feeling = chosen("feeling", $("tag-form"));
    if (!feeling) {
      say($("tag-error"), "feeling.first");
      const first = $("tag-form").querySelector('input[name="feeling"]');
      if (first) first.focus();
      return;
    }
    say($("tag-error"), null);
    const body = { id: box.uuid(), ...spotPlace(), recorded_at: isoNow(), category: code, feeling: Number(feeling) };
    current = await box.capture(body);
    box.registerSync();
    showSaved();
    flushSoon();
  }

  function resetDetails(prefix) {
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

  function tagAnother() {
    current = null;
    pinByHand = null;
    for (const input of all('#tag-form input[name="feeling"]')) input.checked = false;
    $("tag-new").hidden = false;
    $("tag-saved").hidden = true;
    $("tag-pin-gps").hidden = true;
    renderPosition();
    if (maps.tag && position) maps.tag.showPin(position.lat, position.lon);
    const heading = $("screen-tag").querySelector("h1");
    heading.focus();
  }

  function ratingsOf(prefix) {
    const ratings = {};
    for (const code of CRITERIA) {
      const value = chosen(`${prefix}-${code}`);
      if (value !== null) ratings[code] = Number(value);
    }
    return Object.keys(ratings).length ? ratings : null;
  }

  function setRatings(prefix, ratings) {
    for (const code of CRITERIA) {
      for (const input of all(`input[name="${prefix}-${code}"]`)) {
        input.checked = !!ratings && ratings[code] !== undefined && String(ratings[code]) === input.value;
      }
    }
  }

  async function onDetails(event) {
    event.preventDefault();
    if (!current) return;
    const changes = { comment: $("details-comment").value.trim() || null, ratings: ratingsOf("details") };
    await box.edit(current.id, changes);
    say($("details-msg"), "details.saved");
    flushSoon();
  }

  // --- Photos: downscaled on the phone (a 12 MP photo becomes ~200 KB), metadata dropped ------

  function loadImage(file) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      const url = URL.createObjectURL(file);
      img.onload = () => {
        URL.revokeObjectURL(url);
        resolve(img);
      };
      img.onerror = () => {
        URL.revokeObjectURL(url);
        reject(new Error("unreadable image"));
      };
      img.src = url;
    });
  }

  function toBlob(canvas, quality) {
    return new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode failed"))), "image/jpeg", quality),
    );
  }

  function scaled(source, width, height, max) {
    const ratio = Math.min(1, max / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * ratio));
    canvas.height = Math.max(1, Math.round(height * ratio));
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  async function shrinkPhoto(file) {
    let source;
    if (typeof createImageBitmap === "function") {
      source = await createImageBitmap(file, { imageOrientation: "from-image" });
    } else {
      source = await loadImage(file);
    }
    const width = source.width || source.naturalWidth;
    const height = source.height || source.naturalHeight;
    const photo = scaled(source, width, height, PHOTO_MAX);
    if (source.close) source.close();
    const thumb = scaled(photo, photo.width, photo.height, THUMB_MAX);
    const result = { blob: await toBlob(photo, 0.82), thumb: await toBlob(thumb, 0.7) };
    photo.width = photo.height = 0; // free the memory now, on small phones
    return result;
  }

  async function onPhoto(prefix, spotId) {
    const input = $(`${prefix}-photo`);
    const file = input.files && input.files[0];
    if (!file || !spotId) return;
    const message = $(`${prefix}-photo-msg`);
    say(message, "photo.working");
    try {
      const { blob, thumb } = await shrinkPhoto(file);
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

  function showThumb(container, blob, alt) {
    const img = document.createElement("img");
    const url = URL.createObjectURL(blob);
    thumbUrls.push(url);
    img.src = url;
    img.alt = alt;
    img.width = 96;
    container.appendChild(img);
  }

  // --- Stop rating ----------------------------------------------------------------------------

  function renderStops() {
    const list = $("stop-list");
    if (!list || !session) return;
    const stops = session.walk.stops || [];
    $("stop-none").hidden = stops.length > 0;
    $("stop-form").hidden = stops.length === 0;
    $("tab-stop").hidden = stops.length === 0;
    const selected = chosen("stop", list);
    list.textContent = "";
    let nearest = null;
    if (position) {
      nearest = stops.reduce((best, stop) => (!best || metres(position, stop) < metres(position, best) ? stop : best), null);
    }
    for (const stop of stops) {
      const label = document.createElement("label");
      label.className = "choice";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "stop";
      input.value = String(stop.id);
      input.checked = selected ? selected === String(stop.id) : nearest ? nearest.id === stop.id : stop === stops[0];
      const text = document.createElement("span");
      text.textContent = t("stop.name", { n: stop.number, name: stop.name });
      label.append(input, text);
      list.appendChild(label);
    }
  }

  function stopCategory() {
    const ratings = ratingsOf("stop");
    if (!ratings) return null;
    let worst = null;
    for (const [code, value] of Object.entries(ratings)) {
      if (CRITERION_CATEGORY[code] && (!worst || value < worst.value)) worst = { code, value };
    }
    if (worst && worst.value <= 1) return CRITERION_CATEGORY[worst.code];
    return Object.values(ratings).every((v) => v >= 2) ? "good_place" : null;
  }

  function onStopRating() {
    if (stopCategoryTouched) return;
    const category = stopCategory();
    if (category) $("stop-category").value = category;
  }

  async function onStopSave(event) {
    event.preventDefault();
    const stopId = Number(chosen("stop", $("stop-list")));
    const stop = (session.walk.stops || []).find((s) => s.id === stopId);
    const feeling = chosen("stop-feeling");
    if (!feeling) {
      say($("stop-error"), "stop.need_feeling");
      $("stop-form").querySelector('input[name="stop-feeling"]').focus();
      return;
    }
    say($("stop-error"), null);
    const body = {
      id: box.uuid(),
      lat: stop.lat,
      lon: stop.lon,
      recorded_at: isoNow(),
      category: $("stop-category").value,
      feeling: Number(feeling),
      ratings: ratingsOf("stop"),
      stop_id: stop.id,
    };
    await box.capture(body);
    box.registerSync();
    flushSoon();
    for (const input of all("#stop-form .rating input, #stop-form .feelings input")) input.checked = false;
    stopCategoryTouched = false;
    say($("stop-saved"), "stop.saved");
    $("stop-saved").focus();
  }

  // --- My spots -------------------------------------------------------------------------------

  function problemText(problem) {
    const keys = { closed: "problem.closed", conflict: "problem.conflict", session: "problem.session",
      too_big: "problem.too_big", gone: "problem.gone" };
    const message = keys[problem.code] ? t(keys[problem.code]) : t("problem.invalid", { detail: problem.detail || problem.status });
    return t("state.problem", { message });
  }

  function timeOf(spot) {
    try {
      return new Intl.DateTimeFormat(lang, {
        hour: "2-digit",
        minute: "2-digit",
        timeZone: (session && session.walk.timezone) || undefined,
      }).format(new Date(spot.body.recorded_at));
    } catch (e) {
      return "";
    }
  }

  function button(text, label, className, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = text;
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  async function openSpots() {
    await renderSpots();
    const map = await ensureMap("spots", $("spots-map"));
    if (map) renderSpots();
  }

  let spotsRender = 0;
  // The spot whose "delete?" question is open. The list is drawn again whenever the outbox
  // changes (a sync lands): the question must stay open, and keep the focus, across that.
  let confirmingDelete = null;
  async function renderSpots() {
    const list = $("spots-list");
    if (!list || !session || $("screen-spots").hidden) return;
    const mine = ++spotsRender;
    const state = await box.state();
    const trackProblem = await box.kvGet("trackProblem");
    if (mine !== spotsRender) return; // a newer render is on its way: never list twice
    const focusInConfirm = Boolean(document.activeElement && document.activeElement.closest(".confirm-delete"));
    while (thumbUrls.length) URL.revokeObjectURL(thumbUrls.pop());
    list.textContent = "";
    $("spots-empty").hidden = state.spots.length > 0;
    $("track-problem").hidden = !trackProblem;
    state.spots.forEach((spot, index) => list.appendChild(spotItem(spot, index + 1)));
    const openConfirm = list.querySelector(".confirm-delete:not([hidden]) button");
    if (focusInConfirm && openConfirm) openConfirm.focus();
    if (maps.spots) maps.spots.setSpots(state.spots);
  }

  function spotItem(spot, n) {
    const li = document.createElement("li");
    li.className = `spot state-${spot.state}`;
    const title = document.createElement("h2");
    title.className = "spot-title";
    const what = `${vocabLabel("category", spot.body.category)} · ${vocabLabel("feeling", spot.body.feeling)}`;
    title.textContent = t("spots.item", { n, what });
    const meta = document.createElement("p");
    meta.className = "small";
    const stateKey = { sent: "state.sent", waiting: "state.waiting", deleting: "state.deleting" }[spot.state];
    meta.textContent = `${timeOf(spot)} · ${stateKey ? t(stateKey) : t("state.waiting")}`;
    li.append(title, meta);
    if (spot.body.comment) {
      const comment = document.createElement("p");
      comment.textContent = spot.body.comment; // text, never HTML
      li.appendChild(comment);
    }
    if (spot.problem) {
      const problem = document.createElement("p");
      problem.className = "error";
      problem.textContent = problemText(spot.problem);
      li.appendChild(problem);
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
      actions.appendChild(button(t("spots.edit_short"), t("spots.edit", { n }), "secondary", () => {
        location.hash = `#edit/${spot.id}`;
      }));
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
      actions.appendChild(button(t("spots.dismiss"), null, "secondary", async () => {
        await box.dismiss(spot.id);
        renderSpots();
      }));
    }
    return li;
  }

  async function eraseAll() {
    say($("erase-all-msg"), null);
    try {
      await box.eraseEverything();
    } catch (e) {
      say($("erase-all-msg"), "erase.needs_network");
      return;
    }
    forgetSession();
    history.replaceState(null, "", config.app);
    show("erased");
  }

  function forgetSession() {
    session = null;
    current = null;
    for (const key of ["walkapp.joined", "walkapp.place", "walkapp.trackPaused"]) local(key, null);
    document.documentElement.classList.remove("joined");
    renderSync();
  }

  // --- Edit a spot ----------------------------------------------------------------------------

  async function openEdit(id) {
    const state = await box.state();
    const spot = state.spots.find((s) => s.id === id);
    if (!spot || spot.state === "deleting") {
      location.hash = "#spots";
      return;
    }
    editing = spot;
    editPin = null;
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
      };
      map.showPin(spot.body.lat, spot.body.lon, t("map.title"));
    }
  }

  async function onEditSave(event) {
    event.preventDefault();
    if (!editing) return;
    const changes = {
      feeling: Number(chosen("edit-feeling") || editing.body.feeling),
      category: $("edit-category").value,
      comment: $("edit-comment").value.trim() || null,
      ratings: ratingsOf("edit"),
    };
    if (editPin) Object.assign(changes, { lat: editPin.lat, lon: editPin.lon, accuracy_m: null });
    await box.edit(editing.id, changes);
    say($("edit-msg"), "edit.saved");
    flushSoon();
  }

  // --- Erasure with the code (lost phone) ----------------------------------------------------

  async function onEraseWithCode(event) {
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
    say($("erase-msg"), status === 429 ? "erase.too_many" : status === 404 || status === 422 ? "erase.unknown" : "join.error");
  }

  // --- Sync: badge, "send now", retries --------------------------------------------------------

  let renderQueued = false;
  function renderSyncSoon() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(() => {
      renderQueued = false;
      renderSync();
      renderSpots();
    }, 50);
  }

  async function renderSync() {
    if (!session) return;
    const state = await box.state();
    const text = $("sync-text");
    const count = $("sync-count");
    count.textContent = String(state.waiting);
    count.hidden = state.waiting === 0;
    const parts = [];
    if (state.waiting === 1) parts.push(t("sync.one"));
    else if (state.waiting > 1) parts.push(t("sync.many", { n: state.waiting }));
    if (state.problems) parts.push(t("sync.problems", { n: state.problems }));
    if (!parts.length) parts.push(t("sync.none"));
    else if (state.waiting && !navigator.onLine) parts.push(t("sync.offline"));
    const sentence = parts.join(" ");
    if (text.textContent !== sentence) text.textContent = sentence;
    delete text.dataset.t;
    $("syncbar").classList.toggle("has-waiting", state.waiting > 0);
    if (navigator.setAppBadge) navigator.setAppBadge(state.waiting).catch(() => {});
    if (current) {
      const mine = state.spots.find((s) => s.id === current.id);
      if (mine && mine.state === "sent" && $("saved-msg").dataset.t === "saved.local") say($("saved-msg"), "saved.sent");
    }
  }

  let flushing = false;
  async function flushNow(force) {
    if (!session) return;
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
    if (summary.retry && session) {
      const wait = Number.isFinite(summary.nextTryAt) ? summary.nextTryAt - Date.now() : 30000;
      retryTimer = setTimeout(() => flushNow(false), Math.max(1000, wait));
    }
  }

  function flushSoon() {
    if (!flushing) setTimeout(() => flushNow(false), 0);
  }

  // --- Start ----------------------------------------------------------------------------------

  function wire() {
    $("theme-toggle").addEventListener("click", toggleTheme);
    $("lang-toggle").addEventListener("click", switchLanguage);
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
    for (const b of all("button.category")) b.addEventListener("click", () => onCategory(b.dataset.category));
    for (const input of all('#tag-form input[name="feeling"]')) input.addEventListener("change", () => say($("tag-error"), null));
    $("details-form").addEventListener("submit", onDetails);
    $("details-photo").addEventListener("change", () => onPhoto("details", current && current.id));
    $("tag-another").addEventListener("click", tagAnother);
    $("tag-pin-centre").addEventListener("click", () => pinAtCentre("tag"));
    $("tag-pin-gps").addEventListener("click", pinBackToGps);
    $("edit-pin-centre").addEventListener("click", () => pinAtCentre("edit"));
    $("track-toggle").addEventListener("click", () => {
      local("walkapp.trackPaused", trackOn() ? "1" : null);
      renderTrack();
    });
    $("stop-form").addEventListener("submit", onStopSave);
    $("stop-form").addEventListener("change", (e) => {
      if (e.target.id === "stop-category") stopCategoryTouched = true;
      else if (e.target.closest(".rating")) onStopRating();
    });
    $("edit-form").addEventListener("submit", onEditSave);
    $("edit-photo").addEventListener("change", () => onPhoto("edit", editing && editing.id));
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
    window.addEventListener("offline", renderSync);
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
    navigator.serviceWorker.register(config.sw, { scope: "/" }).catch(() => {
      /* not a secure context (plain http on a phone): the app works, not offline */
    });
  }

  async function start() {
    wire();
    renderTheme();
    if (lang !== data.lang) applyLanguage();
    registerWorker();
    loadTaxonomy();
    try {
      session = (await box.getSession()) || null;
    } catch (e) {
      session = null; // IndexedDB unavailable: joining still works, spots are sent at once
    }
    if (session && data.start === "join" && session.walk.code !== data.walk.code) {
      // Another walk: the earlier walk's waiting spots keep their own token in the outbox.
      session = null;
    }
    if (session && data.start === "join") history.replaceState(null, "", `${config.app}#tag`);
    if (session && data.start === "erase") location.hash = "#erase";
    await route({ noFocus: true });
    renderSync();
    if (session) {
      askPersistentStorage();
      flushNow(true);
    }
    document.documentElement.classList.add("ready");
  }

  start();
})();
