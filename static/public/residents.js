/* The residents' page map: the hexagons of the published snapshot, read from the JSON of
 * #residents-map-config (a GeoJSON FeatureCollection of outlines and figures, the project's
 * perimeter, the deployment's tiles). No spot is ever in it: only hexagons that passed the
 * k rule on the server (domain/public_page.py).
 *
 * Without this script, or without Leaflet, the map stays hidden: the figures and findings are
 * plain HTML around it. Tiles come from the app's configuration; none gives a plain background.
 */
(function () {
  "use strict";

  const box = document.getElementById("residents-map");
  const node = document.getElementById("residents-map-config");
  if (!box || !node || typeof L === "undefined") return;
  let config;
  try {
    config = JSON.parse(node.textContent);
  } catch (err) {
    return;
  }
  const labels = config.labels || {};
  const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);

  box.hidden = false;
  const map = L.map(box, { attributionControl: Boolean(config.tiles), scrollWheelZoom: false });
  if (config.tiles) {
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
  }
  if (config.perimeter) {
    L.geoJSON(config.perimeter, {
      style: { color: "#5b2a86", weight: 2, fill: false, dashArray: "6 6" },
      interactive: false,
    }).addTo(map);
  }

  /* The tooltip is built from numbers only, as text nodes (never innerHTML). */
  function tooltip(properties) {
    const element = document.createElement("div");
    const lines = [
      [labels.reports, properties.reports],
      [labels.participants, properties.participants],
    ];
    if (properties.mean_feeling !== null && properties.mean_feeling !== undefined) {
      lines.push([labels.mean_feeling, properties.mean_feeling]);
    }
    for (const [label, value] of lines) {
      const line = document.createElement("div");
      line.textContent = String(label || "%(num)s").replace("%(num)s", numbers.format(value));
      element.appendChild(line);
    }
    return element;
  }

  const cells = L.geoJSON(config.cells, {
    style: (feature) => ({
      color: feature.properties.colour,
      weight: 1,
      fillColor: feature.properties.colour,
      fillOpacity: 0.55,
    }),
    onEachFeature: (feature, layer) => layer.bindTooltip(tooltip(feature.properties)),
  }).addTo(map);
  const bounds = cells.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 });
  else map.setView([46.6, 2.5], 5);
})();
