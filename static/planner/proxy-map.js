/* Spots entered on someone's behalf: one Leaflet map, shown under the spot being placed. A tap
 * puts that spot's pin there and fills its latitude and longitude; dragging the pin moves it;
 * typing in the fields moves the pin. The fields are the source of truth and work without this
 * script (or without Leaflet). */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("proxy-map-data").textContent);
  const box = document.getElementById("proxy-map-box");
  const mapBox = document.getElementById("proxy-map");
  const hint = document.getElementById("proxy-map-hint");
  if (!window.L || !box || !mapBox) return;
  const fmt = (template, n) => template.replace("%(n)s", String(n));

  function number(text) {
    let t = (text || "").trim().replace("\u2212", "-");
    if ((t.match(/,/g) || []).length === 1 && !t.includes(".")) t = t.replace(",", ".");
    const value = Number(t);
    return t !== "" && Number.isFinite(value) ? value : null;
  }

  const spots = Array.from(document.querySelectorAll(".proxy-fieldset[data-spot]")).map((set) => ({
    n: Number(set.dataset.spot),
    lat: set.querySelector('input[name$="-lat"]'),
    lon: set.querySelector('input[name$="-lon"]'),
    button: set.querySelector(".proxy-map-button"),
    marker: null,
  }));
  if (!spots.length) return;

  box.hidden = false;
  mapBox.setAttribute("role", "region");
  const map = L.map(mapBox, { zoomControl: true });
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution }).addTo(map);
  }
  // The view first (the perimeter, else the stops and the spots placed, else France), then
  // the layers.
  const outline = data.perimeter
    ? L.geoJSON(data.perimeter, { style: { color: "#5b2a86", weight: 3, fillOpacity: 0.05 } })
    : null;
  const bounds = outline ? outline.getBounds() : null;
  const known = (data.stops || []).map((s) => [s.lat, s.lon]);
  for (const spot of spots) if (position(spot)) known.push(position(spot));
  if (bounds && bounds.isValid()) map.fitBounds(bounds.pad(0.2));
  else if (known.length) map.fitBounds(L.latLngBounds(known).pad(0.3));
  else map.setView([46.6, 2.4], 5); // France
  if (outline) outline.addTo(map);
  for (const stop of data.stops || []) {
    const label = document.createElement("span"); // text, never markup: names are typed
    const name = document.createElement("bdi"); // its own direction (a U+202E stays inside)
    name.textContent = stop.name;
    label.append(fmt(data.labels.stop, stop.number) + " · ", name);
    // Not clickable: a tap on a stop places the spot where tapped, like anywhere else.
    L.circleMarker([stop.lat, stop.lon], {
      radius: 7,
      color: "#555",
      weight: 2,
      fillOpacity: 0.4,
      interactive: false,
    })
      .bindTooltip(label, { permanent: true, direction: "right", offset: [8, 0] })
      .addTo(map);
  }

  function position(spot) {
    const lat = number(spot.lat.value);
    const lon = number(spot.lon.value);
    if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
    return [lat, lon];
  }

  function write(spot, latlng) {
    spot.lat.value = latlng.lat.toFixed(6);
    spot.lon.value = latlng.lng.toFixed(6);
  }

  function pin(spot) {
    const where = position(spot);
    if (!where) {
      if (spot.marker) spot.marker.remove();
      spot.marker = null;
      return;
    }
    if (spot.marker) {
      spot.marker.setLatLng(where);
      return;
    }
    spot.marker = L.marker(where, {
      icon: L.divIcon({ className: "stop-marker", html: String(spot.n), iconSize: [28, 28] }),
      draggable: true,
      keyboard: false, // the fields are the keyboard's way
    }).addTo(map);
    spot.marker.on("dragend", () => write(spot, spot.marker.getLatLng()));
  }

  let active = spots[0];

  function activate(spot) {
    active = spot;
    spot.button.after(box);
    for (const other of spots) other.button.hidden = other === spot;
    const label = fmt(data.labels.map, spot.n);
    mapBox.setAttribute("aria-label", label);
    hint.textContent = fmt(data.labels.active, spot.n);
    map.invalidateSize();
    const where = position(spot);
    if (where) map.panTo(where);
  }

  map.on("click", (event) => {
    write(active, event.latlng);
    pin(active);
  });
  for (const spot of spots) {
    for (const input of [spot.lat, spot.lon]) input.addEventListener("change", () => pin(spot));
    spot.button.addEventListener("click", () => activate(spot));
    pin(spot);
  }
  activate(spots[0]);
})();
