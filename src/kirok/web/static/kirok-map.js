/* kirok maps: the offline basemap, places with event counts, and custody paths.
 *
 * No tile server: the basemap is a vendored GeoJSON file (Natural Earth, public domain).
 * The page passes URLs and labels in data- attributes (the CSP forbids inline scripts), and
 * every text from the server is set with textContent, never as HTML.
 */
(function () {
  "use strict";

  var VIEW = { center: [40.3, 127.3], zoom: 6 };

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(url + " answered " + response.status);
        }
        return response.json();
      });
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function link(href, text) {
    var a = el("a", text);
    // Only local paths: the server builds them, but a record id must never become a URL elsewhere.
    a.href = href.charAt(0) === "/" && href.charAt(1) !== "/" ? href : "#";
    return a;
  }

  function status(text) {
    var node = document.getElementById("map-status");
    if (node) {
      node.textContent = text;
    }
  }

  function newMap(node) {
    var map = L.map(node, { minZoom: 4, maxZoom: 13, zoomSnap: 0.5 });
    map.setView(VIEW.center, VIEW.zoom);
    map.attributionControl.setPrefix(false);
    return fetchJson(node.dataset.basemap).then(function (basemap) {
      L.geoJSON(basemap, {
        interactive: false,
        style: function (feature) {
          var home = feature.properties && feature.properties.iso3 === "PRK";
          return {
            color: "#7a7f8a",
            weight: home ? 1.5 : 1,
            fillColor: home ? "#f4efe1" : "#e4e4e0",
            fillOpacity: 1,
            className: "basemap-" + (feature.properties ? feature.properties.iso3 : "x"),
          };
        },
      }).addTo(map);
      map.attributionControl.addAttribution("Natural Earth");
      return map;
    });
  }

  function precisionCircle(map, latlng, metres) {
    if (metres && metres > 0) {
      L.circle(latlng, {
        radius: metres,
        color: "#1f3a5f",
        weight: 1,
        dashArray: "4 4",
        fillOpacity: 0.08,
        interactive: false,
        className: "precision",
      }).addTo(map);
    }
  }

  function fillEvents(box, url, labels) {
    // The first few events, asked for when the popup opens: the map itself loads only counts.
    return fetchJson(url).then(function (found) {
      var list = el("ul");
      found.events.forEach(function (event) {
        var item = el("li");
        item.appendChild(link(event.url, event.title));
        if (event.start_date) {
          item.appendChild(el("code", " " + event.start_date));
        }
        list.appendChild(item);
      });
      box.appendChild(list);
      if (found.count > found.events.length) {
        box.appendChild(el("div", labels.more + " " + (found.count - found.events.length)));
      }
    });
  }

  function placePopup(marker, props, events, labels) {
    var box = el("div", null, "popup");
    box.appendChild(link(props.url, props.name));
    if (props.facility_label) {
      box.appendChild(el("div", props.facility_label, "term"));
    }
    if (props.precision_m) {
      box.appendChild(el("div", labels.precision + ": ±" + Math.round(props.precision_m) + " m"));
    }
    if (events && events.count) {
      box.appendChild(el("div", labels.events + ": " + events.count));
      var loaded = false;
      marker.on("popupopen", function () {
        if (loaded) {
          return;
        }
        loaded = true;
        fillEvents(box, events.events_url, labels)
          .then(function () { marker.getPopup().update(); })
          .catch(function (error) { box.appendChild(el("div", String(error), "problem")); });
      });
    }
    return box;
  }

  function countIcon(count, extra) {
    var size = count >= 100 ? 40 : count >= 10 ? 32 : 26;
    return L.divIcon({
      html: el("span", count),
      className: "count-marker " + (extra || ""),
      iconSize: [size, size],
    });
  }

  function drawPlaces(map, node) {
    var labels = {
      events: node.dataset.labelEvents || "events",
      precision: node.dataset.labelPrecision || "precision",
      more: node.dataset.labelMore || "more",
    };
    return Promise.all([fetchJson(node.dataset.places), fetchJson(node.dataset.events)]).then(
      function (results) {
        var places = results[0].features;
        var byPlace = {};
        results[1].features.forEach(function (feature) {
          byPlace[feature.id] = feature.properties;
        });
        var bounds = [];
        places.forEach(function (feature) {
          var props = feature.properties;
          var latlng = L.latLng(feature.geometry.coordinates[1], feature.geometry.coordinates[0]);
          var events = byPlace[props.id];
          var camp = props.facility_type ? " facility" : "";
          precisionCircle(map, latlng, props.precision_m);
          var marker = events && events.count
            ? L.marker(latlng, { icon: countIcon(events.count, camp), title: props.name })
            : L.marker(latlng, { icon: countIcon("", "empty" + camp), title: props.name });
          marker.bindPopup(placePopup(marker, props, events, labels)).addTo(map);
          bounds.push(latlng);
        });
        if (bounds.length) {
          map.fitBounds(L.latLngBounds(bounds).pad(0.2), { maxZoom: 8 });
        }
        node.dataset.ready = String(places.length);
        status(results[0].truncated ? node.dataset.labelTruncated || "truncated" : "");
      }
    );
  }

  function drawPath(map, node) {
    var labels = {
      precision: node.dataset.labelPrecision || "precision",
      current: node.dataset.labelCurrent || "current",
    };
    return fetchJson(node.dataset.path).then(function (path) {
      var bounds = [];
      path.features.forEach(function (feature) {
        var coords = feature.geometry.coordinates;
        if (feature.geometry.type === "LineString") {
          L.polyline(
            coords.map(function (c) { return [c[1], c[0]]; }),
            { color: "#8b0000", weight: 3, dashArray: "8 6", className: "custody-line" }
          ).addTo(map);
          return;
        }
        var props = feature.properties;
        var latlng = L.latLng(coords[1], coords[0]);
        precisionCircle(map, latlng, props.precision_m);
        var box = el("div", null, "popup");
        box.appendChild(el("strong", props.order + ". " + (props.stage_label || props.stage)));
        box.appendChild(el("div")).appendChild(link(props.url, props.place));
        box.appendChild(el("code", (props.start_date || "?") + " – " + (props.end_date || "")));
        if (props.current) {
          box.appendChild(el("div", labels.current, "kind"));
        }
        L.marker(latlng, {
          icon: countIcon(props.order, "step" + (props.current ? " current" : "")),
          title: props.place,
        }).bindPopup(box).addTo(map);
        bounds.push(latlng);
      });
      if (bounds.length) {
        map.fitBounds(L.latLngBounds(bounds).pad(0.3), { maxZoom: 8 });
      }
      node.dataset.ready = String(bounds.length);
    });
  }

  function start() {
    var node = document.getElementById("map");
    if (!node || typeof L === "undefined") {
      return;
    }
    newMap(node)
      .then(function (map) {
        return node.dataset.map === "path" ? drawPath(map, node) : drawPlaces(map, node);
      })
      .catch(function (error) {
        node.dataset.ready = "error";
        status(String(error));
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
