/* A project's perimeter on a Leaflet map.
 *
 * data-mode="view": the perimeter, read-only (project page).
 * data-mode="draw": draw, edit, move or delete the outline with Geoman (npm:
 *   @geoman-io/leaflet-geoman-free); every change is written into the hidden field
 *   #perimeter_drawn as a GeoJSON FeatureCollection, which the server validates (shapely) like an
 *   uploaded file. A chosen file is previewed on the map; it is sent with the form and wins.
 *
 * The form works without this script (file upload only): the map stays hidden until Leaflet is
 * there. Tiles come from the app's configuration; none (empty) gives a plain background.
 */
(function () {
  "use strict";

  const box = document.getElementById("perimeter-map");
  const configNode = document.getElementById("perimeter-config");
  if (!box || !configNode || typeof L === "undefined") return;
  const config = JSON.parse(configNode.textContent);
  const mode = box.dataset.mode;
  const hidden = document.getElementById("perimeter_drawn");
  const status = document.getElementById("perimeter-status");
  const fileInput = document.getElementById("perimeter_file");
  const FRANCE = [46.6, 2.5];
  const outline = { color: "#5b2a86", weight: 3, fillOpacity: 0.15 };

  function say(text) {
    if (status) status.textContent = text || "";
  }

  function parse(text) {
    try {
      return text ? JSON.parse(text) : null;
    } catch (err) {
      return null;
    }
  }

  /* GeoJSON [lon, lat] rings -> one Leaflet polygon per part (each editable on its own). */
  function polygons(geometry) {
    if (!geometry) return [];
    if (geometry.type === "FeatureCollection") {
      return geometry.features.flatMap((f) => polygons(f.geometry));
    }
    if (geometry.type === "Feature") return polygons(geometry.geometry);
    const toLatLng = (ring) => ring.map((p) => [p[1], p[0]]);
    const parts = geometry.type === "Polygon" ? [geometry.coordinates]
      : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    return parts.map((rings) => L.polygon(rings.map(toLatLng), outline));
  }

  box.hidden = false;
  const map = L.map(box, { zoomControl: true, attributionControl: Boolean(config.tiles) });
  if (config.tiles) {
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
  }
  const shapes = L.featureGroup().addTo(map);
  const start = mode === "draw" && hidden && hidden.value ? parse(hidden.value) : config.perimeter;
  for (const layer of polygons(start)) shapes.addLayer(layer);

  function frame(group) {
    const bounds = group.getLayers().length ? group.getBounds() : null;
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16] });
    else map.setView(FRANCE, 5);
  }
  frame(shapes);

  if (mode !== "draw") {
    map.dragging.disable();
    map.scrollWheelZoom.disable();
    return;
  }

  /* Everything drawn, as one FeatureCollection (the server merges the parts). */
  function sync() {
    const features = shapes.getLayers()
      .filter((layer) => layer instanceof L.Polygon)
      .map((layer) => layer.toGeoJSON());
    hidden.value = features.length
      ? JSON.stringify({ type: "FeatureCollection", features: features })
      : "";
  }

  function watch(layer) {
    for (const name of ["pm:edit", "pm:dragend", "pm:cut"]) layer.on(name, sync);
  }
  shapes.eachLayer(watch);

  if (map.pm) {
    if (config.lang) map.pm.setLang(config.lang);
    map.pm.setGlobalOptions({
      layerGroup: shapes,
      allowSelfIntersection: false,
      pathOptions: outline,
      templineStyle: { color: outline.color },
      hintlineStyle: { color: outline.color, dashArray: [5, 5] },
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
    // Geoman puts each tool's name in its container's title: give it to the button itself, so
    // screen readers announce "Draw polygons" rather than "link".
    for (const button of box.querySelectorAll(".leaflet-buttons-control-button")) {
      const title = button.parentElement && button.parentElement.getAttribute("title");
      if (title) button.setAttribute("aria-label", title);
    }
    map.on("pm:create", (event) => {
      watch(event.layer);
      sync();
    });
    map.on("pm:remove", (event) => {
      shapes.removeLayer(event.layer);
      sync();
    });
  }

  /* A chosen file: shown on the map (dashed) so the planner sees what will be saved. */
  const preview = L.featureGroup().addTo(map);
  if (fileInput && window.FileReader) {
    fileInput.addEventListener("change", () => {
      preview.clearLayers();
      const file = fileInput.files && fileInput.files[0];
      if (!file) {
        say("");
        return;
      }
      const reader = new FileReader();
      reader.onload = () => {
        let layers = [];
        try {
          layers = polygons(parse(String(reader.result)));
        } catch (err) {
          layers = [];
        }
        if (!layers.length) {
          say(config.labels.file_unreadable);
          return;
        }
        for (const layer of layers) {
          layer.setStyle({ dashArray: "6 6" });
          preview.addLayer(layer);
        }
        frame(preview);
        say(config.labels.file_shown);
      };
      reader.readAsText(file);
    });
  }
})();
