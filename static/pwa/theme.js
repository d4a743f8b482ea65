/* walkapp: night mode before the first paint (no white flash), loaded in <head> of every page.
 * The phone's clock decides, with the sun at a place: the walk of the page (data-place of this
 * script's tag), else the walk joined on this phone (walkapp.place, kept at join), else the
 * deployment's default place (data-default-place, WALKAPP_DEFAULT_PLACE); the phone's own dark setting
 * only when no place is known. Her choice (the toggle) wins until the end of the walk it was
 * made for (walkapp.themeUntil). While the page stays open the theme follows the sun: checked
 * every minute and when the page is shown again; a change fires "walkapp:theme" on document.
 *
 * A classic script, not a module: modules are deferred, and this must run before the body is
 * painted. It is the app's one definition of the sun (night.js, a module, uses it through
 * walkappTheme); tests/js/night.test.mjs runs it in node:vm. Its two thresholds are those of
 * walkapp/domain/light.py (tests/test_pwa_modules.py checks that they agree).
 */
(function (root) {
  "use strict";
  // The sun's centre at sunrise and sunset (refraction + half its disc): light.SUNRISE_ELEVATION.
  var SUNRISE_ELEVATION = -0.833;
  // End of civil twilight: light.CIVIL_DUSK_ELEVATION.
  var CIVIL_DUSK_ELEVATION = -6.0;
  // A choice kept without a walk's end to last until (no walk, or an older phone's choice):
  // the length of one evening's outing, so that the sun decides again the next day.
  var CHOICE_HOURS = 12;
  // How often an open page looks at the sun again: dusk never comes more than a minute late.
  var CHECK_MS = 60000;

  function read(key) {
    try {
      return root.localStorage.getItem(key);
    } catch (e) {
      return null; // storage disabled: fall back to the defaults
    }
  }

  function write(key, value) {
    try {
      if (value === null) root.localStorage.removeItem(key);
      else root.localStorage.setItem(key, value);
    } catch (e) {
      /* private mode: the choice lasts as long as the page */
    }
  }

  // The sun's elevation in degrees (US Naval Observatory's approximation, good to ~0.1 degree).
  function sunElevation(lat, lon, date) {
    var rad = Math.PI / 180;
    var d = date.getTime() / 86400000 + 2440587.5 - 2451545.0; // days since J2000.0
    var g = (357.529 + 0.98560028 * d) * rad;
    var q = 280.459 + 0.98564736 * d;
    var lambda = (q + 1.915 * Math.sin(g) + 0.02 * Math.sin(2 * g)) * rad;
    var e = (23.439 - 0.00000036 * d) * rad;
    var ra = Math.atan2(Math.cos(e) * Math.sin(lambda), Math.cos(lambda));
    var dec = Math.asin(Math.sin(e) * Math.sin(lambda));
    var gmst = (18.697374558 + 24.06570982441908 * d) % 24;
    var hourAngle = (gmst * 15 + lon) * rad - ra;
    var sinEl = Math.sin(lat * rad) * Math.sin(dec) + Math.cos(lat * rad) * Math.cos(dec) * Math.cos(hourAngle);
    return Math.asin(sinEl) / rad;
  }

  // "day", "twilight" or "night", as the server classifies a spot (light.light_condition).
  function lightCondition(lat, lon, date) {
    var elevation = sunElevation(lat, lon, date);
    if (elevation > SUNRISE_ELEVATION) return "day";
    if (elevation >= CIVIL_DUSK_ELEVATION) return "twilight";
    return "night";
  }

  // Whether the sun has set there (night mode by default), twilight included.
  function darkAt(lat, lon, date) {
    return sunElevation(lat, lon, date) < SUNRISE_ELEVATION;
  }

  // "lat,lon" -> [lat, lon], or null.
  function parsePlace(text) {
    var parts = (text || "").split(",");
    if (parts.length !== 2 || parts[0].trim() === "" || parts[1].trim() === "") return null;
    var lat = +parts[0];
    var lon = +parts[1];
    if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
    return [lat, lon];
  }

  // The automatic theme — pure: places is the list of "lat,lon" texts in order of preference
  // (the page's walk, the walk joined, the deployment's default), the first valid one decides;
  // prefersDark, the phone's setting, only when none is.
  function decide(places, prefersDark, date) {
    for (var i = 0; i < places.length; i++) {
      var place = parsePlace(places[i]);
      if (place) return darkAt(place[0], place[1], date) ? "night" : "day";
    }
    return prefersDark ? "night" : "day";
  }

  // Her choice if it still holds at `now` (ms) — pure: chosen is walkapp.theme, until is
  // walkapp.themeUntil (ms, as text). A choice without an end holds (its end is set by current()).
  function chosenTheme(chosen, until, now) {
    if (chosen !== "night" && chosen !== "day") return null;
    if (until === null || until === undefined || until === "") return chosen;
    var end = Number(until);
    return isFinite(end) && now < end ? chosen : null;
  }

  // Until when a choice made at `now` lasts — pure: the end of the walk (ms), else CHOICE_HOURS.
  function choiceUntil(walkEnd, now) {
    var end = Number(walkEnd);
    if (walkEnd !== null && walkEnd !== undefined && isFinite(end) && end > now) return end;
    return now + CHOICE_HOURS * 3600000;
  }

  // The places the page gives, read once from this script's own tag (currentScript is only
  // set while the script first runs).
  var script = root.document && root.document.currentScript;
  var pagePlace = script ? script.getAttribute("data-place") : null;
  var defaultPlace = script ? script.getAttribute("data-default-place") : null;

  function automatic() {
    var dark = !!(root.matchMedia && root.matchMedia("(prefers-color-scheme: dark)").matches);
    return decide([pagePlace, read("walkapp.place"), defaultPlace], dark, new Date());
  }

  function current() {
    var now = Date.now();
    var chosen = read("walkapp.theme");
    var until = read("walkapp.themeUntil");
    var kept = chosenTheme(chosen, until, now);
    if (kept && !until) write("walkapp.themeUntil", String(choiceUntil(null, now))); // never forever
    if (!kept && chosen) {
      write("walkapp.theme", null); // the walk it was chosen for is over: the sun decides again
      write("walkapp.themeUntil", null);
    }
    return kept || automatic();
  }

  // Her choice (theme), until `until` (ms); null forgets it.
  function choose(theme, until) {
    write("walkapp.theme", theme);
    write("walkapp.themeUntil", theme ? String(until) : null);
  }

  function apply(theme) {
    var doc = root.document.documentElement;
    if (doc.getAttribute("data-theme") === theme) return;
    doc.setAttribute("data-theme", theme);
    if (root.CustomEvent && root.document.dispatchEvent) {
      root.document.dispatchEvent(new root.CustomEvent("walkapp:theme", { detail: theme }));
    }
  }

  function refresh() {
    apply(current());
  }

  root.walkappTheme = {
    SUNRISE_ELEVATION: SUNRISE_ELEVATION,
    CIVIL_DUSK_ELEVATION: CIVIL_DUSK_ELEVATION,
    CHOICE_HOURS: CHOICE_HOURS,
    sunElevation: sunElevation,
    lightCondition: lightCondition,
    darkAt: darkAt,
    parsePlace: parsePlace,
    decide: decide,
    chosenTheme: chosenTheme,
    choiceUntil: choiceUntil,
    current: current,
    automatic: automatic,
    choose: choose,
    apply: apply,
    refresh: refresh,
  };
  if (root.document) {
    var doc = root.document.documentElement;
    refresh();
    doc.classList.remove("no-js");
    doc.classList.add("js");
    if (read("walkapp.joined")) doc.classList.add("joined");
    if (root.setInterval) root.setInterval(refresh, CHECK_MS);
    if (root.document.addEventListener) {
      root.document.addEventListener("visibilitychange", function () {
        if (root.document.visibilityState === "visible") refresh();
      });
    }
  }
})(this);
