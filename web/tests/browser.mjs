// Real-browser test of the nearhome map (run by tests/browser.rs against a live server).
// Usage: node web/tests/browser.mjs URL OFFICER_TOKEN SCREENSHOT.png
// Needs Debian's chromium (/usr/bin/chromium, or $NEARHOME_CHROMIUM; WebGL through SwiftShader)
// and playwright-core (web/package-lock.json). Exits non-zero with a message on the first
// failed check. Screenshots: SCREENSHOT.png (the end state) and SCREENSHOT-public.png /
// SCREENSHOT-officer.png beside it. Every request must go to the server under test: any
// other is aborted and fails the test.
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const [url, token, shot] = process.argv.slice(2);
const fail = (msg) => { console.error("browser test failed: " + msg); process.exit(1); };
if (!url || !shot) fail("usage: browser.mjs URL TOKEN SCREENSHOT");
const origin = new URL(url).origin;
const sibling = (tag) => shot.replace(/\.png$/, "") + "-" + tag + ".png";
const started = Date.now();

const browser = await chromium.launch({
  executablePath: process.env.NEARHOME_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless=new", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
         "--ignore-gpu-blocklist", "--enable-webgl", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const external = [];
  // Nothing may leave the server under test (loopback): record and abort anything else.
  await context.route("**/*", (route) => {
    const u = route.request().url();
    if (u.startsWith(origin + "/") || u.startsWith("data:") || u.startsWith("blob:")) return route.continue();
    external.push(u);
    return route.abort();
  });
  page.on("request", (r) => {
    const u = r.url();
    if (!(u.startsWith(origin + "/") || u.startsWith("data:") || u.startsWith("blob:"))) external.push(u);
  });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
  const glyphs = [];
  const tiles = [];
  const downloads = [];
  page.on("response", (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith("/fonts/")) glyphs.push(r.status() + " " + decodeURIComponent(u.pathname));
    if (u.pathname.startsWith("/tiles/")) tiles.push(r.status() + " " + u.pathname);
  });
  page.on("request", (r) => {
    if (new URL(r.url()).pathname.startsWith("/api/download/")) downloads.push({ path: new URL(r.url()).pathname, auth: r.headers()["authorization"] || "" });
  });
  await page.goto(url);

  // The map: WebGL up, the base map and data drawn, the map idle.
  await page.waitForSelector("body[data-ready='true']", { timeout: 60000 });
  const webgl = await page.evaluate(() => !!window.__map && !!window.__map.painter && !!window.__map.painter.context.gl);
  if (!webgl) fail("no WebGL map");
  await page.waitForFunction(() => {
    const c = document.getElementById("map");
    return Number(c.dataset.provisionsDrawn) > 0 && Number(c.dataset.areasDrawn) > 0;
  }, null, { timeout: 30000 });
  const drawn = await page.$eval("#map", (c) => [c.dataset.provisionsDrawn, c.dataset.areasDrawn]);
  const base = await page.$eval("body", (b) => b.dataset.base);
  console.log("drawn: provisions " + drawn[0] + ", areas " + drawn[1] + ", base map from " + base);
  const idle = () => page.evaluate(() => new Promise((res) => {
    const m = window.__map;
    if (m.loaded() && !m.isMoving()) { m.once("idle", res); m.triggerRepaint(); } else m.once("idle", res);
  }));
  await idle();

  // The canvas is not blank: read it in the frame it is drawn and measure its colours.
  const pixels = await page.evaluate(() => new Promise((res) => {
    const m = window.__map;
    m.once("render", () => {
      const src = m.getCanvas();
      const c = document.createElement("canvas");
      c.width = 400; c.height = Math.round((400 * src.height) / src.width);
      const g = c.getContext("2d");
      g.drawImage(src, 0, 0, c.width, c.height);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set();
      let sum = 0, sum2 = 0, n = 0;
      for (let i = 0; i < d.length; i += 4) {
        const v = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
        sum += v; sum2 += v * v; n++;
        colours.add((d[i] >> 3) + "," + (d[i + 1] >> 3) + "," + (d[i + 2] >> 3));
      }
      res({ variance: sum2 / n - (sum / n) * (sum / n), colours: colours.size });
    });
    m.triggerRepaint();
  }));
  if (!(pixels.variance > 50 && pixels.colours > 20)) fail("the map canvas looks blank: " + JSON.stringify(pixels));
  console.log("canvas: luminance variance " + pixels.variance.toFixed(0) + ", " + pixels.colours + " colours");

  // Attribution, both scale bars and the compass are on the map.
  const attrib = await page.textContent(".maplibregl-ctrl-attrib");
  if (!attrib.includes("© OpenStreetMap contributors")) fail("no OSM attribution on the map: " + attrib);
  const scales = await page.$$eval(".maplibregl-ctrl-scale", (els) => els.map((e) => e.textContent));
  if (scales.length !== 2 || !scales.some((s) => /\d\s?(m|km)$/.test(s)) || !scales.some((s) => /\d\s?(ft|mi)$/.test(s)))
    fail("want a metric and an imperial scale bar: " + JSON.stringify(scales));
  if (!(await page.$(".maplibregl-ctrl-compass"))) fail("no compass (north-up reset)");
  console.log("attribution: " + attrib.trim() + "; scales: " + scales.join(", "));

  // The headline says how many journeys are estimated and why.
  const note = await page.textContent("#estimate-note");
  if (!/journeys estimated \(/.test(note)) fail("the headline does not say how many journeys are estimated: " + note);
  console.log("estimates: " + note);

  // Public view: no pupil-level layers; legend classes; unknown capacity marked "–", not "c".
  if (!(await page.$eval("#show-journeys", (e) => e.disabled))) fail("journeys layer enabled for the public");
  const classes = await page.$eval("#legend", (e) => Number(e.dataset.classes));
  if (!(classes >= 2)) fail("choropleth legend has " + classes + " classes");
  const marks = await page.evaluate(() => {
    const out = { unknown: 0, wrong: 0 };
    for (const f of window.nearhome.state.provisions.features) {
      if (f.properties.capacity !== null) continue;
      const b = document.querySelector("button[data-prov=\"" + CSS.escape(f.properties.id) + "\"]");
      if (!b) continue;
      const cells = b.closest("tr").querySelectorAll("td");
      if (cells[2].textContent === "–") out.unknown++; else out.wrong++;
    }
    return out;
  });
  if (marks.wrong) fail("unknown capacities not marked –: " + JSON.stringify(marks));
  console.log("unknown capacity marked –: " + marks.unknown);

  // Click a provision on the map and read its popup.
  const target = await page.evaluate(() => {
    const st = window.nearhome.state, b = st.scenario.bbox;
    const fs = st.provisions.features.filter((f) => {
      const [x, y] = f.geometry.coordinates;
      const alone = st.provisions.features.filter((g) => Math.abs(g.geometry.coordinates[0] - x) < 0.002 && Math.abs(g.geometry.coordinates[1] - y) < 0.002).length === 1;
      return alone && x > b[0] && x < b[2] && y > b[1] && y < b[3] && f.properties.in_area;
    });
    const f = fs[0];
    return f ? { id: f.properties.id, name: f.properties.name, pt: window.nearhome.provisionScreenPoint(f.properties.id) } : null;
  });
  if (!target) fail("no lone provision inside the extent to click");
  await page.mouse.click(target.pt.x, target.pt.y);
  await page.waitForSelector("#popup", { timeout: 10000 });
  const popup = await page.textContent("#popup");
  if (!popup.includes(target.name)) fail("popup does not name the provision " + target.name + ": " + popup);
  console.log("popup: " + target.name);

  // Keyboard: Escape closes the popup; Enter on the map opens the provision nearest the centre.
  await page.focus("#map canvas");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#popup", { state: "detached", timeout: 5000 });
  await page.keyboard.press("Enter");
  await page.waitForSelector("#popup", { timeout: 10000 });
  await page.keyboard.press("Escape");

  // "Show" on a provision outside the road network's extent: a notice, and the view stays.
  const outside = await page.evaluate(() => {
    const st = window.nearhome.state, b = st.scenario.bbox;
    const f = st.provisions.features.find((g) => {
      const [x, y] = g.geometry.coordinates;
      return !(x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]);
    });
    return f ? f.properties.id : null;
  });
  if (outside) {
    const before = await page.evaluate(() => window.__map.getCenter().toArray());
    await page.click("button[data-prov=\"" + outside + "\"]");
    await page.waitForSelector("#notice:not([hidden])", { timeout: 5000 });
    const text = await page.textContent("#notice");
    const after = await page.evaluate(() => window.__map.getCenter().toArray());
    if (!text.includes("outside the road network extent") || Math.abs(before[0] - after[0]) > 1e-9) fail("Show outside the extent: " + text);
    console.log("outside the extent: " + outside + " (view kept)");
  }

  // "Show" on one inside: the map flies there, labels drawn from the committed glyphs.
  await page.click("button[data-prov=\"" + target.id + "\"]");
  await page.waitForSelector("#popup", { timeout: 10000 });
  await idle();
  if (!glyphs.length || glyphs.some((g) => !g.startsWith("200 "))) fail("label glyphs: " + JSON.stringify(glyphs));
  console.log("glyphs: " + glyphs.join(", "));

  // Search: an area by name flies there and opens its popup.
  const areaName = await page.evaluate(() => window.nearhome.state.areas.features[0].properties.area_name);
  await page.fill("#search", areaName);
  await page.press("#search", "Enter");
  await page.waitForSelector("#area-popup", { timeout: 10000 });
  console.log("search: " + areaName);
  await page.click("#zoom-reset");
  await idle();
  await page.screenshot({ path: sibling("public"), fullPage: false });

  // Officer token: pupil-level layers become available.
  if (token) {
    await page.fill("#token", token);
    await page.click("#token-apply");
    await page.waitForFunction(() => !document.getElementById("show-journeys").disabled, null, { timeout: 15000 });
    console.log("officer role: " + (await page.textContent("#role")));
    const total = await page.evaluate(async (t) => {
      const r = await fetch("api/journeys?limit=1", { headers: { Authorization: "Bearer " + t } });
      return (await r.json()).total;
    }, token);
    if (!(total > 0)) fail("no journeys for the officer: " + total);
    await page.check("#show-journeys");
    await page.waitForFunction((n) => Number(document.getElementById("map").dataset.journeysDrawn) === n, total, { timeout: 30000 });
    console.log("journeys drawn: " + total);
    const estimated = await page.$eval("#map", (c) => Number(c.dataset.estimatedDrawn));
    if (!(estimated > 0 && estimated < total)) fail("estimated journeys drawn dashed: " + estimated + " of " + total);
    console.log("estimated journeys drawn dashed: " + estimated);
    await page.waitForSelector("#chart-journeys svg", { timeout: 10000 });
    await page.locator("#chart-journeys").screenshot({ path: sibling("chart-journeys") });
    // City scale: past one page of journeys the map draws them from the officer vector
    // tiles (token in a header). Force it here and check the tiles come and draw.
    await page.evaluate(() => { window.nearhome.state.tilesOver = 0; });
    await page.uncheck("#show-journeys");
    await page.check("#show-journeys");
    await page.waitForFunction(() => document.getElementById("map").dataset.journeysSource === "tiles", null, { timeout: 15000 });
    await idle();
    const fromTiles = await page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ["journeys-routed", "journeys-estimated"] }).length);
    const officerTiles = tiles.filter((t) => t.includes("/tiles/officer/"));
    if (!(fromTiles > 0) || !officerTiles.length || officerTiles.some((t) => !/^20[04] /.test(t))) fail("officer tiles: " + fromTiles + " features drawn, " + JSON.stringify(officerTiles.slice(0, 5)));
    console.log("journeys from officer tiles: " + fromTiles + " features drawn from " + officerTiles.length + " tiles");
    await page.evaluate(() => { window.nearhome.state.tilesOver = 5000; });
    await page.uncheck("#show-journeys");
    await page.check("#show-journeys");
    await page.waitForFunction(() => document.getElementById("map").dataset.journeysSource === "geojson", null, { timeout: 15000 });
    // Moves, with arrows.
    await page.check("#show-moves");
    await page.waitForFunction(() => Number(document.getElementById("map").dataset.movesDrawn) > 0, null, { timeout: 30000 });
    console.log("moves drawn: " + (await page.$eval("#map", (c) => c.dataset.movesDrawn)));
    await idle();
    await page.screenshot({ path: sibling("officer"), fullPage: false });
    // Shared runs: tick the layer, select a school with runs, see its lines and run list.
    const school = await page.evaluate(async (t) => {
      const r = await fetch("api/transport", { headers: { Authorization: "Bearer " + t } });
      const s = await r.json();
      const withRuns = s.schools.find((x) => x.plan.runs > 0);
      return withRuns ? { id: withRuns.id, runs: withRuns.plan.runs } : null;
    }, token);
    if (!school) fail("no school with shared runs");
    await page.uncheck("#show-journeys");
    await page.check("#show-runs");
    await page.click("button[data-prov=\"" + school.id + "\"]");
    await page.waitForFunction((n) => Number(document.getElementById("map").dataset.runsDrawn) === n, school.runs, { timeout: 30000 });
    await page.waitForSelector("#popup details.runs", { timeout: 10000 });
    console.log("shared runs drawn for " + school.id + ": " + school.runs);
    // Every school's runs, from the runs vector tiles (token in a header).
    await page.check("#show-all-runs");
    await page.waitForFunction(() => document.getElementById("map").dataset.runTiles === "shown", null, { timeout: 60000 });
    await idle();
    const runTiles = tiles.filter((t) => t.includes("/tiles/runs/"));
    const runFeatures = await page.evaluate(() => window.__map.queryRenderedFeatures({ layers: ["all-runs-line"] }).length);
    if (!runTiles.length || runTiles.some((t) => !/^20[04] /.test(t)) || !(runFeatures > 0))
      fail("runs tiles: " + runFeatures + " features drawn, " + JSON.stringify(runTiles.slice(0, 5)));
    console.log("every school's runs from runs tiles: " + runFeatures + " features drawn from " + runTiles.length + " tiles");
    await page.uncheck("#show-all-runs");

    // Areas CSV sends the token (a fetch with the header, saved as a blob).
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#dl-areas")]);
    const req = downloads.find((d) => d.path === "/api/download/areas.csv");
    if (!req || req.auth !== "Bearer " + token) fail("Areas CSV sent without the officer token");
    console.log("areas CSV: " + dl.suggestedFilename() + " with the officer token");
  }

  // Planning (officer): best sites for 12 ASD places, up to 2 bases; sites labelled; fan chart.
  if (token) {
    await page.selectOption("#site-need", "ASD");
    await page.fill("#site-k", "2");
    await page.click("#site-run");
    await page.waitForSelector("#site-result[data-k]", { timeout: 60000 });
    const siteText = await page.textContent("#site-result");
    if (!siteText.includes("Payback")) fail("planning panel shows no result: " + siteText);
    const clipped = await page.$eval("#site-result", (e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "auto");
    if (clipped) fail("planning table clipped");
    const labels = await page.evaluate(() => window.nearhome.state.sites.length);
    if (!(labels > 0)) fail("no chosen sites on the map");
    await page.waitForSelector("#chart-fan svg", { timeout: 5000 });
    await page.keyboard.press("Escape");
    await page.click("#zoom-reset");
    await idle();
    await page.screenshot({ path: sibling("planning"), fullPage: false });
    console.log("planning: " + siteText.replace(/\s+/g, " ").slice(0, 160));
  }

  // What-if, typed: five-decimal coordinates pass the form's validation and Compute runs.
  await page.keyboard.press("Escape");
  await page.selectOption("#wi-needs", ["ASD"]);
  await page.fill("#wi-age-min", "4");
  await page.fill("#wi-age-max", "18");
  await page.fill("#wi-places", "20");
  const centre = await page.evaluate(() => window.__map.getCenter().toArray());
  await page.fill("#wi-lat", centre[1].toFixed(5));
  await page.fill("#wi-lon", centre[0].toFixed(5));
  if (!(await page.$eval("#whatif-form", (f) => f.checkValidity()))) fail("the what-if form refuses 5-decimal coordinates");
  await page.click("#wi-run");
  await page.waitForSelector("#whatif-result[data-moved]", { timeout: 60000 });
  const typed = await page.textContent("#whatif-result");
  // Then by clicking the map: the old result is cleared, a new one comes.
  await page.click("#wi-place");
  const box = await (await page.$("#map canvas")).boundingBox();
  await page.mouse.click(box.x + box.width / 2 + 40, box.y + box.height / 2 + 30);
  await page.waitForSelector("#whatif-result[data-moved]", { timeout: 60000 });
  const after = await page.textContent("#whatif-result");
  if (!after.includes("Pupils brought back") || !typed.includes("Pupils brought back")) fail("what-if panel did not change: " + after);
  const lat = await page.inputValue("#wi-lat");
  if (!(await page.$eval("#whatif-form", (f) => f.checkValidity()))) fail("the what-if form refuses the placed point " + lat);
  console.log("what-if: " + after.replace(/\s+/g, " ").slice(0, 200));

  // The PNG export has the map, a title band and the legend beside it.
  const png = await page.evaluate(async () => Array.from(await window.nearhome.exportPng()));
  const buf = Buffer.from(png);
  const pngW = buf.readUInt32BE(16), pngH = buf.readUInt32BE(20);
  const canvasW = await page.evaluate(() => window.__map.getCanvas().width);
  if (!(buf.length > 10000 && pngW > canvasW)) fail("PNG export " + buf.length + " bytes, " + pngW + "×" + pngH);
  writeFileSync(sibling("export"), buf);
  console.log("png export: " + pngW + "×" + pngH);

  await page.locator(".charts").screenshot({ path: sibling("charts") });
  await idle();
  await page.screenshot({ path: shot, fullPage: false });
  if (errors.length) fail("page errors: " + errors.join("; "));
  if (external.length) fail("requests left the server (offline map required): " + external.join(", "));
  console.log("tiles: " + (tiles.length ? tiles.length + " requests, " + tiles.filter((t) => !t.startsWith("200") && !t.startsWith("204")).length + " not 200/204" : "none (GeoJSON base map)"));
  console.log("ok: screenshot " + shot + " in " + ((Date.now() - started) / 1000).toFixed(1) + " s");
} finally {
  await browser.close();
}
