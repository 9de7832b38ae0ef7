// Time the map's first screen in headless Chromium (WebGL through SwiftShader, as the
// browser test) and list what the page fetched for it.
// Usage: node web/tests/first-screen.mjs URL [RUNS]
// Per run (a fresh browser context, so nothing is cached), from navigation to:
//   ready  - the page's data are in (body[data-ready="true"]);
//   drawn  - provisions and areas are drawn and the map is idle (every visible tile drawn).
// Then, in the last run, a pan: the mouse drags the map 600 px east and back in 60 steps
// of 16 ms, and the page's frame intervals (requestAnimationFrame) are timed until the
// map is idle again (PAN_ZOOM=Z: at zoom Z, same centre). Last, the requests of the last
// run: count, bytes, and the largest responses. Prints figures only; it checks nothing
// (the browser test does).
import { chromium } from "playwright-core";

const [url, runsArg] = process.argv.slice(2);
if (!url) { console.error("usage: first-screen.mjs URL [RUNS]"); process.exit(2); }
const runs = Math.max(1, Number(runsArg) || 3);

const browser = await chromium.launch({
  executablePath: process.env.NEARHOME_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless=new", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
         "--ignore-gpu-blocklist", "--enable-webgl", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const times = [];
let responses = [];
let t0 = Date.now();
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    responses = [];
    page.on("response", async (r) => {
      const u = new URL(r.url());
      let bytes = 0;
      try { bytes = (await r.body()).length; } catch (e) { bytes = 0; }
      responses.push({ path: u.pathname + u.search, status: r.status(), bytes, at: Date.now() - t0 });
    });
    t0 = Date.now();
    await page.goto(url);
    await page.waitForSelector("body[data-ready='true']", { timeout: 120000 });
    const ready = Date.now() - t0;
    await page.waitForFunction(() => {
      const c = document.getElementById("map");
      return Number(c.dataset.provisionsDrawn) > 0 && Number(c.dataset.areasDrawn) > 0;
    }, null, { timeout: 120000 });
    await page.evaluate(() => new Promise((res) => {
      const m = window.__map;
      if (m.loaded() && m.areTilesLoaded() && !m.isMoving()) res(); else m.once("idle", res);
    }));
    const drawn = Date.now() - t0;
    const marks = await page.evaluate(() => performance.getEntriesByType("mark")
      .filter((m) => m.name.startsWith("nearhome:")).map((m) => m.name.slice(9) + " " + (m.startTime / 1000).toFixed(2) + " s"));
    if (marks.length) console.log("  phases: " + marks.join(", "));
    times.push({ ready, drawn });
    console.log(`run ${i + 1}: ready ${(ready / 1000).toFixed(2)} s, first screen drawn ${(drawn / 1000).toFixed(2)} s`);
    if (i === runs - 1) await pan(page);
    await context.close();
  }
} finally {
  await browser.close();
}
// Drag the map and time the page's frames until it is idle again.
async function pan(page) {
  // PAN_ZOOM=Z: zoom there first (same centre) and wait for the map to be idle.
  if (process.env.PAN_ZOOM) await page.evaluate((z) => new Promise((res) => {
    window.__map.jumpTo({ zoom: Number(z) });
    window.__map.once("idle", res);
  }), process.env.PAN_ZOOM);
  const before = responses.length;
  const box = await page.locator("#map canvas").boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__frames.length < 100000) window.__raf = requestAnimationFrame(tick); };
    window.__raf = requestAnimationFrame(tick);
  });
  const t = Date.now();
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let s = 1; s <= 60; s++) {
    const dx = s <= 30 ? (s / 30) * 600 : ((60 - s) / 30) * 600;
    await page.mouse.move(cx + dx, cy + dx / 6);
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
  const dragged = Date.now() - t;
  await page.evaluate(() => new Promise((res) => {
    const m = window.__map;
    if (m.loaded() && m.areTilesLoaded() && !m.isMoving()) res(); else m.once("idle", res);
  }));
  const settled = Date.now() - t;
  const frames = await page.evaluate(() => { cancelAnimationFrame(window.__raf); return window.__frames; });
  const s = [...frames].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))] || 0;
  const fetched = responses.slice(before);
  const biggest = fetched.reduce((n, r) => Math.max(n, r.bytes), 0);
  console.log(`pan: dragged in ${(dragged / 1000).toFixed(2)} s, idle after ${(settled / 1000).toFixed(2)} s; ` +
    `${frames.length} frames, median ${q(0.5).toFixed(0)} ms, 95th percentile ${q(0.95).toFixed(0)} ms, ` +
    `longest ${(s[s.length - 1] || 0).toFixed(0)} ms; ${fetched.length} responses, largest ${(biggest / 1e3).toFixed(1)} kB`);
}

const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log(`median of ${runs}: ready ${(med(times.map((t) => t.ready)) / 1000).toFixed(2)} s, ` +
  `drawn ${(med(times.map((t) => t.drawn)) / 1000).toFixed(2)} s`);
const total = responses.reduce((n, r) => n + r.bytes, 0);
console.log(`last run: ${responses.length} responses, ${(total / 1e6).toFixed(2)} MB`);
for (const r of [...responses].sort((a, b) => b.bytes - a.bytes).slice(0, 8))
  console.log(`  ${(r.bytes / 1e3).toFixed(1).padStart(9)} kB  ${r.status}  ${r.path}`);
if (process.env.TIMELINE) for (const r of responses)
  console.log(`  ${(r.at / 1000).toFixed(2).padStart(6)} s  ${(r.bytes / 1e3).toFixed(1).padStart(9)} kB  ${r.path}`);
