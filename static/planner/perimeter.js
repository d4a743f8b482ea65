/* A project's perimeter on a Leaflet map.
 *
 * data-mode="view": the perimeter, read-only (project page).
 * data-mode="draw": draw, edit, move or delete the outline with Geoman (npm:
 *   @geoman-io/leaflet-geoman-free); every change is written into the hidden field
 *   #perimeter_drawn as a GeoJSON FeatureCollection, which the server validates (shapely) like an
 *   uploaded file. A chosen file is previewed on the map; it is sent with the form and wins.
 *
 * The form works without this script (file upload only): the map stays hidden until Leaflet is
 * there. Tiles come from the app's configuration; none (empty) gives a plain background. The map
 * opens on the perimeter, else around the project's stops and spots (config.points), else at the
 * deployment's default place (config.home, WALKAPP_DEFAULT_PLACE).
 *
 * A chosen file is weighed before it is sent (even without Leaflet): the server refuses a body
 * over its limit (data-max-bytes of the file input) before reading it, and the page would be
 * lost; here the planner is told at once, the file is let go and the form stays as typed.
 */
(function () {
  "use strict";

  const box = document.getElementById("perimeter-map");
  const configNode = document.getElementById("perimeter-config");
  const config = configNode ? JSON.parse(configNode.textContent) : null;
  const status = document.getElementById("perimeter-status");
  const fileInput = document.getElementById("perimeter_file");
  let refusal = "";

  function say(text) {
    if (status) status.textContent = text || "";
  }

  /* The bytes the form would send besides the file (its other fields), roughly. */
  function otherBytes(form) {
    const encoder = new TextEncoder();
    let total = 1024; // multipart boundaries and headers
    for (const element of form.elements) {
      if (!element.name || element === fileInput || element.disabled) continue;
      if ((element.type === "checkbox" || element.type === "radio") && !element.checked) continue;
      total += 200 + encoder.encode(element.name + (element.value || "")).length;
    }
    return total;
  }

  /* Whether the chosen file would take the form over the server's limit; if so say so, in
   * words, and let the file go (everything else typed stays). */
  function fileTooBig() {
    const limit = Number(fileInput && fileInput.dataset.maxBytes);
    const file = fileInput && fileInput.files && fileInput.files[0];
    if (!file || !limit || !fileInput.form) return false;
    if (file.size + otherBytes(fileInput.form) <= limit) return false;
    const size = new Intl.NumberFormat(config && config.lang ? config.lang : undefined,
      { maximumFractionDigits: 1 }).format(file.size / 1048576);
    refusal = config ? config.labels.file_too_large.replace("{size}", size) : "";
    fileInput.value = "";
    fileInput.setAttribute("aria-invalid", "true");
    say(refusal);
    return true;
  }

  if (fileInput) {
    fileInput.addEventListener("change", () => {
      refusal = "";
      fileTooBig();
    });
    if (fileInput.form) {
      fileInput.form.addEventListener("submit", (event) => {
        if (fileTooBig()) event.preventDefault();
      });
    }
  }

  if (!box || !config || typeof L === "undefined") return;
  const mode = box.dataset.mode;
  const hidden = document.getElementById("perimeter_drawn");
  const origin = document.getElementById("perimeter_origin");
  const FRANCE = [46.6, 2.5];
  const outline = { color: "#5b2a86", weight: 3, fillOpacity: 0.15 };

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
    const points = config.points ? L.latLngBounds(config.points) : null;
    if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16] });
    else if (points && points.isValid()) map.fitBounds(points, { padding: [32, 32], maxZoom: 17 });
    else if (config.home) map.setView(config.home, 15);
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
    if (origin) origin.value = ""; // drawn now, whatever a file gave before
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
        say(refusal); // empty, or why the file was let go (fileTooBig)
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
