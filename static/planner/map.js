/* The project map's own code, called by the folium document (planner/maps_folium.py).
 *
 * Text that came from people (comments) reaches the page here only through textContent:
 * nothing of a hexagon's details is ever parsed as HTML. It gets dir="auto": its own
 * direction, and a right-to-left override (U+202E) in it stays inside it. The markers' popups are HTML that
 * the server escaped (domain.maps.popup_text).
 */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  /* FastMarkerCluster callback: row = [lat, lon, feeling, popup HTML (escaped), tooltip (escaped)]. */
  function spotMarker(row) {
    var feeling = Number(row[2]) | 0;
    var icon = L.divIcon({
      className: "walk-spot walk-feeling-" + feeling,
      iconSize: [18, 18],
    });
    var marker = L.marker([row[0], row[1]], { icon: icon, keyboard: true });
    marker.bindPopup(row[3], { maxWidth: 320 });
    marker.bindTooltip(row[4]);
    return marker;
  }

  function spotItem(spot, labels) {
    var item = el("li");
    item.appendChild(el("p", null, spot.category));
    item.appendChild(
      el("p", null, fill(labels.feeling, { n: spot.feeling, label: spot.feeling_label }))
    );
    item.appendChild(el("p", null, spot.time + " · " + spot.light));
    if (spot.position) item.appendChild(el("p", "walk-position", spot.position));
    if (spot.comment) {
      var comment = el("p", "walk-comment", spot.comment);
      comment.dir = "auto";
      item.appendChild(comment);
    }
    (spot.thumbnails || []).slice(0, 1).forEach(function (url) {
      if (typeof url !== "string" || url.charAt(0) !== "/" || url.charAt(1) === "/") return;
      var img = el("img", "walk-thumb");
      img.src = url;
      img.alt = labels.photo;
      img.loading = "lazy";
      item.appendChild(img);
    });
    return item;
  }

  function cellDetails(data, labels) {
    var box = el("div", "walk-popup walk-cell-details");
    var heading = data.total === 1 ? labels.heading_one : labels.heading;
    box.appendChild(el("p", null, fill(heading, { n: data.total })));
    if (data.shown < data.total) box.appendChild(el("p", null, fill(labels.more, { shown: data.shown })));
    var list = el("ul", "walk-cell-list");
    data.spots.forEach(function (spot) {
      list.appendChild(spotItem(spot, labels));
    });
    box.appendChild(list);
    return box;
  }

  function openCell(map, cell, latlng, config) {
    var labels = config.labels;
    var popup = L.popup({ maxWidth: 340 })
      .setLatLng(latlng)
      .setContent(el("p", null, labels.loading))
      .openOn(map);
    fetch(config.prefix + encodeURIComponent(cell) + config.suffix, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        popup.setContent(cellDetails(data, labels));
      })
      .catch(function () {
        popup.setContent(el("p", null, labels.failed));
      });
  }

  /* cells: [[h3 cell, n spots, n negative, mean feeling, colour, [[lat, lon], ...]], ...] */
  function cellLayer(map, cells, config) {
    var group = L.featureGroup();
    cells.forEach(function (c) {
      var polygon = L.polygon(c[5], {
        color: "#333",
        weight: 1,
        fillColor: c[4],
        fillOpacity: 0.4,
        className: "walk-cell",
      });
      var tip = el(
        "span",
        null,
        fill(c[1] === 1 ? config.labels.tooltip_one : config.labels.tooltip, {
          n: c[1],
          negative: c[2],
          mean: c[3],
        })
      );
      polygon.bindTooltip(tip);
      polygon.on("click", function (event) {
        openCell(map, c[0], event.latlng, config);
      });
      polygon.addTo(group);
    });
    return group;
  }

  function legend(map, data) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = el("div", "walk-legend");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", data.title);
      box.appendChild(el("h2", null, data.title));
      var list = el("ul");
      data.items.forEach(function (item) {
        var row = el("li");
        if (item.kind !== "note") {
          var swatch = el("span", "walk-swatch walk-swatch-" + item.kind);
          swatch.setAttribute("aria-hidden", "true");
          if (item.colour) {
            if (item.kind === "line") swatch.style.borderTopColor = item.colour;
            else swatch.style.backgroundColor = item.colour;
          }
          row.appendChild(swatch);
        }
        row.appendChild(el("span", null, item.text));
        list.appendChild(row);
      });
      box.appendChild(list);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }

  window.walkappMap = {
    spotMarker: spotMarker,
    cellLayer: cellLayer,
    legend: legend,
  };
})();
