// Every module of static/pwa/ imports without a page: nothing touches document or window at
// import (the pure functions above rely on it; the DOM code runs only when called).
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";

const folder = new URL("../../static/pwa/", import.meta.url);
// app.js is the entry: it starts the app. theme.js is a classic script (night.test.mjs).
const modules = readdirSync(folder).filter((name) => name.endsWith(".js") && name !== "app.js" && name !== "theme.js");

describe("the app's modules", () => {
  it("are many, one per concern", () => {
    assert.ok(modules.length >= 15, modules.join(", "));
  });

  for (const name of modules) {
    it(`${name} imports with no document, no window`, async () => {
      assert.equal(typeof globalThis.document, "undefined");
      const module = await import(new URL(name, folder));
      assert.ok(Object.keys(module).length > 0, `${name} exports nothing`);
    });
  }
});
