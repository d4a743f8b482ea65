/* walkapp: night mode before the first paint (no white flash), loaded in <head>.
 * Night when she chose it; else when the server said it is dark at the walk's place; else when
 * the sun has set at the place of the walk already joined (computed here, offline too); else
 * the phone's own dark setting.
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

  function read(key) {
    try {
      return root.localStorage.getItem(key);
    } catch (e) {
      return null; // storage disabled: fall back to the defaults
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

  // Whether the sun has set there (night mode by default), as the server's participate.dark_at.
  function darkAt(lat, lon, date) {
    return sunElevation(lat, lon, date) < SUNRISE_ELEVATION;
  }

  // The automatic theme from what is known — pure: server is the page's data-theme-auto, place
  // the "lat,lon" kept at join, prefersDark the phone's setting.
  function decide(server, place, prefersDark, date) {
    if (server === "night" || server === "day") return server;
    var parts = (place || "").split(",");
    if (parts.length === 2 && isFinite(parts[0]) && isFinite(parts[1])) {
      return darkAt(+parts[0], +parts[1], date) ? "night" : "day";
    }
    return prefersDark ? "night" : "day";
  }

  function automatic() {
    var doc = root.document.documentElement;
    var dark = !!(root.matchMedia && root.matchMedia("(prefers-color-scheme: dark)").matches);
    return decide(doc.getAttribute("data-theme-auto"), read("walkapp.place"), dark, new Date());
  }

  function current() {
    var chosen = read("walkapp.theme");
    return chosen === "night" || chosen === "day" ? chosen : automatic();
  }

  function apply(theme) {
    root.document.documentElement.setAttribute("data-theme", theme);
  }

  root.walkappTheme = {
    SUNRISE_ELEVATION: SUNRISE_ELEVATION,
    CIVIL_DUSK_ELEVATION: CIVIL_DUSK_ELEVATION,
    sunElevation: sunElevation,
    lightCondition: lightCondition,
    darkAt: darkAt,
    decide: decide,
    current: current,
    automatic: automatic,
    apply: apply,
  };
  if (root.document) {
    var doc = root.document.documentElement;
    apply(current());
    doc.classList.remove("no-js");
    doc.classList.add("js");
    if (read("walkapp.joined")) doc.classList.add("joined");
  }
})(this);
