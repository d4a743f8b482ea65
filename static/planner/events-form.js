/* Event form: add stop rows, and place stops on a Leaflet map (tap to add, drag to move).
 * The form works without it: rows of latitude/longitude fields are the source of truth, the map
 * only reads and writes them. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("event-map-data").textContent);
  const tbody = document.getElementById("stop-rows");
  const addButton = document.getElementById("add-stop");
  const mapBox = document.getElementById("stops-map");
  const fmt = (template, n) => template.replace("%(n)s", String(n));

  function rows() {
    return Array.from(tbody.querySelectorAll(".stop-row"));
  }

  function inputs(row) {
    const [name, lat, lon] = row.querySelectorAll("input");
    return { name: name, lat: lat, lon: lon };
  }

  function number(text) {
    let t = (text || "").trim().replace("\u2212", "-");
    if ((t.match(/,/g) || []).length === 1 && !t.includes(".")) t = t.replace(",", ".");
    const value = Number(t);
    return t !== "" && Number.isFinite(value) ? value : null;
  }

  function addRow() {
    const last = rows()[rows().length - 1];
    const row = last.cloneNode(true);
    const index = rows().length; // FieldList entries are stops-0, stops-1, ...
    for (const el of row.querySelectorAll("[id], [name], [for]")) {
      for (const attr of ["id", "name", "for"]) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(/stops-\d+-/, "stops-" + index + "-"));
      }
    }
    for (const el of row.querySelectorAll(".error")) el.remove();
    for (const input of row.querySelectorAll("input")) {
      input.value = "";
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
    const labels = row.querySelectorAll("label");
    ["name", "lat", "lon"].forEach((key, i) => {
      labels[i].textContent = fmt(data.labels[key], index + 1);
    });
    row.querySelector(".stop-number").textContent = String(index + 1);
    tbody.appendChild(row);
    return row;
  }

  addButton.hidden = false;
  addButton.addEventListener("click", () => inputs(addRow()).name.focus());

  // --- The map ---------------------------------------------------------------------------------
  if (!window.L || !mapBox) return;
  mapBox.hidden = false;
  mapBox.setAttribute("role", "region");
  mapBox.setAttribute("aria-label", data.labels.map);
  const map = L.map(mapBox, { zoomControl: true });
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 19, attribution: data.attribution }).addTo(map);
  }
  let bounds = null;
  if (data.perimeter) {
    const outline = L.geoJSON(data.perimeter, {
      style: { color: "#5b2a86", weight: 3, fillOpacity: 0.05 },
    }).addTo(map);
    bounds = outline.getBounds();
  }
  const markers = L.layerGroup().addTo(map);

  function icon(n) {
    return L.divIcon({ className: "stop-marker", html: String(n), iconSize: [28, 28] });
  }

  function drawMarkers() {
    markers.clearLayers();
    rows().forEach((row, i) => {
      const f = inputs(row);
      const lat = number(f.lat.value);
      const lon = number(f.lon.value);
      if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return;
      const marker = L.marker([lat, lon], {
        icon: icon(i + 1),
        draggable: true,
        title: f.name.value || fmt(data.labels.name, i + 1),
        keyboard: false,
      });
      marker.on("dragend", () => {
        const p = marker.getLatLng();
        f.lat.value = p.lat.toFixed(6);
        f.lon.value = p.lng.toFixed(6);
      });
      markers.addLayer(marker);
    });
  }

  function firstEmptyRow() {
    return rows().find((row) => {
      const f = inputs(row);
      return !f.lat.value.trim() && !f.lon.value.trim();
    });
  }

  map.on("click", (event) => {
    const row = firstEmptyRow() || addRow();
    const f = inputs(row);
    f.lat.value = event.latlng.lat.toFixed(6);
    f.lon.value = event.latlng.lng.toFixed(6);
    drawMarkers();
    if (!f.name.value) f.name.focus({ preventScroll: true });
  });
  tbody.addEventListener("change", drawMarkers);
  drawMarkers();

  const placed = markers.getLayers().map((m) => m.getLatLng());
  if (bounds && bounds.isValid()) map.fitBounds(bounds.pad(0.2));
  else if (placed.length) map.fitBounds(L.latLngBounds(placed).pad(0.3));
  else map.setView([46.6, 2.4], 5); // France
})();
