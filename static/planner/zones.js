/* A project's zones on a Leaflet map (planner/zones.py, templates/planner/zones.html).
 *
 * The perimeter is dashed, each zone outlined with its name (a tooltip built from a text node:
 * a name is typed text, never HTML). data-mode="draw": draw a shape with Geoman (npm:
 * @geoman-io/leaflet-geoman-free); every change is written as a GeoJSON FeatureCollection into
 * the hidden `zone_drawn` field of each form marked .zone-drawing (add a zone, redraw one), which
 * the server cleans like an uploaded file. Without this script the forms take files only.
 */
(function () {
  "use strict";

  const box = document.getElementById("zones-map");
  const configNode = document.getElementById("zones-config");
  const config = configNode ? JSON.parse(configNode.textContent) : null;
  if (!box || !config || typeof L === "undefined") return;
  const FRANCE = [46.6, 2.5];
  const perimeterStyle = { color: "#555555", weight: 2, dashArray: "6 6", fill: false };
  const zoneStyle = { color: "#1f6f8b", weight: 2, fillOpacity: 0.1 };
  const drawnStyle = { color: "#5b2a86", weight: 3, fillOpacity: 0.15 };

  function polygons(geometry, style) {
    if (!geometry) return [];
    const toLatLng = (ring) => ring.map((p) => [p[1], p[0]]);
    const parts = geometry.type === "Polygon" ? [geometry.coordinates]
      : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    return parts.map((rings) => L.polygon(rings.map(toLatLng), style));
  }

  box.hidden = false;
  const map = L.map(box, { zoomControl: true, attributionControl: Boolean(config.tiles) });
  if (config.tiles) {
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
  }
  const shown = L.featureGroup().addTo(map);
  for (const layer of polygons(config.perimeter, perimeterStyle)) shown.addLayer(layer);
  for (const zone of config.zones || []) {
    for (const layer of polygons(zone.geometry, zoneStyle)) {
      const name = document.createElement("span");
      name.textContent = zone.name;
      layer.bindTooltip(name, { permanent: true, direction: "center", className: "zone-name" });
      shown.addLayer(layer);
    }
  }
  const bounds = shown.getLayers().length ? shown.getBounds() : null;
  if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16] });
  else if (config.home) map.setView(config.home, 15);
  else map.setView(FRANCE, 5);

  if (box.dataset.mode !== "draw" || !map.pm) return;
  const drawn = L.featureGroup().addTo(map);
  const status = document.getElementById("zones-status");

  function sync() {
    const features = drawn.getLayers()
      .filter((layer) => layer instanceof L.Polygon)
      .map((layer) => layer.toGeoJSON());
    const value = features.length
      ? JSON.stringify({ type: "FeatureCollection", features: features })
      : "";
    for (const input of document.querySelectorAll(".zone-drawing input[name='zone_drawn']")) {
      input.value = value;
    }
    if (status) status.textContent = "";
  }

  if (config.lang) map.pm.setLang(config.lang);
  map.pm.setGlobalOptions({
    layerGroup: drawn,
    allowSelfIntersection: false,
    pathOptions: drawnStyle,
    templineStyle: { color: drawnStyle.color },
    hintlineStyle: { color: drawnStyle.color, dashArray: [5, 5] },
  });
  map.pm.addControls({
    position: "topleft",
    drawMarker: false,
    drawCircleMarker: false,
    drawPolyline: false,
    drawCircle: false,
    drawText: false,
    cutPolygon: false,
    rotateMode: false,
  });
  for (const button of box.querySelectorAll(".leaflet-buttons-control-button")) {
    const title = button.parentElement && button.parentElement.getAttribute("title");
    if (title) button.setAttribute("aria-label", title);
  }
  map.on("pm:create", (event) => {
    for (const name of ["pm:edit", "pm:dragend"]) event.layer.on(name, sync);
    sync();
  });
  map.on("pm:remove", (event) => {
    drawn.removeLayer(event.layer);
    sync();
  });
})();
