/* walkapp maps with Leaflet (from npm, served by the app and loaded only when a map is shown).
 * With no tile server configured, the perimeter, the stops and the spots show on a plain
 * background. Moving the pin works by dragging it, by tapping the map (one tap, no drag: WCAG
 * 2.5.7) or with a button that puts it at the map's centre (keyboard). An ES module: Leaflet
 * itself is a classic script, added to the page on first use. */
let loading = null;

function loadLeaflet(urls) {
  if (window.L) return Promise.resolve(window.L);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = urls.css;
      document.head.appendChild(css);
      const script = document.createElement("script");
      script.src = urls.js;
      script.onload = () => resolve(window.L);
      script.onerror = () => {
        loading = null;
        reject(new Error("Leaflet could not be loaded"));
      };
      document.head.appendChild(script);
    });
  }
  return loading;
}

export const FEELING_COLOURS = { 1: "#d7263d", 2: "#f46036", 3: "#e2b714", 4: "#7cb518", 5: "#2e933c" };

class WalkMap {
  constructor(L, element, options) {
    this.L = L;
    this.options = options;
    this.map = L.map(element, {
      zoomControl: true,
      attributionControl: !!options.tiles,
      tap: true,
      keyboard: true,
      maxZoom: 19,
    });
    if (options.tiles) {
      L.tileLayer(options.tiles, { attribution: options.attribution, maxZoom: 19 }).addTo(this.map);
    } else {
      element.classList.add("no-tiles");
    }
    this.bounds = null;
    const walk = options.walk || {};
    if (walk.perimeter) {
      const area = L.geoJSON(walk.perimeter, {
        interactive: false,
        style: { className: "perimeter", weight: 3, fillOpacity: 0.08 },
      }).addTo(this.map);
      this.bounds = area.getBounds();
    }
    for (const stop of walk.stops || []) {
      L.marker([stop.lat, stop.lon], {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: "stop-marker", html: String(stop.number), iconSize: [28, 28] }),
      }).addTo(this.map);
      if (!this.bounds) this.bounds = L.latLngBounds([stop.lat, stop.lon], [stop.lat, stop.lon]);
      else this.bounds.extend([stop.lat, stop.lon]);
    }
    // Spots above the stops' numbers, so that none hides one.
    this.map.createPane("spots").style.zIndex = 650;
    this.spotLayer = L.layerGroup().addTo(this.map);
    this.pin = null;
    this.onPin = null;
    this.fit();
    this.map.on("click", (event) => this.movePin(event.latlng.lat, event.latlng.lng, true));
  }

  fit() {
    if (this.bounds && this.bounds.isValid()) this.map.fitBounds(this.bounds, { padding: [16, 16], maxZoom: 18 });
    else this.map.setView([46.6, 2.4], 5);
  }

  refresh() {
    this.map.invalidateSize();
  }

  centre() {
    const c = this.map.getCenter();
    return { lat: c.lat, lon: c.lng };
  }

  showPin(lat, lon, title) {
    const L = this.L;
    if (!this.pin) {
      this.pin = L.marker([lat, lon], {
        draggable: true,
        autoPan: true,
        keyboard: false,
        title,
        icon: L.divIcon({ className: "pin-marker", html: "<span></span>", iconSize: [36, 36], iconAnchor: [18, 36] }),
      }).addTo(this.map);
      this.pin.on("dragend", () => {
        const p = this.pin.getLatLng();
        if (this.onPin) this.onPin(p.lat, p.lng);
      });
    } else {
      this.pin.setLatLng([lat, lon]);
    }
    if (!this.map.getBounds().contains([lat, lon])) this.map.panTo([lat, lon]);
  }

  // No pin: nobody said where the spot is yet (never a default place).
  clearPin() {
    if (!this.pin) return;
    this.pin.remove();
    this.pin = null;
  }

  // By hand (a tap or the button): tell the page.
  movePin(lat, lon, byHand) {
    if (!this.onPin) return;
    this.showPin(lat, lon);
    if (byHand) this.onPin(lat, lon);
  }

  // Each spot in its feeling's colour; its state in its shape too (never colour alone): sent,
  // a filled dot; anything else (waiting, refused, position to confirm, deleting), a hollow
  // dashed ring. labelOf(spot): its words ("Spot 2: Waiting to be sent"), the marker's
  // accessible name, title and popup.
  setSpots(spots, labelOf) {
    const L = this.L;
    this.spotLayer.clearLayers();
    const points = [];
    for (const spot of spots) {
      const b = spot.body;
      if (!Number.isFinite(b.lat) || !Number.isFinite(b.lon)) continue;
      points.push([b.lat, b.lon]);
      const shape = spot.state === "sent" ? "spot-sent" : "spot-unsent";
      const label = labelOf ? labelOf(spot) : "";
      const dot = document.createElement("span");
      dot.className = "spot-dot";
      dot.style.setProperty("--feeling", FEELING_COLOURS[b.feeling] || "#888888");
      const marker = L.marker([b.lat, b.lon], {
        pane: "spots",
        keyboard: false,
        title: label,
        icon: L.divIcon({
          className: `spot-marker ${shape} spot-${spot.state}`,
          html: dot,
          iconSize: [22, 22],
        }),
      }).addTo(this.spotLayer);
      const element = marker.getElement();
      if (element && label) {
        element.setAttribute("role", "img");
        element.setAttribute("aria-label", label);
        element.dataset.state = spot.state;
      }
      if (label) {
        const text = document.createElement("p");
        text.className = "spot-popup";
        text.textContent = label; // text, never HTML
        marker.bindPopup(text);
      }
    }
    if (points.length && !this.bounds) this.map.fitBounds(points, { padding: [24, 24], maxZoom: 18 });
  }
}

export async function create(element, options) {
  const L = await loadLeaflet(options.leaflet);
  return new WalkMap(L, element, options);
}
