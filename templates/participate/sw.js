/* walkapp service worker, written by hand (no Workbox): precache the app, serve it offline,
   send the outbox through Background Sync where the browser has it.
   Version {{ version }} is a hash of the app's files: any change makes a new worker.
   A module worker (registered with type "module"): it imports the page's own outbox module,
   from the same versioned folder, and hands it the server's values. */
import * as outbox from {{ outbox_url|tojson }};

outbox.configure({{ outbox_config|tojson }});
const VERSION = {{ version|tojson }};
const SHELL_CACHE = "walkapp-shell-" + VERSION;
const TILE_CACHE = "walkapp-tiles";
const TILE_LIMIT = 400; // tiles already seen, kept for offline use (oldest dropped first)
const PRECACHE = {{ precache|tojson }};
const APP_URL = {{ app_url|tojson }};
const TILE_ORIGIN = {{ tile_origin|tojson }};
const SYNC_TAG = {{ sync_tag|tojson }};
// The modules' folder carries their version (participate/assets.py): like ?v=, never stale.
const MODULES_BASE = {{ modules_base|tojson }};
const versioned = (url) => url.includes("?v=") || url.startsWith(MODULES_BASE);

// "https://{s}.tile.example/..." -> a pattern for every subdomain the template names.
const tileOrigin = TILE_ORIGIN
  ? new RegExp("^" + TILE_ORIGIN.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{s\}/g, "[a-z0-9-]+") + "$")
  : null;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // Unversioned URLs (the shell, the taxonomy) skip the HTTP cache so that a new worker never
    // stores an old copy; versioned files (?v=hash, the modules' folder) may come from it.
    const requests = PRECACHE.map((url) => new Request(url, { cache: versioned(url) ? "default" : "reload" }));
    await cache.addAll(requests); // install fails, and is retried later, unless all are stored
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("walkapp-shell-") && key !== SHELL_CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (tileOrigin && tileOrigin.test(url.origin)) {
    event.respondWith(tile(request));
    return;
  }
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/planner/")) return; // the planners' pages are not the app's
  if (request.mode === "navigate") {
    event.respondWith(page(request, url));
    return;
  }
  // The API goes to the network (the outbox deals with failures); only the taxonomy is kept.
  if (url.pathname.startsWith("/api/") && !PRECACHE.includes(url.pathname)) return;
  event.respondWith(cacheFirst(request));
});

async function page(request, url) {
  const cache = await caches.open(SHELL_CACHE);
  if (url.pathname === APP_URL) {
    const shell = await cache.match(APP_URL, { ignoreSearch: true });
    if (shell) return shell;
  }
  try {
    return await fetch(request);
  } catch (err) {
    // Offline: any page of the app opens the app itself (it knows the walk already joined).
    const shell = await cache.match(APP_URL, { ignoreSearch: true });
    if (shell) return shell;
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(SHELL_CACHE);
  return (await cache.match(request)) || fetch(request);
}

async function tile(request) {
  const cache = await caches.open(TILE_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request); // only tiles the map asks for: never downloaded in bulk
  if (response.ok || response.type === "opaque") {
    await cache.put(request, response.clone());
    const keys = await cache.keys();
    for (const old of keys.slice(0, Math.max(0, keys.length - TILE_LIMIT))) await cache.delete(old);
  }
  return response;
}

async function tellPages(message) {
  for (const client of await self.clients.matchAll({ includeUncontrolled: true })) client.postMessage(message);
}

// Background Sync (Chrome, Edge, Samsung Internet): the browser wakes the worker when the
// network is back, even with the app closed. A rejected promise makes it try again later.
self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(
    outbox.flush({ force: true }).then((summary) => {
      tellPages({ type: "outbox-changed" });
      if (summary.retry) throw new Error("walkapp: spots still waiting, try again later");
    }),
  );
});
