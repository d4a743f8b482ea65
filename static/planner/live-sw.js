/* Service worker of the facilitator's live view, scoped to /planner/.
 *
 * Served by the route planner.live_sw, which puts `self.LIVE_CONFIG = {version, precache, scope}`
 * before this file: the version is a hash of the files below, so a changed file installs a new
 * worker, which deletes the old caches.
 *
 * - The page's files (versioned URLs) are precached at install and served from the cache.
 * - Live pages (/planner/events/<id>/live, their JSON, and the counting page
 *   /planner/projects/<id>/count) are fetched from the network first and kept; without network
 *   the last copy is served (marked with X-Walkapp-Offline: 1).
 * - Nothing else is touched: other planner pages, POST and PUT go to the network as usual (the
 *   page keeps its own queue of changes and sends it when back online).
 */
/* global LIVE_CONFIG */
"use strict";

const PREFIX = "walkapp-planner-";
const FILES = PREFIX + "files-" + LIVE_CONFIG.version;
const PAGES = PREFIX + "pages";
// The live view (and its JSON) and the counter's page of usage counts.
const LIVE_PATH = /^\/planner\/(events\/\d+\/live(\.json)?|projects\/\d+\/count)$/;
const NETWORK_TIMEOUT_MS = 5000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(FILES)
      .then((cache) => cache.addAll(LIVE_CONFIG.precache))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((key) => key.startsWith(PREFIX + "files-") && key !== FILES)
            .map((key) => caches.delete(key)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

async function keep(request, response) {
  // Only a real answer for this very page: not a redirect to the sign-in page, not an error.
  if (response.ok && !response.redirected && response.type === "basic") {
    const cache = await caches.open(PAGES);
    await cache.put(request.url.split("?")[0], response.clone());
  }
  return response;
}

async function fromCache(url) {
  const cached = await caches.match(url.split("?")[0], { cacheName: PAGES, ignoreVary: true });
  if (!cached) return null;
  const headers = new Headers(cached.headers);
  headers.set("X-Walkapp-Offline", "1");
  return new Response(await cached.blob(), { status: cached.status, headers: headers });
}

async function networkFirst(request) {
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    return await keep(request, response);
  } catch (error) {
    const cached = await fromCache(request.url);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: FILES });
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (LIVE_CONFIG.precache.includes(url.pathname + url.search)) {
    event.respondWith(cacheFirst(request));
  } else if (LIVE_PATH.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  }
});

// The page asks to keep itself and its JSON (its first load came before this worker).
self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type !== "keep" || !Array.isArray(message.urls)) return;
  event.waitUntil(
    Promise.all(
      message.urls
        .filter((path) => LIVE_PATH.test(new URL(path, self.location.origin).pathname))
        .map((path) =>
          fetch(path, { credentials: "same-origin" })
            .then((response) => keep(new Request(new URL(path, self.location.origin)), response))
            .catch(() => null),
        ),
    ),
  );
});
