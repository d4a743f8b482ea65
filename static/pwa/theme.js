/* walkapp: night mode before the first paint (no white flash), loaded in <head>.
 * Night when she chose it; else when the server said it is dark at the walk's place; else when
 * the sun has set at the place of the walk already joined (computed here, offline too); else
 * the phone's own dark setting. */
(function () {
  "use strict";
  var SUNSET = -0.833; // the sun's centre at sunrise and sunset (refraction + half its disc)
  var doc = document.documentElement;

  function read(key) {
    try {
      return localStorage.getItem(key);
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

  function automatic() {
    var server = doc.getAttribute("data-theme-auto");
    if (server === "night" || server === "day") return server;
    var place = (read("walkapp.place") || "").split(",");
    if (place.length === 2 && isFinite(place[0]) && isFinite(place[1])) {
      return sunElevation(+place[0], +place[1], new Date()) < SUNSET ? "night" : "day";
    }
    return window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "night" : "day";
  }

  function current() {
    var chosen = read("walkapp.theme");
    return chosen === "night" || chosen === "day" ? chosen : automatic();
  }

  function apply(theme) {
    doc.setAttribute("data-theme", theme);
  }

  apply(current());
  doc.classList.remove("no-js");
  doc.classList.add("js");
  if (read("walkapp.joined")) doc.classList.add("joined");
  window.walkappTheme = { sunElevation: sunElevation, current: current, automatic: automatic, apply: apply };
})();
