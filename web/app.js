// nearhome web map: a plain canvas map drawn from the service's own GeoJSON.
// No libraries, no network beyond this server. Colour palettes are colour-blind safe
// (Okabe-Ito for categories, viridis for sequential scales).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const canvas = $("map");
  const ctx = canvas.getContext("2d");

  // Okabe-Ito and viridis.
  const SPARE_COLOURS = [
    { label: "No spare places", colour: "#D55E00" },
    { label: "1–4 spare", colour: "#E69F00" },
    { label: "5 or more spare", colour: "#009E73" },
    { label: "Capacity unknown", colour: "#999999" },
  ];
  const VIRIDIS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];

  const state = {
    token: sessionStorage.getItem("nearhome-token") || "",
    role: "public",
    scenario: null,
    basemap: { major: null, all: null },
    provisions: null,
    areas: null,
    demand: null,
    journeys: null,
    moves: null,
    runs: null,
    catchment: null,
    summary: null,
    selected: null,
    candidate: null,
    sites: [],
    placing: false,
    sortKey: "area_name",
    sortDir: 1,
    view: { lon0: 0, lat0: 0, k: 1, cx: 0, cy: 0 },
    home: null,
  };

  // ---------- HTTP ----------
  async function api(path, opts) {
    const o = Object.assign({ headers: {} }, opts || {});
    if (state.token) o.headers["Authorization"] = "Bearer " + state.token;
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

  // ---------- Projection ----------
  function cosLat() {
    return Math.cos((state.view.lat0 * Math.PI) / 180);
  }
  function project(lon, lat) {
    const v = state.view;
    return [
      v.cx + (lon - v.lon0) * cosLat() * v.k,
      v.cy - (lat - v.lat0) * v.k,
    ];
  }
  function unproject(x, y) {
    const v = state.view;
    return [v.lon0 + (x - v.cx) / (cosLat() * v.k), v.lat0 - (y - v.cy) / v.k];
  }
  function size() {
    const r = canvas.getBoundingClientRect();
    return [r.width, r.height];
  }
  function fit(bbox) {
    const [w, h] = size();
    const [minLon, minLat, maxLon, maxLat] = bbox;
    state.view.lon0 = (minLon + maxLon) / 2;
    state.view.lat0 = (minLat + maxLat) / 2;
    const c = Math.cos((state.view.lat0 * Math.PI) / 180);
    const kx = (w * 0.92) / Math.max(1e-6, (maxLon - minLon) * c);
    const ky = (h * 0.92) / Math.max(1e-6, maxLat - minLat);
    state.view.k = Math.min(kx, ky);
    state.view.cx = w / 2;
    state.view.cy = h / 2;
    state.home = bbox;
  }

  // ---------- Drawing ----------
  function resize() {
    const dpr = window.devicePixelRatio || 1;
    const [w, h] = size();
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (state.home) {
      const lon0 = state.view.lon0, lat0 = state.view.lat0, k = state.view.k;
      state.view.cx = w / 2;
      state.view.cy = h / 2;
      state.view.lon0 = lon0; state.view.lat0 = lat0; state.view.k = k;
    }
    draw();
  }

  function pathRing(ring) {
    ring.forEach((c, i) => {
      const [x, y] = project(c[0], c[1]);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.closePath();
  }
  function pathGeometry(g) {
    if (!g) return;
    ctx.beginPath();
    if (g.type === "Polygon") g.coordinates.forEach(pathRing);
    else if (g.type === "MultiPolygon") g.coordinates.forEach((p) => p.forEach(pathRing));
    else if (g.type === "LineString") {
      g.coordinates.forEach((c, i) => {
        const [x, y] = project(c[0], c[1]);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
    }
  }

  function spareColour(p) {
    if (p.spare_places === null || p.spare_places === undefined) return SPARE_COLOURS[3].colour;
    if (p.spare_places === 0) return SPARE_COLOURS[0].colour;
    if (p.spare_places < 5) return SPARE_COLOURS[1].colour;
    return SPARE_COLOURS[2].colour;
  }
  function radius(p) {
    const places = p.capacity || 4;
    return Math.max(4, Math.min(18, 2.2 * Math.sqrt(places)));
  }

  function metricValues() {
    if (!state.areas) return [];
    const key = $("metric").value;
    return state.areas.features
      .map((f) => f.properties[key])
      .filter((v) => typeof v === "number");
  }
  function classBreaks(values) {
    if (values.length === 0) return null;
    const min = Math.min(...values), max = Math.max(...values);
    return { min, max };
  }
  function areaColour(v, br) {
    if (typeof v !== "number" || !br) return null;
    const t = br.max > br.min ? (v - br.min) / (br.max - br.min) : 0.5;
    return VIRIDIS[Math.min(VIRIDIS.length - 1, Math.floor(t * VIRIDIS.length))];
  }

  function draw() {
    const [w, h] = size();
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#f4f4f0";
    ctx.fillRect(0, 0, w, h);
    const detailed = state.basemap.all && state.view.k > 2500;
    const base = detailed ? state.basemap.all : state.basemap.major;
    if (base) {
      for (const f of base.features) {
        if (f.properties.kind === "boundary") {
          pathGeometry(f.geometry);
          ctx.fillStyle = "#ffffff";
          ctx.fill("evenodd");
        }
      }
    }
    // Areas choropleth.
    let areasDrawn = 0;
    if (state.areas && $("show-areas").checked) {
      const key = $("metric").value;
      const br = classBreaks(metricValues());
      for (const f of state.areas.features) {
        pathGeometry(f.geometry);
        const c = areaColour(f.properties[key], br);
        ctx.globalAlpha = 0.35;
        ctx.fillStyle = c || "#cccccc";
        ctx.fill("evenodd");
        ctx.globalAlpha = 1;
        ctx.strokeStyle = "#555";
        ctx.lineWidth = 0.8;
        ctx.stroke();
        areasDrawn++;
      }
    }
    canvas.dataset.areasDrawn = String(areasDrawn);
    // Roads on top of the choropleth, thin.
    if (base) {
      for (const f of base.features) {
        if (f.properties.kind !== "road") continue;
        pathGeometry(f.geometry);
        ctx.strokeStyle = f.properties.major ? "#8a8a8a" : "#bdbdbd";
        ctx.lineWidth = f.properties.major ? 1.2 : 0.6;
        ctx.stroke();
      }
      for (const f of base.features) {
        if (f.properties.kind !== "boundary") continue;
        pathGeometry(f.geometry);
        ctx.strokeStyle = "#222";
        ctx.lineWidth = 2;
        ctx.stroke();
      }
    }
    // Demand: a circle per area sized by pupils (at the area's bbox centre).
    if (state.demand && $("show-demand").checked) {
      for (const f of state.demand.features) {
        const n = f.properties.pupils;
        const c = centre(f.geometry);
        if (!c) continue;
        const [x, y] = project(c[0], c[1]);
        ctx.beginPath();
        if (typeof n === "number") {
          ctx.arc(x, y, Math.max(3, 2.5 * Math.sqrt(n)), 0, 2 * Math.PI);
          ctx.fillStyle = "rgba(0,114,178,0.35)";
          ctx.fill();
          ctx.strokeStyle = "#0072B2";
          ctx.stroke();
        }
        ctx.fillStyle = "#003a5c";
        ctx.font = "11px sans-serif";
        ctx.textAlign = "center";
        ctx.fillText(typeof n === "number" ? String(n) : "c", x, y + 4);
      }
    }
    if (state.catchment && $("show-catchment").checked) {
      pathGeometry(state.catchment.geometry);
      ctx.fillStyle = "rgba(86,180,233,0.25)";
      ctx.fill();
      ctx.strokeStyle = "#56B4E9";
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    // Journeys: routed ones along the road, estimated ones as dashed straight lines (home to
    // site; their minutes come from the run's calibration, not from a route).
    let journeysDrawn = 0, estimatedDrawn = 0;
    if (state.journeys && $("show-journeys").checked) {
      for (const f of state.journeys.features) {
        const estimated = f.properties.journey_source === "estimated";
        pathGeometry(f.geometry);
        ctx.strokeStyle = f.properties.long_journey ? "#CC79A7" : "rgba(0,0,0,0.35)";
        ctx.lineWidth = f.properties.out_of_area ? 2 : 1;
        ctx.setLineDash(estimated ? [5, 4] : []);
        ctx.stroke();
        ctx.setLineDash([]);
        journeysDrawn++;
        if (estimated) estimatedDrawn++;
      }
    }
    canvas.dataset.journeysDrawn = String(journeysDrawn);
    canvas.dataset.estimatedDrawn = String(estimatedDrawn);
    if (state.moves && $("show-moves").checked) {
      for (const f of state.moves.features) {
        if (!f.geometry) continue;
        pathGeometry(f.geometry);
        ctx.strokeStyle = "#0072B2";
        ctx.setLineDash([6, 4]);
        ctx.lineWidth = 2.5;
        ctx.stroke();
        ctx.setLineDash([]);
      }
    }
    // Shared runs of the selected school: one Okabe-Ito colour per run, stops as dots.
    let runsDrawn = 0;
    if (state.runs && $("show-runs").checked) {
      const colours = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000"];
      const colourOf = {};
      for (const f of state.runs.features) {
        const id = f.properties.run_id;
        if (!(id in colourOf)) colourOf[id] = colours[Object.keys(colourOf).length % colours.length];
        if (!f.geometry) continue;
        if (f.geometry.type === "LineString") {
          pathGeometry(f.geometry);
          ctx.strokeStyle = colourOf[id];
          ctx.lineWidth = 3;
          ctx.stroke();
          runsDrawn++;
        } else {
          const [x, y] = project(f.geometry.coordinates[0], f.geometry.coordinates[1]);
          ctx.beginPath();
          ctx.arc(x, y, 4, 0, 2 * Math.PI);
          ctx.fillStyle = colourOf[id];
          ctx.fill();
          ctx.strokeStyle = "#fff";
          ctx.lineWidth = 1;
          ctx.stroke();
        }
      }
    }
    canvas.dataset.runsDrawn = String(runsDrawn);
    let provDrawn = 0;
    if (state.provisions && $("show-provisions").checked) {
      for (const f of visibleProvisions()) {
        const [x, y] = project(f.geometry.coordinates[0], f.geometry.coordinates[1]);
        ctx.beginPath();
        ctx.arc(x, y, radius(f.properties), 0, 2 * Math.PI);
        ctx.fillStyle = spareColour(f.properties);
        ctx.fill();
        ctx.lineWidth = state.selected === f.properties.id ? 3 : 1;
        ctx.strokeStyle = "#000";
        ctx.stroke();
        provDrawn++;
      }
    }
    canvas.dataset.provisionsDrawn = String(provDrawn);
    for (const site of state.sites) {
      const [x, y] = project(site.lon, site.lat);
      ctx.beginPath();
      ctx.rect(x - 7, y - 7, 14, 14);
      ctx.fillStyle = "#CC79A7";
      ctx.fill();
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
    if (state.candidate) {
      const [x, y] = project(state.candidate.lon, state.candidate.lat);
      ctx.beginPath();
      ctx.moveTo(x, y - 10); ctx.lineTo(x + 9, y + 7); ctx.lineTo(x - 9, y + 7); ctx.closePath();
      ctx.fillStyle = "#F0E442";
      ctx.fill();
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
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

  function visibleProvisions() {
    if (!state.provisions) return [];
    const need = $("need").value;
    return state.provisions.features.filter(
      (f) => need === "ALL" || (f.properties.needs || []).includes(need)
    );
  }

  function drawLegend() {
    const leg = $("legend");
    const parts = [];
    parts.push("<strong>Provisions</strong> (size: places)");
    for (const s of SPARE_COLOURS) parts.push(swatch(s.colour, s.label, true));
    if ($("show-areas").checked && state.areas) {
      const br = classBreaks(metricValues());
      const label = $("metric").selectedOptions[0].textContent;
      parts.push("<strong>Areas: " + esc(label) + "</strong>");
      if (br) {
        VIRIDIS.forEach((c, i) => {
          const lo = br.min + ((br.max - br.min) * i) / VIRIDIS.length;
          const hi = br.min + ((br.max - br.min) * (i + 1)) / VIRIDIS.length;
          parts.push(swatch(c, fmt(lo) + "–" + fmt(hi), false));
        });
      }
      parts.push(swatch("#cccccc", "suppressed / no data", false));
    }
    if ($("show-catchment").checked && state.catchment)
      parts.push(swatch("#56B4E9", "Catchment (" + state.catchment.properties.minutes + " min)", false));
    if ($("show-moves").checked && state.moves) parts.push(swatch("#0072B2", "Bring-back move", false));
    if ($("show-runs").checked && state.runs) parts.push(swatch("#E69F00", "Shared run (one colour each) and its stops", false));
    if ($("show-journeys").checked && state.journeys) {
      parts.push(swatch("#CC79A7", "Journey over the guidance", false));
      parts.push('<div class="item"><span class="dash" aria-hidden="true"></span>Estimated journey (straight line, not routed)</div>');
    }
    if (state.candidate) parts.push(swatch("#F0E442", "What-if base", false));
    if (state.sites.length) parts.push(swatch("#CC79A7", "Chosen sites (planning)", false));
    leg.innerHTML = parts.join("");
  }
  function swatch(colour, label, round) {
    const cls = round ? "sw round" : "sw";
    return '<div class="item"><span class="' + cls + '" data-colour="' + colour + '"></span>' + esc(label) + "</div>";
  }
  // CSP forbids inline styles in markup; colour swatches are painted through the CSSOM.
  const legendObserver = new MutationObserver(() => {
    document.querySelectorAll(".sw[data-colour]").forEach((el) => {
      el.style.background = el.dataset.colour;
    });
  });

  // ---------- Helpers ----------
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
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
    $("headline").innerHTML = items
      .map(([k, v]) => "<div><dt>" + esc(k) + "</dt><dd>" + v + "</dd></div>")
      .join("");
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
    return fmt(j.estimated) + " of " + fmt(s.overall.pupils) + " journeys estimated (" + j.estimated_because + "), " +
      basis + "." + drawn;
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
    tbody.innerHTML = rows
      .map(
        (p) =>
          "<tr><th scope=\"row\">" + esc(p.area_name) + "</th><td>" + fmt(p.pupils) + "</td><td>" +
          fmt(p.out_of_area) + "</td><td>" + fmt(p.out_of_area_pct) + "</td><td>" + fmt(p.median_minutes) +
          "</td><td>" + fmt(p.long_journeys) + "</td><td>" + fmt(p.moves) + "</td><td>" +
          fmt(p.local_spare_places) + "</td><td>" + money(p.gbp_per_year_saved) + "</td></tr>"
      )
      .join("");
    document.querySelectorAll("#area-table th button").forEach((b) => {
      const th = b.parentElement;
      th.setAttribute("aria-sort", b.dataset.key === k ? (d > 0 ? "ascending" : "descending") : "none");
    });
  }

  function renderProvTable() {
    const tbody = document.querySelector("#prov-table tbody");
    tbody.innerHTML = visibleProvisions()
      .map((f) => {
        const p = f.properties;
        return "<tr><th scope=\"row\">" + esc(p.name) + "</th><td>" + esc(p.kind.replace(/_/g, " ")) + "</td><td>" +
          esc((p.needs || []).join(", ")) + "</td><td>" + fmt(p.capacity) + "</td><td>" + fmt(p.spare_places) +
          "</td><td>" + fmt(p.placed) + "</td><td><button type=\"button\" data-prov=\"" + esc(p.id) +
          "\">Show " + esc(p.id) + "</button></td></tr>";
      })
      .join("");
  }

  function showPopup(f) {
    const p = f.properties;
    state.selected = p.id;
    const pop = $("popup");
    pop.innerHTML =
      "<button type=\"button\" class=\"close\" aria-label=\"Close\">×</button>" +
      "<h3>" + esc(p.name) + "</h3>" +
      "<dl>" +
      "<dt>Id</dt><dd>" + esc(p.id) + "</dd>" +
      "<dt>Kind</dt><dd>" + esc(p.kind.replace(/_/g, " ")) + "</dd>" +
      "<dt>Needs</dt><dd>" + esc((p.needs || []).join(", ")) + "</dd>" +
      "<dt>Ages</dt><dd>" + p.age_min + "–" + p.age_max + "</dd>" +
      "<dt>Places</dt><dd>" + fmt(p.capacity) + "</dd>" +
      "<dt>On roll</dt><dd>" + fmt(p.on_roll) + "</dd>" +
      "<dt>Spare</dt><dd>" + fmt(p.spare_places) + "</dd>" +
      "<dt>Scenario pupils placed</dt><dd>" + fmt(p.placed) + "</dd>" +
      "<dt>Could come here</dt><dd>" + fmt(p.moves_in) + "</dd>" +
      "<dt>In the authority</dt><dd>" + (p.in_area ? "yes" : "no") + "</dd>" +
      "</dl>" + sameSite(f);
    const [x, y] = project(f.geometry.coordinates[0], f.geometry.coordinates[1]);
    const [w, h] = size();
    pop.style.left = Math.min(Math.max(8, x + 12), w - 260) + "px";
    pop.style.top = Math.min(Math.max(8, y + 12), h - 220) + "px";
    pop.hidden = false;
    pop.querySelector(".close").addEventListener("click", () => {
      pop.hidden = true;
      canvas.focus();
    });
    pop.querySelectorAll("button[data-prov]").forEach((b) =>
      b.addEventListener("click", () => {
        const g = state.provisions.features.find((x) => x.properties.id === b.dataset.prov);
        if (g) showPopup(g);
      })
    );
    loadCatchment(p.id);
    loadRuns(p.id);
    draw();
  }

  // The selected school's shared runs (officer): lines and stops on the map, one line per
  // run in the popup (vehicle, pupils, minutes, £ a day).
  async function loadRuns(id) {
    state.runs = null;
    if (state.role !== "officer" || !$("show-runs").checked) return;
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
      pop.insertAdjacentHTML("beforeend", lines.length
        ? "<details class=\"runs\"><summary>" + lines.length + " runs, " + money(total) + " a day</summary>" +
          "<table><thead><tr><th>Run</th><th>Vehicle</th><th>Pupils</th><th>Min</th><th>£/day</th></tr></thead><tbody>" +
          rows.join("") + "</tbody></table></details>"
        : "<p>No pupils on council vehicles.</p>");
      setStatus("Shared runs of " + id + ": " + lines.length);
    } catch (e) {
      setStatus("Shared runs: " + e.message);
    }
    draw();
  }

  function sameSite(f) {
    const [x0, y0] = f.geometry.coordinates;
    const others = visibleProvisions().filter(
      (g) => g !== f && g.geometry.coordinates[0] === x0 && g.geometry.coordinates[1] === y0
    );
    if (others.length === 0) return "";
    return "<p>Same site: " + others
      .map((g) => "<button type=\"button\" data-prov=\"" + esc(g.properties.id) + "\">" + esc(g.properties.name) + "</button>")
      .join(" ") + "</p>";
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
    draw();
  }

  // ---------- Loading ----------
  async function loadScenario() {
    state.scenario = await api("api/scenario");
    state.role = state.scenario.role;
    $("scenario-name").textContent = "· " + state.scenario.name;
    $("role").textContent = state.role;
    const officer = state.role === "officer";
    for (const id of ["show-journeys", "show-moves", "show-runs", "dl-pupils", "site-run"]) $(id).disabled = !officer;
    if (!officer) {
      $("show-journeys").checked = false;
      $("show-moves").checked = false;
      $("show-runs").checked = false;
      state.journeys = null;
      state.moves = null;
      state.runs = null;
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
    if (!state.home && state.scenario.bbox) fit(state.scenario.bbox);
  }

  async function loadLayers() {
    const layer = encodeURIComponent($("layer").value || "");
    const need = encodeURIComponent($("need").value || "ALL");
    const q = "layer=" + layer + "&need=" + need;
    const [prov, areas, summary] = await Promise.all([
      api("api/provisions"),
      api("api/areas?" + q),
      api("api/summary"),
    ]);
    state.provisions = prov;
    state.areas = areas;
    state.summary = summary;
    const af = $("area-filter");
    const keep = af.value;
    af.innerHTML = '<option value="">All areas</option>';
    for (const f of areas.features) af.add(new Option(f.properties.area_name, f.properties.area_id));
    af.value = keep;
    if ($("show-demand").checked) state.demand = await api("api/demand?" + q);
    await loadOfficerLayers();
    renderHeadline();
    renderAreaTable();
    renderProvTable();
    draw();
  }

  // The most journeys the API returns in one page.
  const JOURNEY_PAGE = 5000;

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
    const layer = encodeURIComponent($("layer").value || "");
    const need = encodeURIComponent($("need").value || "ALL");
    const area = encodeURIComponent($("area-filter").value || "");
    if ($("show-journeys").checked)
      state.journeys = await allJourneys("layer=" + layer + "&need=" + need + (area ? "&area=" + area : ""));
    if ($("show-moves").checked) state.moves = await api("api/moves");
  }

  async function loadBasemap() {
    state.basemap.major = await api("api/basemap?detail=major");
    draw();
    state.basemap.all = await api("api/basemap?detail=all");
    draw();
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

  // ---------- Planning: best sites ----------
  async function runSite() {
    const out = $("site-result");
    const body = {
      need: $("site-need").value,
      places: parseInt($("site-places").value, 10),
      k: parseInt($("site-k").value, 10),
      objective: $("site-objective").value,
    };
    out.textContent = "Computing…";
    try {
      const r = await api("api/site", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const s = r.site;
      const rows = s.per_k.map((k) =>
        "<tr><td>" + k.k + "</td><td>" + k.sites.map((x) => esc(x.name)).join("; ") + "</td><td>" +
        fmt(k.figures.returned) + "</td><td>" + money(k.extra_gbp_per_year_saved) + "</td><td>" +
        money(k.capital_gbp) + "</td><td>" + (k.payback_years == null ? "–" : fmt(k.payback_years, 1)) + "</td></tr>");
      out.innerHTML = "<p>Out of area now: <strong>" + fmt(s.out_of_area_pupils) + "</strong>; existing spare places alone bring back " +
        fmt(s.baseline.returned) + ".</p>" +
        "<table class=\"wi\"><thead><tr><th scope=\"col\">k</th><th scope=\"col\">Sites</th><th scope=\"col\">Returned</th>" +
        "<th scope=\"col\">Extra £/yr</th><th scope=\"col\">Capital</th><th scope=\"col\">Payback (yr)</th></tr></thead><tbody>" +
        rows.join("") + "</tbody></table>";
      const last = s.per_k[s.per_k.length - 1];
      state.sites = last ? last.sites.map((x) => ({ lat: x.location.lat, lon: x.location.lon, name: x.name })) : [];
      out.dataset.k = String(s.per_k.length);
      draw();
    } catch (e) {
      out.textContent = "Planning refused: " + e.message;
    }
  }

  // ---------- What-if ----------
  async function runWhatIf() {
    const lat = parseFloat($("wi-lat").value), lon = parseFloat($("wi-lon").value);
    const out = $("whatif-result");
    if (!isFinite(lat) || !isFinite(lon)) {
      out.textContent = "Place the base on the map (or type its latitude and longitude) first.";
      return;
    }
    state.candidate = { lat, lon };
    draw();
    const needs = Array.from($("wi-needs").selectedOptions).map((o) => o.value);
    const body = {
      add: [{
        id: "WHATIF-1",
        name: "What-if resource base",
        lat, lon, needs,
        age_min: parseInt($("wi-age-min").value, 10),
        age_max: parseInt($("wi-age-max").value, 10),
        places: parseInt($("wi-places").value, 10),
      }],
    };
    out.textContent = "Computing…";
    try {
      const r = await api("api/whatif", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
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
        (r.role === "public" ? "<p class=\"note\">Public view: small counts suppressed (c). Use an officer token for exact figures.</p>" : "");
      out.dataset.moved = String(w.moved);
    } catch (e) {
      out.textContent = "What-if refused: " + e.message;
    }
  }
  function signed(v, f) {
    if (v === null || v === undefined) return "c";
    return (v > 0 ? "+" : "") + f(v);
  }

  // ---------- Interaction ----------
  function provisionAt(x, y) {
    // The topmost (last drawn) provision wins ties, e.g. a resource base inside its school.
    let best = null, bestD = Infinity;
    for (const f of visibleProvisions()) {
      const [px, py] = project(f.geometry.coordinates[0], f.geometry.coordinates[1]);
      const d = Math.hypot(px - x, py - y);
      if (d < Math.max(10, radius(f.properties) + 3) && d <= bestD) {
        best = f; bestD = d;
      }
    }
    return best;
  }

  let drag = null;
  canvas.addEventListener("mousedown", (e) => {
    drag = { x: e.offsetX, y: e.offsetY, cx: state.view.cx, cy: state.view.cy, moved: false };
  });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const r = canvas.getBoundingClientRect();
    const dx = e.clientX - r.left - drag.x, dy = e.clientY - r.top - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) {
      state.view.cx = drag.cx + dx;
      state.view.cy = drag.cy + dy;
      draw();
    }
  });
  window.addEventListener("mouseup", () => {
    setTimeout(() => { drag = null; }, 0);
  });
  canvas.addEventListener("click", (e) => {
    if (drag && drag.moved) return;
    const x = e.offsetX, y = e.offsetY;
    if (state.placing) {
      const [lon, lat] = unproject(x, y);
      $("wi-lat").value = lat.toFixed(5);
      $("wi-lon").value = lon.toFixed(5);
      setPlacing(false);
      runWhatIf();
      return;
    }
    const f = provisionAt(x, y);
    if (f) showPopup(f);
    else $("popup").hidden = true;
  });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    zoomAt(e.offsetX, e.offsetY, e.deltaY < 0 ? 1.25 : 0.8);
  }, { passive: false });
  canvas.addEventListener("keydown", (e) => {
    const step = 60;
    const [w, h] = size();
    switch (e.key) {
      case "ArrowLeft": state.view.cx += step; break;
      case "ArrowRight": state.view.cx -= step; break;
      case "ArrowUp": state.view.cy += step; break;
      case "ArrowDown": state.view.cy -= step; break;
      case "+": case "=": zoomAt(w / 2, h / 2, 1.25); return;
      case "-": case "_": zoomAt(w / 2, h / 2, 0.8); return;
      case "Enter": {
        let best = null, bestD = Infinity;
        for (const f of visibleProvisions()) {
          const [px, py] = project(f.geometry.coordinates[0], f.geometry.coordinates[1]);
          const d = Math.hypot(px - w / 2, py - h / 2);
          if (d < bestD) { best = f; bestD = d; }
        }
        if (best) showPopup(best);
        return;
      }
      case "Escape": $("popup").hidden = true; return;
      default: return;
    }
    e.preventDefault();
    draw();
  });
  function zoomAt(x, y, factor) {
    const [lon, lat] = unproject(x, y);
    state.view.k *= factor;
    const [nx, ny] = project(lon, lat);
    state.view.cx += x - nx;
    state.view.cy += y - ny;
    draw();
  }
  function setPlacing(on) {
    state.placing = on;
    if (on) $("popup").hidden = true;
    $("wi-place").setAttribute("aria-pressed", on ? "true" : "false");
    canvas.classList.toggle("placing", on);
    setStatus(on ? "Click the map where the new base would be" : "Ready");
  }

  $("zoom-in").addEventListener("click", () => { const [w, h] = size(); zoomAt(w / 2, h / 2, 1.25); });
  $("zoom-out").addEventListener("click", () => { const [w, h] = size(); zoomAt(w / 2, h / 2, 0.8); });
  $("zoom-reset").addEventListener("click", () => { if (state.scenario) fit(state.scenario.bbox); draw(); });
  $("wi-place").addEventListener("click", () => setPlacing(!state.placing));
  $("whatif-form").addEventListener("submit", (e) => { e.preventDefault(); runWhatIf(); });
  $("site-form").addEventListener("submit", (e) => { e.preventDefault(); runSite(); });
  $("wi-clear").addEventListener("click", () => {
    state.candidate = null;
    $("wi-lat").value = "";
    $("wi-lon").value = "";
    $("whatif-result").textContent = "";
    draw();
  });
  for (const id of ["show-provisions", "show-areas", "show-catchment", "metric"])
    $(id).addEventListener("change", draw);
  $("show-demand").addEventListener("change", async () => {
    if ($("show-demand").checked) {
      const q = "layer=" + encodeURIComponent($("layer").value) + "&need=" + encodeURIComponent($("need").value);
      try { state.demand = await api("api/demand?" + q); } catch (e) { setStatus(e.message); }
    }
    draw();
  });
  for (const id of ["show-journeys", "show-moves", "area-filter"])
    $(id).addEventListener("change", async () => {
      try { await loadOfficerLayers(); } catch (e) { setStatus(e.message); }
      draw();
    });
  $("show-runs").addEventListener("change", () => {
    if (state.selected) loadRuns(state.selected);
    else draw();
  });
  for (const id of ["layer", "need"]) $(id).addEventListener("change", reload);
  $("catchment-min").addEventListener("change", () => { if (state.selected) loadCatchment(state.selected); });
  $("token").value = state.token;
  $("token-apply").addEventListener("click", () => {
    state.token = $("token").value.trim();
    if (state.token) sessionStorage.setItem("nearhome-token", state.token);
    else sessionStorage.removeItem("nearhome-token");
    reload();
  });
  document.querySelectorAll("#area-table th button").forEach((b) =>
    b.addEventListener("click", () => {
      if (state.sortKey === b.dataset.key) state.sortDir = -state.sortDir;
      else { state.sortKey = b.dataset.key; state.sortDir = 1; }
      renderAreaTable();
    })
  );
  document.querySelector("#prov-table tbody").addEventListener("click", (e) => {
    const id = e.target && e.target.dataset ? e.target.dataset.prov : null;
    if (!id || !state.provisions) return;
    const f = state.provisions.features.find((x) => x.properties.id === id);
    if (f) {
      const [w, h] = size();
      const [x, y] = project(f.geometry.coordinates[0], f.geometry.coordinates[1]);
      state.view.cx += w / 2 - x;
      state.view.cy += h / 2 - y;
      showPopup(f);
      canvas.focus();
    }
  });
  $("dl-pupils").addEventListener("click", async () => {
    try {
      const r = await fetch("api/download/pupils.csv", { headers: { Authorization: "Bearer " + state.token } });
      if (!r.ok) throw new Error("HTTP " + r.status);
      const blob = await r.blob();
      saveBlob(blob, "pupils.csv");
    } catch (e) {
      setStatus("Pupils CSV: " + e.message);
    }
  });
  $("dl-png").addEventListener("click", () => canvas.toBlob((b) => b && saveBlob(b, "nearhome-map.png")));
  function saveBlob(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // Hooks for the browser test: project a provision to page coordinates.
  window.nearhome = {
    state,
    provisionScreenPoint(id) {
      const f = state.provisions && state.provisions.features.find((x) => x.properties.id === id);
      if (!f) return null;
      const [x, y] = project(f.geometry.coordinates[0], f.geometry.coordinates[1]);
      const r = canvas.getBoundingClientRect();
      return { x: r.left + x, y: r.top + y };
    },
    screenPoint(lat, lon) {
      const [x, y] = project(lon, lat);
      const r = canvas.getBoundingClientRect();
      return { x: r.left + x, y: r.top + y };
    },
  };

  legendObserver.observe($("legend"), { childList: true, subtree: true });
  window.addEventListener("resize", resize);
  (async () => {
    resize();
    await reload();
    resize();
    try { await loadBasemap(); } catch (e) { setStatus("Base map: " + e.message); }
    document.body.dataset.ready = "true";
  })();
})();
