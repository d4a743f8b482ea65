// The sun and night mode: theme.js (a classic script, run here in node:vm as the browser runs
// it in <head>) and the toggle's rule (static/pwa/night.js).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import vm from "node:vm";

import { choiceToKeep, themeColour } from "../../static/pwa/night.js";

const source = readFileSync(new URL("../../static/pwa/theme.js", import.meta.url), "utf8");

function loadTheme({ stored = {}, place = null, defaultPlace = null, prefersDark = false, now = null } = {}) {
  const attributes = {};
  const scriptAttributes = { "data-place": place, "data-default-place": defaultPlace };
  const classes = new Set(["no-js"]);
  const timers = [];
  const events = [];
  const documentElement = {
    getAttribute: (name) => attributes[name] ?? null,
    setAttribute: (name, value) => (attributes[name] = value),
    classList: { add: (c) => classes.add(c), remove: (c) => classes.delete(c) },
  };
  const clock = { now: now === null ? Date.now() : Date.parse(now) };
  const FixedDate = class extends Date {
    constructor(...args) {
      super(...(args.length ? args : [clock.now]));
    }
    static now() {
      return clock.now;
    }
  };
  const context = {
    Date: FixedDate,
    document: {
      documentElement,
      currentScript: { getAttribute: (name) => scriptAttributes[name] ?? null },
      visibilityState: "visible",
      addEventListener: () => {},
      dispatchEvent: (event) => events.push(event.detail),
    },
    CustomEvent: class {
      constructor(type, init) {
        this.type = type;
        this.detail = init.detail;
      }
    },
    localStorage: {
      getItem: (key) => stored[key] ?? null,
      setItem: (key, value) => (stored[key] = String(value)),
      removeItem: (key) => delete stored[key],
    },
    matchMedia: () => ({ matches: prefersDark }),
    setInterval: (fn, ms) => timers.push({ fn, ms }),
  };
  vm.createContext(context);
  vm.runInContext(source, context);
  return { theme: context.walkappTheme, attributes, classes, stored, timers, events, clock };
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

  it("follows the sun at the first place known, then the phone's setting", () => {
    const sydney = "-33.87,151.21"; // noon in Valenciennes is night there
    assert.equal(theme.decide(["50.3571,3.5219", sydney], false, evening), "night");
    assert.equal(theme.decide([sydney, "50.3571,3.5219"], false, noon), "night");
    assert.equal(theme.decide([null, "50.3571,3.5219"], true, noon), "day");
    assert.equal(theme.decide(["nowhere", "", null, "50.3571,3.5219"], false, evening), "night");
    assert.equal(theme.decide([null, null], true, noon), "night");
    assert.equal(theme.decide(["nowhere", "91,0", "1,2,3"], false, evening), "day");
  });

  it("reads a place as latitude,longitude", () => {
    assert.deepEqual(Array.from(theme.parsePlace("50.357,3.523")), [50.357, 3.523]);
    for (const bad of [null, "", ",", "50.3", "a,b", "95,3", "50,190"]) assert.equal(theme.parsePlace(bad), null, bad);
  });

  it("is applied before the first paint: her choice, the walk of the page, the walk joined, the default place", () => {
    const night = "2026-12-01T21:00:00Z";
    const chosen = loadTheme({ stored: { "walkapp.theme": "day" }, defaultPlace: "50.357,3.523", now: night });
    assert.equal(chosen.attributes["data-theme"], "day");
    assert.ok(chosen.classes.has("js") && !chosen.classes.has("no-js"));
    const joined = loadTheme({ stored: { "walkapp.joined": "1", "walkapp.place": "50.3571,3.5219" }, now: night });
    assert.equal(joined.attributes["data-theme"], "night");
    assert.ok(joined.classes.has("joined"));
    // A phone that never joined, at night: the deployment's default place decides, not the phone.
    const never = loadTheme({ defaultPlace: "50.357,3.523", prefersDark: false, now: night });
    assert.equal(never.attributes["data-theme"], "night");
    const page = loadTheme({ place: "-33.87,151.21", stored: { "walkapp.place": "50.3571,3.5219" }, now: night });
    assert.equal(page.attributes["data-theme"], "day"); // the page's walk, not the one joined
    assert.equal(loadTheme({ prefersDark: true }).attributes["data-theme"], "night");
  });

  it("turns to night at dusk while the page stays open, and says so", () => {
    const open = loadTheme({ defaultPlace: "50.357,3.523", now: "2026-12-01T15:25:00Z" }); // 16:25 in Paris
    assert.equal(open.attributes["data-theme"], "day");
    const [timer] = open.timers;
    assert.ok(timer && timer.ms <= 60000, "checked at least every minute");
    open.clock.now = Date.parse("2026-12-01T16:45:00Z");
    timer.fn();
    assert.equal(open.attributes["data-theme"], "night");
    assert.deepEqual(open.events, ["day", "night"]);
    timer.fn();
    assert.deepEqual(open.events, ["day", "night"], "no event without a change");
  });
});

describe("her choice", () => {
  const { theme } = loadTheme();
  const now = Date.parse("2026-12-01T17:00:00Z");

  it("holds until its end, then the sun decides again", () => {
    assert.equal(theme.chosenTheme("night", String(now + 1), now), "night");
    assert.equal(theme.chosenTheme("night", String(now), now), null);
    assert.equal(theme.chosenTheme("day", null, now), "day");
    assert.equal(theme.chosenTheme("dusk", null, now), null);
    assert.equal(theme.chosenTheme(null, String(now + 1), now), null);
  });

  it("lasts until the end of the walk it was made for, else one evening", () => {
    assert.equal(theme.choiceUntil(now + 3600000, now), now + 3600000);
    assert.equal(theme.choiceUntil(now - 1, now), now + theme.CHOICE_HOURS * 3600000);
    assert.equal(theme.choiceUntil(null, now), now + theme.CHOICE_HOURS * 3600000);
    assert.equal(theme.choiceUntil(Number.NaN, now), now + theme.CHOICE_HOURS * 3600000);
  });

  it("is never kept forever: an older choice gets an end, an ended one is forgotten", () => {
    const night = "2026-12-01T21:00:00Z";
    const old = loadTheme({ stored: { "walkapp.theme": "day" }, now: night });
    assert.equal(old.attributes["data-theme"], "day");
    assert.equal(Number(old.stored["walkapp.themeUntil"]), Date.parse(night) + old.theme.CHOICE_HOURS * 3600000);
    const ended = loadTheme({
      stored: { "walkapp.theme": "day", "walkapp.themeUntil": String(Date.parse(night) - 1) },
      defaultPlace: "50.357,3.523",
      now: night,
    });
    assert.equal(ended.attributes["data-theme"], "night");
    assert.equal(ended.stored["walkapp.theme"], undefined);
    assert.equal(ended.stored["walkapp.themeUntil"], undefined);
  });

  it("is kept with its end, or forgotten", () => {
    const { theme: t, stored } = loadTheme();
    t.choose("night", now + 5);
    assert.deepEqual({ ...stored }, { "walkapp.theme": "night", "walkapp.themeUntil": String(now + 5) });
    t.choose(null, now + 5);
    assert.deepEqual({ ...stored }, {});
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
