// nearhome web map: MapLibre GL JS (vendored, web/vendor/maplibre-gl) over the service's own
// vector tiles (/tiles/base, falling back to /api/basemap GeoJSON when the service has no
// tiles) and its JSON/GeoJSON endpoints. Nothing leaves this server: no CDN, no online tiles
// or fonts (label glyphs are served from /fonts, made by web/tools/glyphs.mjs).
// Colour palettes are colour-blind safe (Okabe-Ito for categories, viridis for sequential
// scales).
import * as maplibregl from "./vendor/maplibre-gl/maplibre-gl.mjs";

const $ = (id) => document.getElementById(id);

// ---------- Palettes and constants ----------
const SPARE_COLOURS = [
  { label: "No spare places", colour: "#D55E00" },
  { label: "1–4 spare", colour: "#E69F00" },
  { label: "5 or more spare", colour: "#009E73" },
  { label: "Capacity unknown (–)", colour: "#999999" },
];
// Viridis from 0.25 to 1 (its darkest quarter left out: it would hide the base map).
const VIRIDIS = ["#3b528b", "#21918c", "#5ec962", "#addc30", "#fde725"];
const NO_DATA = "#cccccc";
// The choropleth's fill opacity; the legend swatches are drawn at the same opacity over the
// map's background colour, so a swatch looks like the fill it names.
const AREA_OPACITY = 0.55;
const MAP_BG = "#f2efe9";
const RUN_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000"];
const ATTRIBUTION = "© OpenStreetMap contributors";
const FONT = ["DejaVu Sans Book"];
const FONT_BOLD = ["DejaVu Sans Bold"];
// The most journeys the API returns in one page.
const JOURNEY_PAGE = 5000;

const state = {
  token: sessionStorage.getItem("nearhome-token") || "",
  role: "public",
  scenario: null,
  provisions: null,
  areas: null,
  publicAreas: null,
  breaks: null,
  demand: null,
  journeys: null,
  journeysFrom: "geojson",
  // More journeys than this (and no filter): drawn from the officer vector tiles.
  tilesOver: JOURNEY_PAGE,
  moves: null,
  runs: null,
  catchment: null,
  summary: null,
  selected: null,
  candidate: null,
  sites: [],
  fan: null,
  placing: false,
  sortKey: "area_name",
  sortDir: 1,
  base: "none",
  officerTiles: null,
  runTiles: null,
  popup: null,
  hoverArea: null,
  hoverProv: null,
  legendItems: [],
};

// ---------- HTTP ----------
// Requests started before they are needed: the first screen's data, fetched in parallel
// while the map library starts. `api` hands each out once, to the first call for the same
// path with the same credentials and no method or body of its own.
const early = new Map();
function earlyKey(path, opts) {
  const o = opts || {};
  if (o.method || o.body || o.headers) return null;
  return (o.anonymous ? "anonymous " : (state.token ? "token " : "")) + path;
}
function prefetch(path, opts) {
  const key = earlyKey(path, opts);
  if (key === null || early.has(key)) return;
  const p = api(path, opts);
  p.catch(() => {}); // the caller that takes it sees the error
  early.set(key, p);
}

async function api(path, opts) {
  const key = earlyKey(path, opts);
  if (key !== null && early.has(key)) {
    const p = early.get(key);
    early.delete(key);
    return p;
  }
  const o = Object.assign({}, opts || {});
  o.headers = Object.assign({}, o.headers || {});
  if (state.token && !o.anonymous) o.headers["Authorization"] = "Bearer " + state.token;
  const r = await fetch(path, o);
  const type = r.headers.get("content-type") || "";
  const body = type.includes("json") ? await r.json() : await r.text();
  if (!r.ok) {
    const msg = body && body.error ? body.error : "HTTP " + r.status;
    const e = new Error(msg);
    e.status = r.status;
    throw e;
  }
  return body;
}

function setStatus(text) {
  $("status").textContent = text;
}

let noticeTimer = null;
function notice(text) {
  const n = $("notice");
  n.textContent = text;
  n.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { n.hidden = true; }, 8000);
}

// ---------- Formatting ----------
function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
// A figure; `null` is a suppressed count ("c").
function fmt(v, digits) {
  if (v === null || v === undefined) return "c";
  if (typeof v !== "number") return esc(v);
  const d = digits === undefined ? (Math.abs(v) >= 100 ? 0 : 1) : digits;
  return v.toLocaleString("en-GB", { maximumFractionDigits: d });
}
function money(v) {
  if (v === null || v === undefined) return "c";
  return "£" + Math.round(v).toLocaleString("en-GB");
}
// Places and spare places of a provision: "–" where the capacity is not known (not a
// suppression), "c" where a figure is suppressed.
function placesCell(p) {
  return p.capacity === null || p.capacity === undefined ? "–" : fmt(p.capacity);
}
function spareCell(p) {
  if (p.capacity === null || p.capacity === undefined) return "–";
  return fmt(p.spare_places);
}
function kindName(k) {
  return String(k || "").replace(/_/g, " ");
}

// ---------- Choropleth classes ----------
// Quintile classes computed on the published (public, rounded and suppressed) values, the
// same for the public and the officer view; every area is coloured by its published value
// (officers see the exact figures in the table and popup), so the two views never rank
// areas differently. Officers' areas whose published value is suppressed are classed by
// their exact value against the same breaks.
function quantileBreaks(values) {
  const v = values.filter((x) => typeof x === "number" && isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const n = v.length, K = VIRIDIS.length;
  // The i-th smallest value falls in quintile floor(i K / n); equal values share the class
  // of the first of them, so a tie never straddles two classes.
  const classes = [];
  let q = -1;
  for (let i = 0; i < n; i++) {
    const tie = i > 0 && v[i] === v[i - 1];
    const qi = Math.floor((i * K) / n);
    if (!tie && qi !== q) { classes.push({ lo: v[i], hi: v[i] }); q = qi; }
    classes[classes.length - 1].hi = v[i];
  }
  // Spread the palette over however many classes there are.
  classes.forEach((c, i) => {
    c.colour = VIRIDIS[classes.length === 1 ? 2 : Math.round((i * (K - 1)) / (classes.length - 1))];
  });
  return classes;
}
function classOf(v, classes) {
  if (typeof v !== "number" || !classes) return -1;
  for (let i = 0; i < classes.length; i++) if (v <= classes[i].hi) return i;
  return classes.length - 1;
}
function mix(hex, alpha, bg) {
  const p = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  const [r, g, b] = p(hex), [R, G, B] = p(bg);
  const m = (x, y) => Math.round(x * alpha + y * (1 - alpha));
  return "rgb(" + m(r, R) + "," + m(g, G) + "," + m(b, B) + ")";
}

function classifyAreas() {
  if (!state.areas) return;
  const key = $("metric").value;
  const pub = state.publicAreas || state.areas;
  const published = {};
  for (const f of pub.features) published[f.properties.area_id] = f.properties[key];
  state.breaks = quantileBreaks(Object.values(published));
  for (const f of state.areas.features) {
    const p = f.properties;
    const v = typeof published[p.area_id] === "number" ? published[p.area_id] : p[key];
    const c = classOf(v, state.breaks);
    p.nh_colour = c < 0 ? NO_DATA : state.breaks[c].colour;
  }
}

// ---------- The map ----------
// At least two workers parse tiles and GeoJSON (the library's default is half the cores, so
// one on a two-core machine, where the base tiles then queue behind the areas and schools).
maplibregl.setWorkerCount(Math.max(2, maplibregl.getWorkerCount()));
const map = new maplibregl.Map({
  container: "map",
  style: { version: 8, glyphs: new URL("fonts/", location.href).href + "{fontstack}/{range}.pbf", sources: {}, layers: [
    { id: "background", type: "background", paint: { "background-color": MAP_BG } },
  ] },
  center: [-1.5, 52.5],
  zoom: 6,
  maxZoom: 19,
  // Labels appear at once rather than fading in: the map is still sooner (and idle sooner).
  fadeDuration: 0,
  attributionControl: false,
  transformRequest: (url) => {
    // The officer token goes in a header (never in a URL), and only to this server's own
    // officer tiles (journeys and moves; shared runs) and API.
    try {
      const u = new URL(url, location.href);
      if (state.token && u.origin === location.origin &&
          (u.pathname.includes("/tiles/officer") || u.pathname.includes("/tiles/runs/") || u.pathname.includes("/api/")))
        return { url, headers: { Authorization: "Bearer " + state.token } };
    } catch (e) { /* not a URL: leave it */ }
    return { url };
  },
});
window.__map = map;
map.addControl(new maplibregl.NavigationControl({ showCompass: true, visualizePitch: true }), "top-right");
map.addControl(new maplibregl.AttributionControl({ compact: false, customAttribution: ATTRIBUTION }), "bottom-left");
map.addControl(new maplibregl.ScaleControl({ unit: "metric", maxWidth: 120 }), "bottom-left");
map.addControl(new maplibregl.ScaleControl({ unit: "imperial", maxWidth: 120 }), "bottom-left");
map.getCanvas().setAttribute("aria-label", $("map").getAttribute("aria-label"));

const loaded = new Promise((resolve) => map.on("load", resolve));
const empty = () => ({ type: "FeatureCollection", features: [] });

function setData(id, data) {
  const s = map.getSource(id);
  if (s) s.setData(data || empty());
}
function show(layerIds, on) {
  for (const id of layerIds) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
}

// Road class, from the tiles' classes or the OSM highway values of /api/basemap.
const ROAD_CLASS = ["match", ["get", "class"],
  ["motorway", "motorway_link"], "motorway",
  ["trunk", "trunk_link"], "trunk",
  ["primary", "primary_link"], "primary",
  ["secondary", "secondary_link"], "secondary",
  ["tertiary", "tertiary_link"], "tertiary",
  ["service", "living_street"], "service",
  "minor"];
const ROAD_FILL = ["match", ROAD_CLASS,
  "motorway", "#e892a2", "trunk", "#f9b29c", "primary", "#fcd6a4", "secondary", "#f7fabf", "#ffffff"];
const ROAD_CASE = ["match", ROAD_CLASS,
  "motorway", "#c24e6b", "trunk", "#c84e2f", "primary", "#a06b00", "secondary", "#707d05", "#9a9a9a"];
function roadWidth(extra) {
  // Line width (px) by zoom and class; the casing passes `extra` (px added at zooms 7, 10,
  // 13, 16, 19) so it shows either side of the fill.
  const e = extra || [0, 0, 0, 0, 0];
  const w = (z, add) => ["+", add, ["match", ROAD_CLASS,
    "motorway", z[0], "trunk", z[0], "primary", z[1], "secondary", z[2], "tertiary", z[3], "service", z[5], z[4]]];
  return ["interpolate", ["exponential", 1.6], ["zoom"],
    7, w([1.2, 0.9, 0.6, 0.3, 0, 0], e[0]),
    10, w([2, 1.6, 1.2, 0.9, 0.4, 0], e[1]),
    13, w([4, 3.5, 3, 2.5, 1.5, 0.8], e[2]),
    16, w([10, 9, 8, 7, 5, 3], e[3]),
    19, w([30, 26, 22, 20, 14, 8], e[4])];
}
// The zoom from which roads have round caps and joins (see baseLayers).
const ROUND_FROM = 13;
const ROAD_ORDER = ["match", ROAD_CLASS, "motorway", 6, "trunk", 5, "primary", 4, "secondary", 3, "tertiary", 2, "service", 0, 1];

function baseLayers(src, vector) {
  const sl = (name) => (vector ? { "source-layer": name } : {});
  const roadFilter = vector ? ["all"] : ["==", ["get", "kind"], "road"];
  const boundaryFilter = vector ? ["all"] : ["==", ["get", "kind"], "boundary"];
  const layers = [];
  if (vector && state.baseLayers.has("landuse")) layers.push({ id: "landuse", type: "fill", source: src, ...sl("landuse"),
    paint: { "fill-color": ["match", ["get", "class"],
      "wood", "#add19e", "park", "#c8facc", "grass", "#cdebb0", "wetland", "#d6e9dc", "cemetery", "#aacbaf",
      "residential", "#e6e1da", "industrial", "#ebdbe8", "farmland", "#eef0d5", "#e3e6d3"],
      "fill-opacity": ["interpolate", ["linear"], ["zoom"], 8, 0.5, 12, 0.85] } });
  if (vector && state.baseLayers.has("waterways")) layers.push({ id: "waterway", type: "line", source: src, ...sl("waterways"),
    layout: { "line-cap": "round", "line-join": "round" },
    paint: { "line-color": "#8cc4d6", "line-width": ["interpolate", ["exponential", 1.4], ["zoom"],
      8, ["match", ["get", "class"], "stream", 0.3, 0.8], 16, ["match", ["get", "class"], "stream", 1.5, 5]] } });
  if (vector && state.baseLayers.has("water")) layers.push({ id: "water", type: "fill", source: src, ...sl("water"),
    paint: { "fill-color": "#aad3df" } });
  layers.push({ id: "boundary-fill", type: "fill", source: src, ...sl("boundary"), filter: boundaryFilter,
    paint: { "fill-color": "#ffffff", "fill-opacity": 0.45 } });
  layers.push({ id: "__areas__" }); // placeholder: the choropleth goes here, under the roads
  // Each road layer in two zoom bands: below ROUND_FROM the lines are a few pixels wide, so
  // round caps and joins would not show but cost most of the roads' drawing (their triangle
  // fans); from it on they keep wide lines' corners and ends whole.
  const road = (id, paint) => [
    { id: id + "-low", type: "line", source: src, ...sl("roads"), filter: roadFilter, maxzoom: ROUND_FROM,
      layout: { "line-cap": "butt", "line-join": "miter", "line-sort-key": ROAD_ORDER }, paint },
    { id, type: "line", source: src, ...sl("roads"), filter: roadFilter, minzoom: ROUND_FROM,
      layout: { "line-cap": "round", "line-join": "round", "line-sort-key": ROAD_ORDER }, paint },
  ];
  layers.push(...road("road-case", { "line-color": ROAD_CASE, "line-width": roadWidth([0.3, 0.5, 1.2, 2, 3]),
    "line-opacity": ["interpolate", ["linear"], ["zoom"], 8, 0.5, 12, 1] }));
  layers.push(...road("road-fill", { "line-color": ROAD_FILL, "line-width": roadWidth() }));
  layers.push({ id: "boundary-line", type: "line", source: src, ...sl("boundary"), filter: boundaryFilter,
    paint: { "line-color": "#6b3d7a", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 1.5, 14, 3], "line-dasharray": [4, 2] } });
  return layers;
}

function labelLayers(src, vector) {
  const layers = [];
  if (vector && state.baseLayers.has("roads") && state.roadNames) layers.push({ id: "road-label", type: "symbol", source: src,
    "source-layer": "roads", minzoom: 14, filter: ["has", "name"],
    layout: { "symbol-placement": "line", "text-field": ["get", "name"], "text-font": FONT, "text-size": 11, "text-max-angle": 30 },
    paint: { "text-color": "#444", "text-halo-color": "#fff", "text-halo-width": 1.5 } });
  if (vector && state.baseLayers.has("waterways")) layers.push({ id: "waterway-label", type: "symbol", source: src,
    "source-layer": "waterways", minzoom: 13, filter: ["all", ["has", "name"], ["!=", ["get", "class"], "stream"]],
    layout: { "symbol-placement": "line", "text-field": ["get", "name"], "text-font": FONT, "text-size": 11,
      "text-max-angle": 30, "symbol-spacing": 400 },
    paint: { "text-color": "#2f6f8f", "text-halo-color": "rgba(255,255,255,0.85)", "text-halo-width": 1.3 } });
  if (vector && state.baseLayers.has("places")) {
    const size = ["match", ["get", "place"], "city", 17, "town", 14, "village", 12, "suburb", 12, 11];
    const minZoomOf = ["match", ["get", "place"], "city", 0, "town", 8, "village", 11, "suburb", 12, "hamlet", 13, 14];
    layers.push({ id: "place-label", type: "symbol", source: src, "source-layer": "places",
      filter: [">=", ["zoom"], minZoomOf],
      layout: {
        "text-field": ["get", "name"],
        "text-font": ["match", ["get", "place"], ["city", "town"], ["literal", FONT_BOLD], ["literal", FONT]],
        "text-size": ["interpolate", ["linear"], ["zoom"], 8, ["*", 0.85, size], 14, ["*", 1.15, size]],
        "text-transform": ["match", ["get", "place"], ["suburb", "neighbourhood"], "uppercase", "none"],
        "text-letter-spacing": ["match", ["get", "place"], ["suburb", "neighbourhood"], 0.08, 0],
        "symbol-sort-key": ["coalesce", ["get", "rank"], ["-", 0, ["coalesce", ["get", "population"], 0]]],
        "text-padding": 4,
      },
      paint: { "text-color": ["match", ["get", "place"], ["city", "town"], "#222", "#444"],
        "text-halo-color": "rgba(255,255,255,0.9)", "text-halo-width": 1.6 } });
  }
  return layers;
}

// The base map: the service's vector tiles when it has them (TileJSON at /tiles/base.json),
// else the GeoJSON base map (/api/basemap).
async function addBasemap() {
  let tj = null;
  try { tj = await api("tiles/base.json", { anonymous: true }); } catch (e) { tj = null; }
  let src;
  if (tj && Array.isArray(tj.tiles) && tj.tiles.length) {
    state.base = "tiles";
    state.baseLayers = new Set((tj.vector_layers || []).map((l) => l.id));
    if (state.baseLayers.size === 0) ["roads", "boundary", "places"].forEach((l) => state.baseLayers.add(l));
    const roads = (tj.vector_layers || []).find((l) => l.id === "roads");
    state.roadNames = !roads || !roads.fields || "name" in roads.fields;
    map.addSource("base", {
      type: "vector",
      tiles: tj.tiles.map((t) => (/^https?:\/\//.test(t) ? t : location.origin + (t.startsWith("/") ? "" : "/") + t)),
      minzoom: tj.minzoom || 0,
      maxzoom: tj.maxzoom || 14,
      bounds: tj.bounds,
      attribution: tj.attribution || ATTRIBUTION,
    });
    src = "base";
  } else {
    state.base = "geojson";
    state.baseLayers = new Set();
    map.addSource("base", { type: "geojson", data: empty(), attribution: ATTRIBUTION, tolerance: 0.5 });
    src = "base";
  }
  const layers = baseLayers(src, state.base === "tiles");
  const i = layers.findIndex((l) => l.id === "__areas__");
  const before = layers.slice(0, i), after = layers.slice(i + 1);
  for (const l of before) map.addLayer(l);
  addDataLayers(after);
  for (const l of labelLayers(src, state.base === "tiles")) map.addLayer(l);
  addLabelOverlays();
  if (state.base === "geojson") {
    // Major roads first (quick), then every road.
    try {
      setData("base", await api("api/basemap?detail=major"));
      setData("base", await api("api/basemap?detail=all"));
    } catch (e) { setStatus("Base map: " + e.message); }
  }
}

// Icons drawn on a canvas (no image files, no sprite server).
function icon(draw, size) {
  const s = size || 24;
  const c = document.createElement("canvas");
  c.width = c.height = s;
  const g = c.getContext("2d");
  draw(g, s);
  return g.getImageData(0, 0, s, s);
}
function addIcons() {
  map.addImage("nh-arrow", icon((g, s) => {
    g.fillStyle = "#0072B2"; g.strokeStyle = "#ffffff"; g.lineWidth = 2;
    g.beginPath(); g.moveTo(s * 0.2, s * 0.2); g.lineTo(s * 0.85, s * 0.5); g.lineTo(s * 0.2, s * 0.8); g.lineTo(s * 0.38, s * 0.5); g.closePath();
    g.stroke(); g.fill();
  }), { pixelRatio: 2 });
  map.addImage("nh-site", icon((g, s) => {
    g.fillStyle = "#CC79A7"; g.strokeStyle = "#000"; g.lineWidth = 2;
    g.fillRect(4, 4, s - 8, s - 8); g.strokeRect(4, 4, s - 8, s - 8);
  }), { pixelRatio: 1.5 });
  map.addImage("nh-candidate", icon((g, s) => {
    g.fillStyle = "#F0E442"; g.strokeStyle = "#000"; g.lineWidth = 2;
    g.beginPath(); g.moveTo(s / 2, 2); g.lineTo(s - 3, s - 4); g.lineTo(3, s - 4); g.closePath(); g.fill(); g.stroke();
  }), { pixelRatio: 1.2 });
}

function addDataLayers(roadLayers) {
  for (const id of ["areas", "demand", "catchment", "journeys", "moves", "runs", "provisions", "sites", "candidate"]) {
    const promote = { areas: "area_id", provisions: "id" }[id];
    map.addSource(id, Object.assign({ type: "geojson", data: empty() }, promote ? { promoteId: promote } : {}));
  }
  map.addLayer({ id: "areas-fill", type: "fill", source: "areas",
    paint: { "fill-color": ["coalesce", ["get", "nh_colour"], NO_DATA],
      "fill-opacity": ["case", ["boolean", ["feature-state", "hover"], false], Math.min(1, AREA_OPACITY + 0.15), AREA_OPACITY] } });
  for (const l of roadLayers) map.addLayer(l);
  map.addLayer({ id: "areas-line", type: "line", source: "areas",
    paint: { "line-color": ["case", ["boolean", ["feature-state", "hover"], false], "#000", "#555"],
      "line-width": ["case", ["boolean", ["feature-state", "hover"], false], 3, 0.8] } });
  // The catchment: an outline over the choropleth with a faint fill, so the areas stay readable.
  map.addLayer({ id: "catchment-fill", type: "fill", source: "catchment", paint: { "fill-color": "#56B4E9", "fill-opacity": 0.12 } });
  map.addLayer({ id: "catchment-line", type: "line", source: "catchment",
    paint: { "line-color": "#0072B2", "line-width": 2.5, "line-dasharray": [3, 1.5] } });
  map.addLayer({ id: "demand-circle", type: "circle", source: "demand", filter: ["==", ["typeof", ["get", "pupils"]], "number"],
    paint: { "circle-color": "rgba(0,114,178,0.35)", "circle-stroke-color": "#0072B2", "circle-stroke-width": 1,
      "circle-radius": ["max", 4, ["*", 2.5, ["sqrt", ["get", "pupils"]]]] } });
  addJourneyLayers({}, undefined);
  map.addLayer({ id: "moves-line", type: "line", source: "moves", paint: { "line-color": "#0072B2", "line-width": 2.5, "line-opacity": 0.85 } });
  map.addLayer({ id: "moves-arrow", type: "symbol", source: "moves",
    layout: { "symbol-placement": "line", "symbol-spacing": 70, "icon-image": "nh-arrow", "icon-allow-overlap": true,
      "icon-rotation-alignment": "map", "icon-size": 1 } });
  map.addLayer({ id: "runs-line", type: "line", source: "runs", filter: ["==", ["geometry-type"], "LineString"],
    paint: { "line-color": ["get", "nh_colour"], "line-width": 3.5 } });
  map.addLayer({ id: "runs-stop", type: "circle", source: "runs", filter: ["==", ["geometry-type"], "Point"],
    paint: { "circle-color": ["get", "nh_colour"], "circle-radius": 4, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
  const r = ["max", 4, ["min", 18, ["*", 2.2, ["sqrt", ["coalesce", ["get", "capacity"], 4]]]]];
  map.addLayer({ id: "provisions", type: "circle", source: "provisions",
    layout: { "circle-sort-key": ["-", 0, ["coalesce", ["get", "capacity"], 4]] },
    paint: {
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, ["*", 0.65, r], 12, r, 16, ["*", 1.4, r]],
      "circle-color": ["case",
        ["!", ["has", "capacity"]], "#999999", ["==", ["get", "capacity"], null], "#999999",
        ["==", ["typeof", ["get", "spare_places"]], "number"],
        ["step", ["get", "spare_places"], "#D55E00", 1, "#E69F00", 5, "#009E73"],
        "#999999"],
      "circle-stroke-color": "#000",
      "circle-stroke-width": ["case", ["boolean", ["feature-state", "selected"], false], 3.5,
        ["boolean", ["feature-state", "hover"], false], 2.5, 1],
    } });
  map.addLayer({ id: "sites", type: "symbol", source: "sites",
    layout: { "icon-image": "nh-site", "icon-allow-overlap": true, "text-field": ["get", "label"], "text-font": FONT_BOLD,
      "text-size": 12, "text-offset": [0, 1.2], "text-anchor": "top", "text-optional": true },
    paint: { "text-color": "#5b1a45", "text-halo-color": "#fff", "text-halo-width": 1.8 } });
  map.addLayer({ id: "candidate", type: "symbol", source: "candidate",
    layout: { "icon-image": "nh-candidate", "icon-allow-overlap": true, "text-field": ["get", "label"], "text-font": FONT_BOLD,
      "text-size": 12, "text-offset": [0, 1.2], "text-anchor": "top", "text-optional": true },
    paint: { "text-color": "#000", "text-halo-color": "#fff", "text-halo-width": 1.8 } });
}

// The officers' journeys: from /api/journeys (GeoJSON: filters by area and need, every
// property) or from the officer vector tiles (/tiles/officer, token in a header) when there
// are more journeys than one page and no filter: the city-scale case.
function addJourneyLayers(extra, before) {
  const long = ["case", ["has", "long_journey"], ["==", ["get", "long_journey"], true],
    [">", ["coalesce", ["get", "minutes"], 0], ["match", ["get", "phase"], "primary", 45, 75]]];
  const estimated = ["any", ["==", ["get", "journey_source"], "estimated"], ["==", ["get", "estimated"], true]];
  const jpaint = (dash) => Object.assign({
    "line-color": ["case", long, "#CC79A7", "rgba(0,0,0,0.4)"],
    "line-width": ["case", ["==", ["get", "out_of_area"], true], 2, 1.2],
  }, dash ? { "line-dasharray": [3, 2] } : {});
  const vis = { visibility: $("show-journeys").checked ? "visible" : "none" };
  map.addLayer(Object.assign({ id: "journeys-routed", type: "line", source: "journeys", filter: ["!", estimated], layout: vis, paint: jpaint(false) }, extra), before);
  map.addLayer(Object.assign({ id: "journeys-estimated", type: "line", source: "journeys", filter: estimated, layout: vis, paint: jpaint(true) }, extra), before);
}

function setJourneySource(kind, tj) {
  if (state.journeysFrom === kind && kind !== "tiles") return;
  for (const id of ["journeys-routed", "journeys-estimated"]) if (map.getLayer(id)) map.removeLayer(id);
  if (map.getSource("journeys")) map.removeSource("journeys");
  if (kind === "tiles")
    map.addSource("journeys", { type: "vector", tiles: tj.tiles.map((t) => (/^https?:\/\//.test(t) ? t : location.origin + t)),
      minzoom: tj.minzoom || 0, maxzoom: tj.maxzoom || 14, bounds: tj.bounds });
  else map.addSource("journeys", { type: "geojson", data: empty() });
  addJourneyLayers(kind === "tiles" ? { "source-layer": "journeys" } : {}, "moves-line");
  state.journeysFrom = kind;
}

// Every school's planned runs (officer): the runs vector tiles (/tiles/runs, token in a
// header), a source of their own (planning the runs may take a while; the journeys do not
// wait for it), one line per run along the roads through its stops, coloured by kind. Added only
// with the token; `null` removes it.
const RUN_KINDS = [
  ["shared", "#009E73", "Shared run (all schools)"],
  ["solo", "#56B4E9", "Solo run (must travel alone)"],
  ["over_guidance", "#D55E00", "Direct run already over the guidance"],
];
function setRunTiles(tj) {
  if (map.getLayer("all-runs-line")) map.removeLayer("all-runs-line");
  if (map.getSource("all-runs")) map.removeSource("all-runs");
  state.runTiles = null;
  if (!tj) return;
  map.addSource("all-runs", { type: "vector", tiles: tj.tiles.map((t) => (/^https?:\/\//.test(t) ? t : location.origin + t)),
    minzoom: tj.minzoom || 0, maxzoom: tj.maxzoom || 14, bounds: tj.bounds });
  const colour = ["match", ["get", "kind"]];
  for (const [k, c] of RUN_KINDS) colour.push(k, c);
  colour.push("#999999");
  map.addLayer({ id: "all-runs-line", type: "line", source: "all-runs", "source-layer": "runs",
    layout: { visibility: $("show-all-runs").checked ? "visible" : "none", "line-cap": "round" },
    paint: { "line-color": colour, "line-width": ["interpolate", ["linear"], ["zoom"], 9, 1.5, 14, 3], "line-opacity": 0.85 } },
    map.getLayer("runs-line") ? "runs-line" : undefined);
  state.runTiles = tj;
}

function showRunPopup(f, lngLat) {
  const p = f.properties;
  const el = document.createElement("div");
  el.id = "run-popup";
  el.innerHTML = "<h3>" + esc(p.school_name) + "</h3><dl>" +
    "<dt>Run</dt><dd>" + esc(p.school_id) + "/" + esc(String(p.run).padStart(3, "0")) + "</dd>" +
    "<dt>Kind</dt><dd>" + esc(kindName(p.kind)) + "</dd>" +
    "<dt>Pupils</dt><dd>" + fmt(p.pupils) + "</dd>" +
    "<dt>Minutes</dt><dd>" + fmt(p.minutes, 0) + "</dd>" +
    (p.vehicle ? "<dt>Vehicle</dt><dd>" + esc(p.vehicle) + "</dd>" : "") +
    "<dt>£ a day</dt><dd>" + money(p.gbp_per_day) + "</dd></dl>" +
    "<p class=\"note\">Select the school for this run's stops.</p>";
  closePopup();
  state.popup = new maplibregl.Popup({ closeButton: true, maxWidth: "260px", focusAfterOpen: false }).setLngLat(lngLat).setDOMContent(el).addTo(map);
}

// School and area names over everything (after the base map's place names).
function addLabelOverlays() {
  map.addLayer({ id: "areas-label", type: "symbol", source: "areas", minzoom: 11,
    layout: { "text-field": ["get", "area_name"], "text-font": FONT, "text-size": 11, "text-padding": 6 },
    paint: { "text-color": "#333", "text-halo-color": "rgba(255,255,255,0.85)", "text-halo-width": 1.4 } });
  map.addLayer({ id: "provisions-label", type: "symbol", source: "provisions", minzoom: 12.5,
    layout: { "text-field": ["get", "name"], "text-font": FONT, "text-size": 11, "text-offset": [0, 1.1],
      "text-anchor": "top", "text-max-width": 10, "text-optional": true },
    paint: { "text-color": "#1b1b1b", "text-halo-color": "#fff", "text-halo-width": 1.5 } });
}

// ---------- Layers' data ----------
function visibleProvisions() {
  if (!state.provisions) return [];
  const need = $("need").value;
  return state.provisions.features.filter((f) => need === "ALL" || (f.properties.needs || []).includes(need));
}

function refresh() {
  if (!map.getSource("areas")) return;
  const need = $("need").value;
  const provFilter = need === "ALL" ? null : ["in", need, ["get", "needs"]];
  for (const id of ["provisions", "provisions-label"]) map.setFilter(id, provFilter);
  show(["provisions", "provisions-label"], $("show-provisions").checked);
  $("map").dataset.provisionsDrawn = String($("show-provisions").checked ? visibleProvisions().length : 0);

  classifyAreas();
  setData("areas", state.areas);
  show(["areas-fill", "areas-line", "areas-label"], $("show-areas").checked);
  $("map").dataset.areasDrawn = String(state.areas && $("show-areas").checked ? state.areas.features.length : 0);

  const demandPts = { type: "FeatureCollection", features: [] };
  if (state.demand && $("show-demand").checked)
    for (const f of state.demand.features) {
      const c = centre(f.geometry);
      if (c) demandPts.features.push({ type: "Feature", geometry: { type: "Point", coordinates: c }, properties: { pupils: f.properties.pupils, name: f.properties.area_name } });
    }
  setData("demand", demandPts);
  show(["demand-circle"], $("show-demand").checked);

  setData("catchment", state.catchment && $("show-catchment").checked ? { type: "FeatureCollection", features: [state.catchment] } : null);

  const jOn = $("show-journeys").checked && state.role === "officer";
  if (state.journeysFrom === "geojson") setData("journeys", jOn ? state.journeys : null);
  show(["journeys-routed", "journeys-estimated"], jOn);
  const jf = state.journeys && jOn ? state.journeys.features : [];
  $("map").dataset.journeysDrawn = String(jOn ? (state.journeysFrom === "tiles" ? state.journeysTotal : jf.length) : 0);
  $("map").dataset.estimatedDrawn = String(jf.filter((f) => f.properties.journey_source === "estimated").length);
  $("map").dataset.journeysSource = jOn ? state.journeysFrom : "none";

  const moves = state.moves && $("show-moves").checked ? { type: "FeatureCollection", features: state.moves.features.filter((f) => f.geometry) } : null;
  setData("moves", moves);
  $("map").dataset.movesDrawn = String(moves ? moves.features.length : 0);

  let runsDrawn = 0;
  if (state.runs && $("show-runs").checked) {
    const colourOf = {};
    for (const f of state.runs.features) {
      const id = f.properties.run_id;
      if (!(id in colourOf)) colourOf[id] = RUN_COLOURS[Object.keys(colourOf).length % RUN_COLOURS.length];
      f.properties.nh_colour = colourOf[id];
      if (f.geometry && f.geometry.type === "LineString") runsDrawn++;
    }
    setData("runs", state.runs);
  } else setData("runs", null);
  $("map").dataset.runsDrawn = String(runsDrawn);
  const allRuns = state.role === "officer" && $("show-all-runs").checked && state.runTiles !== null;
  show(["all-runs-line"], allRuns);
  $("map").dataset.runTiles = allRuns ? "shown" : "none";

  setData("sites", { type: "FeatureCollection", features: state.sites.map((s, i) => ({
    type: "Feature", geometry: { type: "Point", coordinates: [s.lon, s.lat] }, properties: { label: (i + 1) + ". " + s.name } })) });
  setData("candidate", { type: "FeatureCollection", features: state.candidate ? [{
    type: "Feature", geometry: { type: "Point", coordinates: [state.candidate.lon, state.candidate.lat] }, properties: { label: "What-if base" } }] : [] });
  drawLegend();
}

function centre(g) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const visit = (c) => {
    if (typeof c[0] === "number") {
      minX = Math.min(minX, c[0]); maxX = Math.max(maxX, c[0]);
      minY = Math.min(minY, c[1]); maxY = Math.max(maxY, c[1]);
    } else c.forEach(visit);
  };
  if (!g) return null;
  visit(g.coordinates);
  return isFinite(minX) ? [(minX + maxX) / 2, (minY + maxY) / 2] : null;
}
function bounds(g) {
  const b = new maplibregl.LngLatBounds();
  const visit = (c) => { if (typeof c[0] === "number") b.extend(c); else c.forEach(visit); };
  if (g) visit(g.coordinates);
  return b;
}

// ---------- Legend ----------
function drawLegend() {
  const items = [];
  items.push({ kind: "title", label: "Provisions (size: places)" });
  for (const s of SPARE_COLOURS) items.push({ kind: "round", colour: s.colour, label: s.label });
  if ($("show-areas").checked && state.areas) {
    const label = $("metric").selectedOptions[0].textContent;
    items.push({ kind: "title", label: "Areas: " + label });
    if (state.breaks)
      for (const c of state.breaks) items.push({ kind: "fill", colour: c.colour, label: c.lo === c.hi ? fmt(c.lo) : fmt(c.lo) + "–" + fmt(c.hi) });
    items.push({ kind: "fill", colour: NO_DATA, label: "suppressed (c) / no data" });
    items.push({ kind: "note", label: "Classes: quintiles of the published figures (the same in every view)." });
  }
  if ($("show-demand").checked && state.demand) items.push({ kind: "round", colour: "#0072B2", label: "Pupils with a home in the area" });
  if ($("show-catchment").checked && state.catchment)
    items.push({ kind: "line", colour: "#0072B2", label: "Catchment (" + state.catchment.properties.minutes + " min)" });
  if ($("show-moves").checked && state.moves) items.push({ kind: "arrow", colour: "#0072B2", label: "Bring-back move (arrows: direction of travel)" });
  if ($("show-runs").checked && state.runs) items.push({ kind: "line", colour: "#E69F00", label: "Shared run (one colour each) and its stops" });
  if ($("show-all-runs").checked && state.runTiles && state.role === "officer") {
    items.push({ kind: "title", label: "Runs (along the roads)" });
    for (const [, c, label] of RUN_KINDS) items.push({ kind: "line", colour: c, label });
  }
  if ($("show-journeys").checked && state.role === "officer") {
    items.push({ kind: "line", colour: "#CC79A7", label: "Journey over the guidance" });
    items.push({ kind: "line", colour: "#666666", label: "Journey within the guidance" });
    items.push({ kind: "dash", colour: "#555555", label: "Estimated journey (straight line, not routed)" });
  }
  if (state.candidate) items.push({ kind: "fill", colour: "#F0E442", label: "What-if base" });
  if (state.sites.length) items.push({ kind: "fill", colour: "#CC79A7", label: "Chosen sites (planning)" });
  state.legendItems = items;
  const leg = $("legend");
  leg.textContent = "";
  for (const it of items) {
    const div = document.createElement(it.kind === "title" ? "strong" : "div");
    if (it.kind === "title") { div.textContent = it.label; div.className = "ltitle"; leg.appendChild(div); continue; }
    if (it.kind === "note") { div.className = "note"; div.textContent = it.label; leg.appendChild(div); continue; }
    div.className = "item";
    const sw = document.createElement("span");
    if (it.kind === "dash") sw.className = "dash";
    else if (it.kind === "arrow") { sw.className = "arrow"; sw.textContent = "➜"; }
    else if (it.kind === "line") { sw.className = "sw"; sw.style.height = "3px"; sw.style.border = "none"; sw.style.background = it.colour; }
    else {
      sw.className = it.kind === "round" ? "sw round" : "sw";
      // Area fills: the same opacity over the same background as on the map.
      sw.style.background = it.kind === "fill" && it.label !== "What-if base" && !it.label.startsWith("Chosen") ? mix(it.colour, AREA_OPACITY, MAP_BG) : it.colour;
    }
    sw.setAttribute("aria-hidden", "true");
    div.appendChild(sw);
    div.appendChild(document.createTextNode(it.label));
    leg.appendChild(div);
  }
  $("legend").dataset.classes = state.breaks ? String(state.breaks.length) : "0";
}

// ---------- Panels ----------
function renderHeadline() {
  const s = state.summary;
  if (!s) return;
  const o = s.overall;
  const c = s.cohort || {};
  const items = [
    ["EHC plans", fmt(c.ehc_plans)],
    ["At a placement", fmt(o.pupils)],
    ["No school placement", fmt(c.without_placement)],
    ["Awaiting a place (unmet need)", fmt(c.unmet_need)],
    ["Placed out of area", fmt(o.out_of_area)],
    ["Could return", fmt(o.moves)],
    ["Placements today, £ a year", money(o.current_placement_gbp)],
    ["Transport today, £ a year", money(o.current_transport_gbp)],
    ["£ saved a year", money(o.gbp_per_year_saved)],
    ["km saved a year", fmt(o.km_per_year_saved, 0)],
    ["Journeys over the guidance", fmt(o.long_journeys)],
    ["Median journey (min)", fmt(o.median_minutes)],
  ];
  $("headline").innerHTML = items.map(([k, v]) => "<div><dt>" + esc(k) + "</dt><dd>" + v + "</dd></div>").join("");
  $("estimate-note").textContent = estimateNote(s);
  $("privacy-note").hidden = state.role !== "public";
}

// How many journeys are estimated and why, e.g. "128 of 337 journeys estimated (placement
// not within max_snap_m of the road extract ...), calibrated on 1,594 routed journeys".
function estimateNote(s) {
  const j = s.journeys, e = s.journey_estimates;
  if (!j || !e) return "";
  if (j.estimated === 0) return "Every journey is routed on the road network.";
  const basis = e.calibrated
    ? "calibrated on " + fmt(e.calibrated_on.pairs) + " routed home-to-provision journeys of this run" +
      (e.hold_out && e.hold_out.mdape_pct != null ? " (median error on journeys left out: " + fmt(e.hold_out.mdape_pct) + "%)" : "")
    : "not calibrated: " + fmt(e.default_circuity) + " × the straight line at " + fmt(e.default_speed_kmh) + " km/h";
  const drawn = state.role === "officer" ? " On the journeys layer they are dashed straight lines." : "";
  return fmt(j.estimated) + " of " + fmt(s.overall.pupils) + " journeys estimated (" + j.estimated_because + "), " + basis + "." + drawn;
}

function renderAreaTable() {
  const tbody = document.querySelector("#area-table tbody");
  if (!state.areas) return;
  const rows = state.areas.features.map((f) => f.properties);
  const k = state.sortKey, d = state.sortDir;
  rows.sort((a, b) => {
    const x = a[k], y = b[k];
    if (x === y) return 0;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * d;
  });
  tbody.innerHTML = rows.map((p) =>
    "<tr data-area=\"" + esc(p.area_id) + "\"><th scope=\"row\"><button type=\"button\" class=\"link\" data-area=\"" + esc(p.area_id) + "\">" + esc(p.area_name) + "</button></th><td>" + fmt(p.pupils) + "</td><td>" +
    fmt(p.out_of_area) + "</td><td>" + fmt(p.out_of_area_pct) + "</td><td>" + fmt(p.median_minutes) +
    "</td><td>" + fmt(p.long_journeys) + "</td><td>" + fmt(p.moves) + "</td><td>" +
    fmt(p.local_spare_places) + "</td><td>" + money(p.gbp_per_year_saved) + "</td></tr>").join("");
  document.querySelectorAll("#area-table th button[data-key]").forEach((b) => {
    const th = b.parentElement;
    th.setAttribute("aria-sort", b.dataset.key === k ? (d > 0 ? "ascending" : "descending") : "none");
  });
}

function renderProvTable() {
  const tbody = document.querySelector("#prov-table tbody");
  tbody.innerHTML = visibleProvisions().map((f) => {
    const p = f.properties;
    return "<tr><th scope=\"row\">" + esc(p.name) + "</th><td>" + esc(kindName(p.kind)) + "</td><td>" +
      esc((p.needs || []).join(", ")) + "</td><td>" + placesCell(p) + "</td><td>" + spareCell(p) +
      "</td><td>" + fmt(p.placed) + "</td><td><button type=\"button\" data-prov=\"" + esc(p.id) +
      "\">Show " + esc(p.id) + "</button></td></tr>";
  }).join("");
}

function renderSearchList() {
  const dl = $("search-list");
  dl.textContent = "";
  const add = (v) => { const o = document.createElement("option"); o.value = v; dl.appendChild(o); };
  if (state.provisions) for (const f of state.provisions.features) add(f.properties.name);
  if (state.areas) for (const f of state.areas.features) add(f.properties.area_name);
}

// ---------- Popups ----------
function inExtent(lon, lat) {
  const b = state.scenario && state.scenario.bbox;
  if (!b) return true;
  return lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3];
}

function closePopup() {
  if (state.popup) { const p = state.popup; state.popup = null; p.remove(); }
}

function setSelected(id) {
  if (state.selected !== null && map.getSource("provisions"))
    map.setFeatureState({ source: "provisions", id: state.selected }, { selected: false });
  state.selected = id;
  if (id !== null) map.setFeatureState({ source: "provisions", id }, { selected: true });
}

function showPopup(f) {
  const p = f.properties;
  setSelected(p.id);
  const el = document.createElement("div");
  el.id = "popup";
  el.setAttribute("role", "dialog");
  el.setAttribute("aria-label", "Provision details");
  el.innerHTML =
    "<h3>" + esc(p.name) + "</h3>" +
    "<dl>" +
    "<dt>Id</dt><dd>" + esc(p.id) + "</dd>" +
    "<dt>Kind</dt><dd>" + esc(kindName(p.kind)) + "</dd>" +
    "<dt>Needs</dt><dd>" + esc((p.needs || []).join(", ")) + "</dd>" +
    "<dt>Ages</dt><dd>" + p.age_min + "–" + p.age_max + "</dd>" +
    "<dt>Places</dt><dd>" + (p.capacity == null ? "unknown" : fmt(p.capacity)) + "</dd>" +
    "<dt>On roll</dt><dd>" + fmt(p.on_roll) + "</dd>" +
    "<dt>Spare</dt><dd>" + (p.capacity == null ? "unknown" : fmt(p.spare_places)) + "</dd>" +
    "<dt>Scenario pupils placed</dt><dd>" + fmt(p.placed) + "</dd>" +
    "<dt>Could come here</dt><dd>" + fmt(p.moves_in) + "</dd>" +
    "<dt>In the authority</dt><dd>" + (p.in_area ? "yes" : "no") + "</dd>" +
    "</dl>" + sameSite(f);
  el.querySelectorAll("button[data-prov]").forEach((b) =>
    b.addEventListener("click", () => {
      const g = state.provisions.features.find((x) => x.properties.id === b.dataset.prov);
      if (g) showPopup(g);
    }));
  closePopup();
  const popup = new maplibregl.Popup({ closeButton: true, maxWidth: "290px", focusAfterOpen: false })
    .setLngLat(f.geometry.coordinates).setDOMContent(el).addTo(map);
  popup.on("close", () => { if (state.popup === popup) { state.popup = null; setSelected(null); } });
  state.popup = popup;
  loadCatchment(p.id);
  loadRuns(p.id);
}

function showAreaPopup(f, lngLat) {
  const p = f.properties;
  const el = document.createElement("div");
  el.id = "area-popup";
  el.innerHTML = "<h3>" + esc(p.area_name) + "</h3><dl>" +
    "<dt>Pupils</dt><dd>" + fmt(p.pupils) + "</dd>" +
    "<dt>Out of area</dt><dd>" + fmt(p.out_of_area) + " (" + fmt(p.out_of_area_pct) + "%)</dd>" +
    "<dt>Median journey</dt><dd>" + fmt(p.median_minutes) + " min</dd>" +
    "<dt>Could return</dt><dd>" + fmt(p.moves) + "</dd>" +
    "<dt>Spare places</dt><dd>" + fmt(p.local_spare_places) + "</dd></dl>";
  closePopup();
  state.popup = new maplibregl.Popup({ closeButton: true, maxWidth: "260px", focusAfterOpen: false }).setLngLat(lngLat).setDOMContent(el).addTo(map);
}

function sameSite(f) {
  const [x0, y0] = f.geometry.coordinates;
  const others = visibleProvisions().filter((g) => g !== f && g.geometry.coordinates[0] === x0 && g.geometry.coordinates[1] === y0);
  if (others.length === 0) return "";
  return "<p>Same site: " + others.map((g) => "<button type=\"button\" data-prov=\"" + esc(g.properties.id) + "\">" + esc(g.properties.name) + "</button>").join(" ") + "</p>";
}

// Show a provision: fly to it and open its popup, or say it is outside the road network's
// extent (the map keeps its view rather than flying to an empty place).
function showProvision(f) {
  const [lon, lat] = f.geometry.coordinates;
  if (!inExtent(lon, lat)) {
    notice(f.properties.name + " is outside the road network extent of this scenario (" + lat.toFixed(3) + ", " + lon.toFixed(3) +
      "): it is not drawn on this map, which keeps its view. Its figures are in the Provisions table.");
    setStatus(f.properties.id + ": outside the network extent");
    return false;
  }
  map.easeTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), 13), duration: reducedMotion() ? 0 : 600 });
  showPopup(f);
  return true;
}
function reducedMotion() {
  return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

// The selected school's shared runs (officer): lines and stops on the map, one line per run
// in the popup (vehicle, pupils, minutes, £ a day).
async function loadRuns(id) {
  state.runs = null;
  if (state.role !== "officer" || !$("show-runs").checked) { refresh(); return; }
  setStatus("Planning shared runs (the first time takes a few seconds)…");
  try {
    const fc = await api("api/runs?school=" + encodeURIComponent(id));
    if (state.selected !== id) return;
    state.runs = fc;
    const lines = fc.features.filter((f) => f.properties.kind !== undefined);
    const pop = $("popup");
    const rows = lines.map((f) => {
      const r = f.properties;
      return "<tr><td>" + esc(r.run_id) + "</td><td>" + esc(r.vehicle) + (r.escort ? " + escort" : "") +
        "</td><td>" + r.pupils + "</td><td>" + fmt(r.minutes, 0) + "</td><td>" + money(r.gbp_per_day) + "</td></tr>";
    });
    const total = lines.reduce((s, f) => s + f.properties.gbp_per_day, 0);
    if (pop) pop.insertAdjacentHTML("beforeend", lines.length
      ? "<details class=\"runs\"><summary>" + lines.length + " runs, " + money(total) + " a day</summary><div class=\"scroll\">" +
        "<table><thead><tr><th>Run</th><th>Vehicle</th><th>Pupils</th><th>Min</th><th>£/day</th></tr></thead><tbody>" +
        rows.join("") + "</tbody></table></div></details>"
      : "<p>No pupils on council vehicles.</p>");
    setStatus("Shared runs of " + id + ": " + lines.length);
  } catch (e) {
    setStatus("Shared runs: " + e.message);
  }
  refresh();
}

async function loadCatchment(id) {
  if (!$("show-catchment").checked) return;
  const m = Math.max(1, Math.min(120, parseInt($("catchment-min").value, 10) || 20));
  try {
    state.catchment = await api("api/catchment?provision=" + encodeURIComponent(id) + "&minutes=" + m);
    setStatus("Catchment: " + m + " minutes from " + id);
  } catch (e) {
    state.catchment = null;
    setStatus("Catchment: " + e.message);
  }
  refresh();
}

// ---------- Loading ----------
async function loadScenario() {
  state.scenario = await api("api/scenario");
  state.role = state.scenario.role;
  $("scenario-name").textContent = "· " + state.scenario.name;
  $("role").textContent = state.role;
  const officer = state.role === "officer";
  for (const id of ["show-journeys", "show-moves", "show-runs", "show-all-runs", "dl-pupils", "site-run"]) $(id).disabled = !officer;
  if (!officer) {
    for (const id of ["show-journeys", "show-moves", "show-runs", "show-all-runs"]) $(id).checked = false;
    state.journeys = null; state.journeyTimes = null; state.moves = null; state.runs = null; state.sites = []; state.fan = null;
    if (state.runTiles) setRunTiles(null);
  }
  const layerSel = $("layer");
  if (layerSel.options.length === 0) {
    for (const l of state.scenario.layers) layerSel.add(new Option(l.name, l.id));
    for (const n of state.scenario.needs) {
      $("need").add(new Option(n, n));
      $("wi-needs").add(new Option(n, n, n === "ASD", n === "ASD"));
      $("site-need").add(new Option(n, n, n === "ASD", n === "ASD"));
    }
  }
}

function areaQuery() {
  return "layer=" + encodeURIComponent($("layer").value || "") + "&need=" + encodeURIComponent($("need").value || "ALL");
}

// The provisions, areas and headline figures (`known`: areas already fetched for this
// query, at start-up).
async function loadLayers(known) {
  const q = areaQuery();
  const [prov, areas, summary] = await Promise.all([api("api/provisions"), known || api("api/areas?" + q), api("api/summary")]);
  state.provisions = prov;
  state.areas = areas;
  state.summary = summary;
  // The published figures (no token) set the choropleth's classes in every view.
  state.publicAreas = state.role === "officer" ? await api("api/areas?" + q, { anonymous: true }) : areas;
  const af = $("area-filter");
  const keep = af.value;
  af.innerHTML = '<option value="">All areas</option>';
  for (const f of areas.features) af.add(new Option(f.properties.area_name, f.properties.area_id));
  af.value = keep;
  if ($("show-demand").checked) state.demand = await api("api/demand?" + q);
  setData("provisions", state.provisions);
  if (state.selected !== null) map.setFeatureState({ source: "provisions", id: state.selected }, { selected: true });
  await loadOfficerLayers();
  renderHeadline();
  renderAreaTable();
  renderProvTable();
  renderSearchList();
  refresh();
  renderCharts();
}

// Every journey matching the query: the API's pages, fetched in order until the last one
// (next_offset null), in one FeatureCollection.
async function allJourneys(query) {
  const all = { type: "FeatureCollection", features: [], total: 0 };
  let offset = 0;
  for (;;) {
    const page = await api("api/journeys?" + query + "&limit=" + JOURNEY_PAGE + "&offset=" + offset);
    for (const f of page.features) all.features.push(f);
    all.total = page.total;
    const next = page.next_offset;
    if (typeof next !== "number" || next <= offset) break;
    offset = next;
  }
  return all;
}

async function loadOfficerLayers() {
  if (state.role !== "officer") return;
  const area = $("area-filter").value;
  if ($("show-journeys").checked) {
    setStatus("Loading journeys…");
    const q = areaQuery() + (area ? "&area=" + encodeURIComponent(area) : "");
    const first = await api("api/journeys?" + q + "&limit=1");
    let tj = null;
    if (first.total > state.tilesOver && !area && $("need").value === "ALL") {
      try { tj = await api("tiles/officer.json"); } catch (e) { tj = null; }
    }
    if (tj && Array.isArray(tj.tiles) && tj.tiles.length) {
      state.journeys = null;
      setJourneySource("tiles", tj);
    } else {
      state.journeys = await allJourneys(q);
      setJourneySource("geojson");
    }
    state.journeysTotal = first.total;
    setStatus("Journeys: " + fmt(first.total) + (state.journeysFrom === "tiles" ? " (vector tiles)" : ""));
  }
  state.journeyTimes = null;
  if ($("show-journeys").checked) {
    const q = areaQuery() + (area ? "&area=" + encodeURIComponent(area) : "");
    try { state.journeyTimes = await api("api/journey-times?" + q); } catch (e) { setStatus("Journey times: " + e.message); }
  }
  if ($("show-moves").checked) state.moves = await api("api/moves");
  if ($("show-all-runs").checked && !state.runTiles) {
    // Plan first (once per service; the summary waits for it), so the tiles come quickly
    // and a refusal (no road network) is said here rather than by empty tiles.
    setStatus("Planning shared runs (the first time takes a while)…");
    try {
      await api("api/transport");
      const tj = await api("tiles/runs.json");
      if (Array.isArray(tj.tiles) && tj.tiles.length) setRunTiles(tj);
      setStatus("Runs: vector tiles");
    } catch (e) {
      setStatus("Runs: " + e.message);
    }
  }
}

async function reload() {
  try {
    setStatus("Loading…");
    await loadScenario();
    await loadLayers();
    setStatus("Ready");
  } catch (e) {
    setStatus("Error: " + e.message);
  }
}

// The authority: its boundary's extent, else the bounds of its areas (the road network's extent
// reaches past it, into the neighbours), else the network's bounding box.
function authorityBounds() {
  const x = state.scenario && state.scenario.authority_bbox;
  return Array.isArray(x) && x.length === 4 ? [[x[0], x[1]], [x[2], x[3]]] : null;
}
function fitAuthority(animate, areas) {
  const fc = areas || state.areas;
  let b = authorityBounds();
  if (!b && fc && fc.features.length) {
    const lb = new maplibregl.LngLatBounds();
    for (const f of fc.features) { const fb = bounds(f.geometry); if (!fb.isEmpty()) lb.extend(fb); }
    if (!lb.isEmpty()) b = lb;
  }
  if (!b && state.scenario && state.scenario.bbox) {
    const x = state.scenario.bbox;
    b = [[x[0], x[1]], [x[2], x[3]]];
  }
  if (b) map.fitBounds(b, { padding: 30, duration: animate && !reducedMotion() ? 500 : 0 });
}

// ---------- Planning: best sites ----------
async function runSite() {
  const out = $("site-result");
  delete out.dataset.k;
  const body = {
    need: $("site-need").value,
    places: parseInt($("site-places").value, 10),
    k: parseInt($("site-k").value, 10),
    objective: $("site-objective").value,
  };
  out.textContent = "Computing…";
  try {
    const r = await api("api/site", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const s = r.site;
    const rows = s.per_k.map((k) =>
      "<tr><td>" + k.k + "</td><td class=\"names\">" + k.sites.map((x) => esc(x.name)).join("; ") + "</td><td>" +
      fmt(k.figures.returned) + "</td><td>" + money(k.extra_gbp_per_year_saved) + "</td><td>" +
      money(k.capital_gbp) + "</td><td>" + (k.payback_years == null ? "–" : fmt(k.payback_years, 1)) + "</td></tr>");
    out.innerHTML = "<p>Out of area now: <strong>" + fmt(s.out_of_area_pupils) + "</strong>; existing spare places alone bring back " +
      fmt(s.baseline.returned) + ".</p>" +
      "<table class=\"wi\"><thead><tr><th scope=\"col\">k</th><th scope=\"col\">Sites</th><th scope=\"col\">Returned</th>" +
      "<th scope=\"col\">Extra £/yr</th><th scope=\"col\">Capital</th><th scope=\"col\">Payback (yr)</th></tr></thead><tbody>" +
      rows.join("") + "</tbody></table>";
    const last = s.per_k[s.per_k.length - 1];
    state.sites = last ? last.sites.map((x) => ({ lat: x.location.lat, lon: x.location.lon, name: x.name })) : [];
    state.fan = s.appraisal && s.appraisal.demand ? { need: body.need, demand: s.appraisal.demand } : null;
    out.dataset.k = String(s.per_k.length);
    refresh();
    renderCharts();
  } catch (e) {
    out.textContent = "Planning refused: " + e.message;
  }
}

// ---------- What-if ----------
async function runWhatIf() {
  const out = $("whatif-result");
  // Whatever was on screen belongs to another base: clear it first.
  out.textContent = "";
  delete out.dataset.moved;
  const lat = parseFloat($("wi-lat").value), lon = parseFloat($("wi-lon").value);
  if (!isFinite(lat) || !isFinite(lon)) {
    out.textContent = "Place the base on the map (or type its latitude and longitude) first.";
    return;
  }
  state.candidate = { lat, lon };
  refresh();
  const needs = Array.from($("wi-needs").selectedOptions).map((o) => o.value);
  const body = { add: [{
    id: "WHATIF-1", name: "What-if resource base", lat, lon, needs,
    age_min: parseInt($("wi-age-min").value, 10),
    age_max: parseInt($("wi-age-max").value, 10),
    places: parseInt($("wi-places").value, 10),
  }] };
  out.textContent = "Computing…";
  try {
    const r = await api("api/whatif", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const b = r.baseline, w = r.whatif, c = r.change;
    const added = r.provisions.find((p) => p.added) || {};
    const row = (k, label, f) => "<tr><th scope=\"row\">" + label + "</th><td>" + f(b[k]) + "</td><td>" + f(w[k]) + "</td><td>" + signed(c[k], f) + "</td></tr>";
    out.innerHTML =
      "<table class=\"wi\"><thead><tr><th scope=\"col\"></th><th scope=\"col\">Now</th><th scope=\"col\">With base</th><th scope=\"col\">Change</th></tr></thead><tbody>" +
      row("moved", "Pupils brought back", fmt) +
      row("gbp_per_year_saved", "£ saved a year", money) +
      row("km_per_year_saved", "km saved a year", (v) => fmt(v, 0)) +
      row("total_minutes", "Minutes of new journeys", (v) => fmt(v, 0)) +
      "</tbody></table><p id=\"whatif-moves-in\">Pupils the new base takes: <strong>" + fmt(added.moves_in) + "</strong></p>" +
      (r.role === "public" || r.visibility === "public" ? "<p class=\"note\">Public view: small counts suppressed (c). Use an officer token for exact figures.</p>" : "");
    out.dataset.moved = String(w.moved);
  } catch (e) {
    out.textContent = "What-if refused: " + e.message;
  }
}
function signed(v, f) {
  if (v === null || v === undefined) return "c";
  return (v > 0 ? "+" : "") + f(v);
}

function setPlacing(on) {
  state.placing = on;
  if (on) closePopup();
  $("wi-place").setAttribute("aria-pressed", on ? "true" : "false");
  $("map").classList.toggle("placing", on);
  setStatus(on ? "Click the map where the new base would be" : "Ready");
}

// ---------- Charts (plain SVG) ----------
const SVGNS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVGNS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function chartBox(id, w, h, label) {
  const box = $(id);
  box.textContent = "";
  const svg = svgEl("svg", { viewBox: "0 0 " + w + " " + h, role: "img", "aria-label": label });
  box.appendChild(svg);
  return svg;
}
function chartEmpty(id, text) {
  const box = $(id);
  box.textContent = "";
  const p = document.createElement("p");
  p.className = "empty";
  p.textContent = text;
  box.appendChild(p);
}
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function renderCharts() {
  chartJourneys();
  chartOutOfArea();
  chartCost();
  chartFan();
}

// Journey times by phase: a histogram per phase (5-minute bins) with its guidance line.
function chartJourneys() {
  const id = "chart-journeys";
  const jt = state.journeyTimes;
  if (state.role !== "officer" || !jt || !$("show-journeys").checked) {
    chartEmpty(id, state.role !== "officer" ? "Officers only: journey times are pupil-level figures."
      : "Tick “Journeys (officer)” to chart every journey's minutes.");
    return;
  }
  // /api/journey-times: every journey the map shows (the same area and need), binned by the
  // server, so a city's ten thousand journeys chart without being downloaded.
  const byPhase = (name) => jt.phases.find((p) => p.phase === name) || { bins: [], journeys: 0, guidance_minutes: 0 };
  const sum = (a, b) => a.map((n, i) => n + (b[i] || 0));
  const prim = byPhase("primary"), sec = byPhase("secondary"), post = byPhase("post16");
  const phases = [
    { name: "Primary", limit: prim.guidance_minutes, bins: prim.bins, count: prim.journeys, colour: "#0072B2" },
    { name: "Secondary and post-16", limit: sec.guidance_minutes, bins: sum(sec.bins, post.bins),
      count: sec.journeys + post.journeys, colour: "#D55E00" },
  ];
  const bin = jt.bin_minutes, maxMin = jt.last_bin_from;
  const W = 460, rowH = 130, H = rowH * 2 + 20, L = 36, R = 10;
  const svg = chartBox(id, W, H, "Histogram of journey minutes by phase, with the 45 and 75 minute guidance lines");
  const x = (m) => L + ((W - L - R) * m) / (maxMin + bin);
  phases.forEach((ph, i) => {
    const top = i * rowH, h = 80, y0 = top + 20;
    const ymax = niceMax(Math.max(...ph.bins));
    svg.appendChild(svgEl("text", { x: L, y: top + 12 }, ph.name + " (" + ph.count + " journeys)"));
    ph.bins.forEach((n, b) => {
      if (!n) return;
      const bh = (h * n) / ymax;
      svg.appendChild(svgEl("rect", { x: x(b * bin) + 0.5, y: y0 + h - bh, width: x(bin) - x(0) - 1, height: bh, fill: ph.colour }));
    });
    svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: y0 + h, y2: y0 + h, stroke: "#333" }));
    svg.appendChild(svgEl("text", { x: L - 4, y: y0 + 4, "text-anchor": "end" }, String(ymax)));
    svg.appendChild(svgEl("text", { x: L - 4, y: y0 + h, "text-anchor": "end" }, "0"));
    const lx = x(ph.limit);
    svg.appendChild(svgEl("line", { x1: lx, x2: lx, y1: y0 - 4, y2: y0 + h, stroke: "#000", "stroke-dasharray": "4 3", "stroke-width": 1.5 }));
    svg.appendChild(svgEl("text", { x: lx + 3, y: y0 + 8 }, ph.limit + " min guidance"));
    for (let m = 0; m <= maxMin; m += 15)
      svg.appendChild(svgEl("text", { x: x(m), y: y0 + h + 13, "text-anchor": "middle" }, m === maxMin ? m + "+" : String(m)));
  });
  svg.appendChild(svgEl("text", { x: W / 2, y: H - 2, "text-anchor": "middle" }, "minutes, one way"));
}

// Horizontal bars; `null` values are suppressed ("c").
function barChart(id, rows, label, colour, fmtv) {
  const W = 460, rowH = 20, L = 70, R = 60, H = rows.length * rowH + 10;
  const svg = chartBox(id, W, H, label);
  const max = niceMax(Math.max(0, ...rows.map((r) => (typeof r.value === "number" ? r.value : 0))));
  rows.forEach((r, i) => {
    const y = 5 + i * rowH;
    svg.appendChild(svgEl("text", { x: L - 6, y: y + 13, "text-anchor": "end" }, r.label));
    if (typeof r.value === "number") {
      const w = ((W - L - R) * r.value) / max;
      svg.appendChild(svgEl("rect", { x: L, y: y + 2, width: Math.max(0.5, w), height: rowH - 6, fill: colour }));
      svg.appendChild(svgEl("text", { x: L + w + 4, y: y + 13 }, fmtv(r.value)));
    } else svg.appendChild(svgEl("text", { x: L + 4, y: y + 13 }, "c (suppressed)"));
  });
}

function chartOutOfArea() {
  const s = state.summary;
  if (!s || !s.by_need) { chartEmpty("chart-ooa", "No summary."); return; }
  barChart("chart-ooa", s.by_need.map((n) => ({ label: n.need, value: n.out_of_area })),
    "Pupils placed out of area by need", "#E69F00", (v) => fmt(v));
}

// Cost today (placements, transport) against the saving of the optimal bring-back.
function chartCost() {
  const o = state.summary && state.summary.overall;
  if (!o) { chartEmpty("chart-cost", "No summary."); return; }
  const bars = [
    { label: "Today", parts: [["Placements", o.current_placement_gbp, "#0072B2"], ["Transport", o.current_transport_gbp, "#56B4E9"]] },
    { label: "Saving", parts: [["Placements", o.placement_gbp_saved, "#009E73"], ["Transport", o.transport_gbp_saved, "#8fd3b8"]] },
  ];
  const W = 460, L = 60, R = 20, H = 120, rowH = 34;
  const svg = chartBox("chart-cost", W, H, "Cost today against the saving from bringing pupils back, pounds a year");
  const total = (b) => b.parts.reduce((a, p) => a + (typeof p[1] === "number" ? p[1] : 0), 0);
  const max = niceMax(Math.max(...bars.map(total)));
  const sx = (v) => ((W - L - R) * v) / max;
  bars.forEach((b, i) => {
    const y = 6 + i * rowH;
    svg.appendChild(svgEl("text", { x: L - 6, y: y + 16, "text-anchor": "end" }, b.label));
    let x0 = L;
    for (const [name, v, colour] of b.parts) {
      if (typeof v !== "number") continue;
      const w = sx(v);
      const r = svgEl("rect", { x: x0, y: y + 2, width: Math.max(0.5, w), height: rowH - 12, fill: colour });
      r.appendChild(svgEl("title", {}, name + ": " + money(v)));
      svg.appendChild(r);
      x0 += w;
    }
    svg.appendChild(svgEl("text", { x: Math.min(x0 + 4, W - 110), y: y + rowH - 12 + 12 }, money(total(b))));
  });
  let lx = L;
  for (const [name, , colour] of [["Placements", 0, "#0072B2"], ["Transport", 0, "#56B4E9"], ["Placements saved", 0, "#009E73"], ["Transport saved", 0, "#8fd3b8"]]) {
    svg.appendChild(svgEl("rect", { x: lx, y: H - 16, width: 10, height: 10, fill: colour }));
    svg.appendChild(svgEl("text", { x: lx + 14, y: H - 7 }, name));
    lx += 24 + 6.2 * name.length;
  }
}

// The demand projection of the last planning run: the central path with the 80% interval.
function chartFan() {
  const f = state.fan;
  if (!f) {
    chartEmpty("chart-fan", state.role === "officer"
      ? "Run “Find sites” to draw the demand projection behind its appraisal."
      : "Officers only: shown after a planning run (the projection behind its appraisal).");
    return;
  }
  const d = f.demand, n = d.central.length;
  const W = 460, H = 190, L = 40, R = 22, T = 24, B = 30;
  const svg = chartBox("chart-fan", W, H, "Projected demand, central path with the 80% interval");
  const all = d.low.concat(d.high, d.central);
  const lo = Math.min(...all) * 0.95, hi = Math.max(...all) * 1.05;
  const x = (i) => L + ((W - L - R) * i) / (n - 1);
  const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  const band = d.high.map((v, i) => x(i) + "," + y(v)).concat(d.low.map((v, i) => x(i) + "," + y(v)).reverse());
  svg.appendChild(svgEl("polygon", { points: band.join(" "), fill: "#56B4E9", "fill-opacity": 0.35 }));
  svg.appendChild(svgEl("polyline", { points: d.central.map((v, i) => x(i) + "," + y(v)).join(" "), fill: "none", stroke: "#0072B2", "stroke-width": 2 }));
  svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#333" }));
  for (let i = 0; i < n; i += Math.max(1, Math.round(n / 6)))
    svg.appendChild(svgEl("text", { x: x(i), y: H - B + 14, "text-anchor": "middle" }, String((d.base_year || 0) + i)));
  for (const v of [lo, (lo + hi) / 2, hi])
    svg.appendChild(svgEl("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" }, "×" + v.toFixed(2)));
  svg.appendChild(svgEl("text", { x: L, y: 12 }, f.need + " demand against " + (d.base_year || "the base year") + " (×1): central and 80% interval"));
  svg.appendChild(svgEl("title", {}, d.basis || ""));
  $("chart-fan").dataset.years = String(n);
}

// ---------- Exports ----------
function saveBlob(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

async function download(path, name) {
  const headers = state.token ? { Authorization: "Bearer " + state.token } : {};
  const r = await fetch(path, { headers });
  if (!r.ok) throw new Error("HTTP " + r.status);
  saveBlob(await r.blob(), name);
}

// The map as a PNG: the map's canvas (read in the frame it is drawn) with a title band, the
// legend and the attribution drawn beside it.
function mapImage() {
  return new Promise((resolve) => {
    map.once("render", () => {
      const src = map.getCanvas();
      const dpr = src.width / src.clientWidth || 1;
      const legendW = 300 * dpr, titleH = 34 * dpr;
      const out = document.createElement("canvas");
      out.width = src.width + legendW;
      out.height = src.height + titleH;
      const g = out.getContext("2d");
      g.fillStyle = "#ffffff";
      g.fillRect(0, 0, out.width, out.height);
      g.drawImage(src, 0, titleH);
      g.scale(dpr, dpr);
      g.fillStyle = "#1b1b1b";
      g.font = "bold 16px sans-serif";
      const metric = $("show-areas").checked ? " — areas by " + $("metric").selectedOptions[0].textContent.toLowerCase() : "";
      const need = $("need").value === "ALL" ? "all needs" : $("need").value;
      g.fillText("nearhome · " + (state.scenario ? state.scenario.name : "") + metric + " (" + need + ", " + state.role + " view)", 10, 22);
      let y = titleH / dpr + 18;
      const x0 = src.clientWidth + 12;
      g.font = "12px sans-serif";
      for (const it of state.legendItems) {
        if (it.kind === "title") { g.font = "bold 12px sans-serif"; g.fillStyle = "#1b1b1b"; g.fillText(it.label, x0, y); g.font = "12px sans-serif"; y += 17; continue; }
        if (it.kind === "note") { g.fillStyle = "#5a5a5a"; wrap(g, it.label, x0, y, 225, 14).forEach((l, i) => g.fillText(l, x0, y + i * 14)); y += 14 * wrap(g, it.label, x0, y, 225, 14).length + 4; continue; }
        g.fillStyle = it.kind === "fill" && it.colour !== "#F0E442" && it.colour !== "#CC79A7" ? mix(it.colour, AREA_OPACITY, MAP_BG) : it.colour;
        if (it.kind === "round") { g.beginPath(); g.arc(x0 + 6, y - 4, 6, 0, 2 * Math.PI); g.fill(); g.strokeStyle = "#333"; g.stroke(); }
        else if (it.kind === "line" || it.kind === "dash" || it.kind === "arrow") {
          g.strokeStyle = it.colour; g.lineWidth = 3; g.setLineDash(it.kind === "dash" ? [4, 3] : []);
          g.beginPath(); g.moveTo(x0, y - 4); g.lineTo(x0 + 14, y - 4); g.stroke(); g.setLineDash([]); g.lineWidth = 1;
          if (it.kind === "arrow") { g.beginPath(); g.moveTo(x0 + 16, y - 4); g.lineTo(x0 + 10, y - 8); g.lineTo(x0 + 10, y); g.closePath(); g.fill(); }
        } else { g.fillRect(x0, y - 10, 14, 10); g.strokeStyle = "#333"; g.strokeRect(x0, y - 10, 14, 10); }
        g.fillStyle = "#1b1b1b";
        const lines = wrap(g, it.label, x0, y, 265);
        lines.forEach((l, i) => g.fillText(l, x0 + 20, y + i * 14));
        y += 17 + 14 * (lines.length - 1);
      }
      // Attribution and scale, bottom left of the map part.
      const scale = Array.from(document.querySelectorAll(".maplibregl-ctrl-scale")).find((e) => /\d\s?k?m$/.test(e.textContent));
      const foot = ATTRIBUTION + (scale ? " · scale bar: " + scale.textContent + " = " + scale.clientWidth + " px" : "");
      g.font = "12px sans-serif";
      const tw = g.measureText(foot).width;
      g.fillStyle = "rgba(255,255,255,0.85)";
      g.fillRect(4, out.height / dpr - 22, tw + 12, 18);
      g.fillStyle = "#1b1b1b";
      g.fillText(foot, 10, out.height / dpr - 9);
      out.toBlob((b) => resolve(b), "image/png");
    });
    map.triggerRepaint();
  });
}
function wrap(g, text, x, y, width) {
  const words = text.split(" "), lines = [];
  let line = "";
  for (const w of words) {
    const t = line ? line + " " + w : w;
    if (g.measureText(t).width > width && line) { lines.push(line); line = w; } else line = t;
  }
  if (line) lines.push(line);
  return lines;
}

// ---------- Interaction ----------
function featureAt(point, layers) {
  const live = layers.filter((l) => map.getLayer(l) && map.getLayoutProperty(l, "visibility") !== "none");
  if (!live.length) return null;
  const box = [[point.x - 4, point.y - 4], [point.x + 4, point.y + 4]];
  const fs = map.queryRenderedFeatures(box, { layers: live });
  return fs.length ? fs[0] : null;
}

function wireMap() {
  map.on("click", (e) => {
    if (state.placing) {
      $("wi-lat").value = e.lngLat.lat.toFixed(5);
      $("wi-lon").value = e.lngLat.lng.toFixed(5);
      setPlacing(false);
      runWhatIf();
      return;
    }
    const p = featureAt(e.point, ["provisions"]);
    if (p) {
      // The rendered feature's properties are flattened; use the source feature.
      const f = state.provisions.features.find((x) => x.properties.id === p.properties.id);
      if (f) showPopup(f);
      return;
    }
    const run = featureAt(e.point, ["all-runs-line"]);
    if (run) { showRunPopup(run, e.lngLat); return; }
    const a = featureAt(e.point, ["areas-fill"]);
    if (a) {
      const f = state.areas.features.find((x) => x.properties.area_id === a.properties.area_id);
      if (f) showAreaPopup(f, e.lngLat);
    } else closePopup();
  });
  map.on("mousemove", (e) => {
    const p = featureAt(e.point, ["provisions"]);
    const pid = p ? p.properties.id : null;
    if (pid !== state.hoverProv) {
      if (state.hoverProv !== null) map.setFeatureState({ source: "provisions", id: state.hoverProv }, { hover: false });
      state.hoverProv = pid;
      if (pid !== null) map.setFeatureState({ source: "provisions", id: pid }, { hover: true });
    }
    const a = p ? null : featureAt(e.point, ["areas-fill"]);
    const aid = a ? a.properties.area_id : null;
    if (aid !== state.hoverArea) {
      if (state.hoverArea !== null) map.setFeatureState({ source: "areas", id: state.hoverArea }, { hover: false });
      state.hoverArea = aid;
      if (aid !== null) map.setFeatureState({ source: "areas", id: aid }, { hover: true });
      document.querySelectorAll("#area-table tr.hover").forEach((r) => r.classList.remove("hover"));
      if (aid !== null) { const row = document.querySelector("#area-table tr[data-area=\"" + CSS.escape(aid) + "\"]"); if (row) row.classList.add("hover"); }
    }
    map.getCanvas().style.cursor = state.placing ? "crosshair" : pid !== null ? "pointer" : "";
    $("map").title = p ? p.properties.name : a ? a.properties.area_name : "";
  });
  map.on("mouseout", () => {
    if (state.hoverArea !== null) map.setFeatureState({ source: "areas", id: state.hoverArea }, { hover: false });
    state.hoverArea = null;
  });
  // Keyboard (beside MapLibre's arrows, +/-): Enter opens the provision nearest the centre,
  // Escape closes the popup.
  map.getCanvasContainer().addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      const c = map.project(map.getCenter());
      let best = null, bestD = Infinity;
      for (const f of visibleProvisions()) {
        const [lon, lat] = f.geometry.coordinates;
        if (!inExtent(lon, lat)) continue;
        const q = map.project([lon, lat]);
        const d = Math.hypot(q.x - c.x, q.y - c.y);
        if (d < bestD) { best = f; bestD = d; }
      }
      if (best) showPopup(best);
      e.preventDefault();
    } else if (e.key === "Escape") closePopup();
  });
}

function findFeature(text) {
  const t = text.trim().toLowerCase();
  if (!t) return null;
  const provs = state.provisions ? state.provisions.features : [];
  const areas = state.areas ? state.areas.features : [];
  const exact = provs.find((f) => f.properties.name.toLowerCase() === t || f.properties.id.toLowerCase() === t);
  if (exact) return { kind: "provision", f: exact };
  const ea = areas.find((f) => f.properties.area_name.toLowerCase() === t);
  if (ea) return { kind: "area", f: ea };
  const pp = provs.find((f) => f.properties.name.toLowerCase().includes(t));
  if (pp) return { kind: "provision", f: pp };
  const pa = areas.find((f) => f.properties.area_name.toLowerCase().includes(t));
  if (pa) return { kind: "area", f: pa };
  return null;
}

function wirePanels() {
  $("zoom-reset").addEventListener("click", () => fitAuthority(true));
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const hit = findFeature($("search").value);
    if (!hit) { notice("No school or area matches “" + $("search").value + "”."); return; }
    if (hit.kind === "provision") showProvision(hit.f);
    else {
      const b = bounds(hit.f.geometry);
      map.fitBounds(b, { padding: 40, duration: reducedMotion() ? 0 : 600, maxZoom: 15 });
      if (state.hoverArea !== null) map.setFeatureState({ source: "areas", id: state.hoverArea }, { hover: false });
      state.hoverArea = hit.f.properties.area_id;
      map.setFeatureState({ source: "areas", id: state.hoverArea }, { hover: true });
      showAreaPopup(hit.f, b.getCenter());
    }
    setStatus("Found " + (hit.kind === "provision" ? hit.f.properties.name : hit.f.properties.area_name));
  });
  $("wi-place").addEventListener("click", () => setPlacing(!state.placing));
  $("whatif-form").addEventListener("submit", (e) => { e.preventDefault(); runWhatIf(); });
  $("site-form").addEventListener("submit", (e) => { e.preventDefault(); runSite(); });
  $("wi-clear").addEventListener("click", () => {
    state.candidate = null;
    $("wi-lat").value = "";
    $("wi-lon").value = "";
    $("whatif-result").textContent = "";
    delete $("whatif-result").dataset.moved;
    refresh();
  });
  for (const id of ["show-provisions", "show-areas", "show-catchment", "metric"]) $(id).addEventListener("change", refresh);
  $("show-demand").addEventListener("change", async () => {
    if ($("show-demand").checked) {
      try { state.demand = await api("api/demand?" + areaQuery()); } catch (e) { setStatus(e.message); }
    }
    refresh();
  });
  for (const id of ["show-journeys", "show-moves", "show-all-runs", "area-filter"])
    $(id).addEventListener("change", async () => {
      try { await loadOfficerLayers(); } catch (e) { setStatus(e.message); }
      refresh();
      renderCharts();
    });
  $("show-runs").addEventListener("change", () => {
    if (state.selected !== null) loadRuns(state.selected);
    else refresh();
  });
  for (const id of ["layer", "need"]) $(id).addEventListener("change", reload);
  $("catchment-min").addEventListener("change", () => { if (state.selected !== null) loadCatchment(state.selected); });
  $("token").value = state.token;
  $("token-apply").addEventListener("click", () => {
    state.token = $("token").value.trim();
    if (state.token) sessionStorage.setItem("nearhome-token", state.token);
    else sessionStorage.removeItem("nearhome-token");
    reload();
  });
  document.querySelectorAll("#area-table th button[data-key]").forEach((b) =>
    b.addEventListener("click", () => {
      if (state.sortKey === b.dataset.key) state.sortDir = -state.sortDir;
      else { state.sortKey = b.dataset.key; state.sortDir = 1; }
      renderAreaTable();
    }));
  document.querySelector("#area-table tbody").addEventListener("click", (e) => {
    const id = e.target && e.target.dataset ? e.target.dataset.area : null;
    if (!id || !state.areas) return;
    const f = state.areas.features.find((x) => x.properties.area_id === id);
    if (f) { $("search").value = f.properties.area_name; $("search-form").requestSubmit(); }
  });
  document.querySelector("#prov-table tbody").addEventListener("click", (e) => {
    const id = e.target && e.target.dataset ? e.target.dataset.prov : null;
    if (!id || !state.provisions) return;
    const f = state.provisions.features.find((x) => x.properties.id === id);
    if (f && showProvision(f)) map.getCanvas().focus();
  });
  $("dl-areas").addEventListener("click", async () => {
    try { await download("api/download/areas.csv", "areas.csv"); } catch (e) { setStatus("Areas CSV: " + e.message); }
  });
  $("dl-pupils").addEventListener("click", async () => {
    try { await download("api/download/pupils.csv", "pupils.csv"); } catch (e) { setStatus("Pupils CSV: " + e.message); }
  });
  $("dl-png").addEventListener("click", async () => {
    const b = await mapImage();
    if (b) saveBlob(b, "nearhome-map.png");
  });
}

// Hooks for the browser test: page coordinates of a provision or a point, and the PNG export.
window.nearhome = {
  state,
  map,
  provisionScreenPoint(id) {
    const f = state.provisions && state.provisions.features.find((x) => x.properties.id === id);
    if (!f) return null;
    return window.nearhome.screenPoint(f.geometry.coordinates[1], f.geometry.coordinates[0]);
  },
  screenPoint(lat, lon) {
    const q = map.project([lon, lat]);
    const r = map.getCanvas().getBoundingClientRect();
    return { x: r.left + q.x, y: r.top + q.y };
  },
  async exportPng() {
    const b = await mapImage();
    return b ? new Uint8Array(await b.arrayBuffer()) : null;
  },
};

wirePanels();
// The first screen's requests, at once: the scenario, the base map's TileJSON, the
// provisions and headline, then the first area layer as soon as its id is known.
prefetch("api/scenario");
prefetch("tiles/base.json", { anonymous: true });
prefetch("api/provisions");
prefetch("api/summary");
early.get(earlyKey("api/scenario"))?.then((s) => {
  const first = s && s.layers && s.layers[0];
  if (first) prefetch("api/areas?layer=" + encodeURIComponent(first.id) + "&need=ALL");
}, () => {});
// Start-up phases, as performance marks (web/tests/first-screen.mjs prints them).
const mark = (name) => { try { performance.mark("nearhome:" + name); } catch (e) { /* no marks */ } };
mark("module");
(async () => {
  await loaded;
  mark("map-loaded");
  addIcons();
  let areas = null;
  let started = false;
  let based = false;
  try {
    await loadScenario();
    started = true;
    // With the authority's extent known, the base tiles are asked for now, ahead of the
    // areas and schools; else the view waits for the areas' bounds.
    if (authorityBounds()) {
      fitAuthority(false);
      based = true; // once only, even if it fails part-way
      await addBasemap();
      mark("basemap-added");
    }
    try { areas = await api("api/areas?" + areaQuery()); } catch (e) { areas = null; }
    if (!based) fitAuthority(false, areas);
    mark("scenario-and-areas");
  } catch (e) { setStatus("Error: " + e.message); }
  if (!based) {
    await addBasemap();
    mark("basemap-added");
  }
  wireMap();
  if (started && areas) {
    try {
      setStatus("Loading…");
      await loadLayers(areas);
      setStatus("Ready");
    } catch (e) { setStatus("Error: " + e.message); }
  } else await reload();
  mark("layers-loaded");
  document.body.dataset.base = state.base;
  map.once("idle", () => { mark("idle"); document.body.dataset.ready = "true"; });
  map.triggerRepaint();
})();
