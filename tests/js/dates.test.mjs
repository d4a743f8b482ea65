// Dates as the participant reads them (static/pwa/dates.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { formatDateTime, formatTime, formatWalkTimes, isoWithOffset } from "../../static/pwa/dates.js";

const instant = new Date("2026-12-01T05:54:12.345Z");
const NBSP = /[\u00a0\u202f]/g; // ICU puts (narrow) no-break spaces in some formats

describe("formatting a date", () => {
  it("has one format, in the page's language, without seconds", () => {
    assert.equal(formatDateTime(instant, "fr", "Europe/Paris"), "1 déc. 2026, 06:54");
    assert.equal(formatDateTime(instant, "en", "Europe/Paris").replace(NBSP, " "), "Dec 1, 2026, 6:54 AM");
    assert.equal(formatDateTime("2026-12-01T05:54:59Z", "fr", "Europe/Paris"), "1 déc. 2026, 06:54");
  });

  it("shows the walk's time zone, not the phone's", () => {
    assert.equal(formatDateTime(instant, "fr", "America/Cayenne"), "1 déc. 2026, 02:54");
    assert.equal(formatDateTime(instant, "fr", "UTC"), "1 déc. 2026, 05:54");
  });

  it("falls back to the phone's time zone when the zone is unknown", () => {
    assert.equal(typeof formatDateTime(instant, "fr", "Mars/Olympus"), "string");
  });

  it("shows the time of day of that format", () => {
    assert.equal(formatTime(instant, "fr", "Europe/Paris"), "06:54");
    assert.equal(formatTime(instant, "en", "Europe/Paris").replace(NBSP, " "), "6:54 AM");
    assert.throws(() => formatTime("not a date", "fr", "Europe/Paris"), RangeError);
  });

  it("writes a walk's start and end, the end's date only on another day", () => {
    const end = "2026-12-01T08:30:00Z";
    assert.equal(formatWalkTimes(instant, end, "fr", "Europe/Paris"), "1 déc. 2026, 06:54 – 09:30");
    assert.equal(formatWalkTimes(instant, end, "en", "Europe/Paris").replace(NBSP, " "), "Dec 1, 2026, 6:54 AM – 9:30 AM");
    assert.equal(
      formatWalkTimes("2026-12-01T21:30:00Z", "2026-12-01T23:30:00Z", "fr", "Europe/Paris"),
      "1 déc. 2026, 22:30 – 2 déc. 2026, 00:30",
    );
    // The day is the walk's: 23:30 UTC is still the 1st in Cayenne.
    assert.equal(
      formatWalkTimes("2026-12-01T21:30:00Z", "2026-12-01T23:30:00Z", "fr", "America/Cayenne"),
      "1 déc. 2026, 18:30 – 20:30",
    );
  });
});

describe("the time sent with a spot", () => {
  it("is ISO 8601 with the phone's own offset and the same instant", () => {
    const iso = isoWithOffset(instant);
    assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    assert.equal(Date.parse(iso), instant.getTime());
    const offset = -instant.getTimezoneOffset();
    const sign = offset >= 0 ? "+" : "-";
    const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
    const mm = String(Math.abs(offset) % 60).padStart(2, "0");
    assert.ok(iso.endsWith(`${sign}${hh}:${mm}`), iso);
  });
});
