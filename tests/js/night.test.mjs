// The sun and night mode: theme.js (a classic script, run here in node:vm as the browser runs
// it in <head>) and the toggle's rule (static/pwa/night.js).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import vm from "node:vm";

import { choiceToKeep, themeColour } from "../../static/pwa/night.js";

const source = readFileSync(new URL("../../static/pwa/theme.js", import.meta.url), "utf8");

function loadTheme({ stored = {}, autoAttr = null, prefersDark = false } = {}) {
  const attributes = { "data-theme-auto": autoAttr };
  const classes = new Set(["no-js"]);
  const documentElement = {
    getAttribute: (name) => attributes[name] ?? null,
    setAttribute: (name, value) => (attributes[name] = value),
    classList: { add: (c) => classes.add(c), remove: (c) => classes.delete(c) },
  };
  const context = {
    document: { documentElement },
    localStorage: { getItem: (key) => stored[key] ?? null },
    matchMedia: () => ({ matches: prefersDark }),
  };
  vm.createContext(context);
  vm.runInContext(source, context);
  return { theme: context.walkappTheme, attributes, classes };
}

// From walkapp/domain/light.py (astral, NOAA's equations): sun_elevation and light_condition.
const ASTRAL = [
  [50.3571, 3.5219, "2026-11-22T20:30:00Z", -43.315, "night"],
  [50.3571, 3.5219, "2026-11-22T12:00:00Z", 19.182, "day"],
  [50.3571, 3.5219, "2026-11-22T16:00:00Z", -1.842, "twilight"],
  [50.3571, 3.5219, "2026-11-22T16:40:00Z", -7.553, "night"],
  [50.3571, 3.5219, "2026-06-21T11:45:00Z", 63.076, "day"],
  [69.65, 18.96, "2026-12-21T11:00:00Z", -3.142, "twilight"],
  [-33.87, 151.21, "2026-01-10T02:00:00Z", 78.091, "day"],
  [50.3571, 3.5219, "2026-12-01T05:54:00Z", -13.684, "night"],
];

describe("the sun (theme.js)", () => {
  const { theme } = loadTheme();

  it("has light.py's thresholds", () => {
    assert.equal(theme.SUNRISE_ELEVATION, -0.833);
    assert.equal(theme.CIVIL_DUSK_ELEVATION, -6);
  });

  it("is where astral puts it, within a tenth of a degree", () => {
    for (const [lat, lon, iso, elevation] of ASTRAL) {
      const js = theme.sunElevation(lat, lon, new Date(iso));
      assert.ok(Math.abs(js - elevation) < 0.1, `${iso} at ${lat},${lon}: ${js} vs ${elevation}`);
    }
  });

  it("classifies day, twilight and night as the server does", () => {
    for (const [lat, lon, iso, , condition] of ASTRAL) assert.equal(theme.lightCondition(lat, lon, new Date(iso)), condition, iso);
  });

  it("is dark once the sun has set (night mode), twilight included", () => {
    assert.equal(theme.darkAt(50.3571, 3.5219, new Date("2026-11-22T16:00:00Z")), true); // -1.8°
    assert.equal(theme.darkAt(50.3571, 3.5219, new Date("2026-11-22T15:30:00Z")), false);
  });
});

describe("the automatic theme", () => {
  const { theme } = loadTheme();
  const evening = new Date("2026-11-22T20:30:00Z");
  const noon = new Date("2026-11-22T12:00:00Z");

  it("follows the server, then the sun at the walk's place, then the phone", () => {
    assert.equal(theme.decide("day", "50.3571,3.5219", true, evening), "day");
    assert.equal(theme.decide("night", null, false, noon), "night");
    assert.equal(theme.decide(null, "50.3571,3.5219", false, evening), "night");
    assert.equal(theme.decide(null, "50.3571,3.5219", true, noon), "day");
    assert.equal(theme.decide(null, null, true, noon), "night");
    assert.equal(theme.decide(null, "nowhere", false, evening), "day");
  });

  it("is applied before the first paint, her choice first", () => {
    const chosen = loadTheme({ stored: { "walkapp.theme": "day" }, autoAttr: "night" });
    assert.equal(chosen.attributes["data-theme"], "day");
    assert.ok(chosen.classes.has("js") && !chosen.classes.has("no-js"));
    const joined = loadTheme({ stored: { "walkapp.joined": "1" }, prefersDark: true });
    assert.equal(joined.attributes["data-theme"], "night");
    assert.ok(joined.classes.has("joined"));
  });
});

describe("the toggle (night.js)", () => {
  it("remembers a choice only when it differs from the automatic one", () => {
    assert.equal(choiceToKeep("night", "night"), null);
    assert.equal(choiceToKeep("day", "night"), "day");
  });

  it("colours the browser's bar", () => {
    assert.notEqual(themeColour(true), themeColour(false));
  });
});
