// Real-browser test of the nearhome map (run by tests/browser.rs against a live server).
// Usage: node web/tests/browser.mjs URL OFFICER_TOKEN SCREENSHOT.png
// Needs Debian's chromium (/usr/bin/chromium, or $NEARHOME_CHROMIUM) and playwright-core
// (web/package-lock.json). Exits non-zero with a message on the first failed check.
import { chromium } from "playwright-core";

const [url, token, shot] = process.argv.slice(2);
const fail = (msg) => { console.error("browser test failed: " + msg); process.exit(1); };
if (!url || !shot) fail("usage: browser.mjs URL TOKEN SCREENSHOT");

const browser = await chromium.launch({
  executablePath: process.env.NEARHOME_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  // Provisions and areas drawn on the map.
  await page.waitForSelector("body[data-ready='true']", { timeout: 30000 });
  await page.waitForFunction(() => {
    const c = document.getElementById("map");
    return Number(c.dataset.provisionsDrawn) > 0 && Number(c.dataset.areasDrawn) > 0;
  }, null, { timeout: 30000 });
  const drawn = await page.$eval("#map", (c) => [c.dataset.provisionsDrawn, c.dataset.areasDrawn]);
  console.log("drawn: provisions " + drawn[0] + ", areas " + drawn[1]);

  // The headline says how many journeys are estimated and why.
  const note = await page.textContent("#estimate-note");
  if (!/journeys estimated \(/.test(note)) fail("the headline does not say how many journeys are estimated: " + note);
  console.log("estimates: " + note);

  // Public view: no pupil-level layers.
  if (!(await page.$eval("#show-journeys", (e) => e.disabled))) fail("journeys layer enabled for the public");

  // Click a provision (the sortable table's first entry) and check its popup.
  const firstProv = await page.$("button[data-prov]");
  if (!firstProv) fail("no provision in the table");
  const provName = await firstProv.getAttribute("data-prov");
  await firstProv.click();
  await page.waitForSelector("#popup:not([hidden])", { timeout: 10000 });
  const popup = await page.$eval("#popup", (e) => e.textContent);
  if (!popup.includes(provName)) fail("popup does not name the provision " + provName + ": " + popup);
  console.log("popup: " + provName);

  // Keyboard: Escape closes the popup; Enter on the map selects the nearest provision.
  await page.keyboard.press("Escape");
  await page.focus("#map");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#popup:not([hidden])", { timeout: 10000 });

  // Officer token: pupil-level layers become available.
  if (token) {
    await page.fill("#token", token);
    await page.click("#token-apply");
    await page.waitForFunction(() => !document.getElementById("show-journeys").disabled, null, { timeout: 15000 });
    console.log("officer role: " + (await page.textContent("#role")));
    // Journeys: the map fetches every page of /api/journeys and draws them all.
    const total = await page.evaluate(async (t) => {
      const r = await fetch("api/journeys?limit=1", { headers: { Authorization: "Bearer " + t } });
      return (await r.json()).total;
    }, token);
    if (!(total > 0)) fail("no journeys for the officer: " + total);
    await page.check("#show-journeys");
    await page.waitForFunction((n) => Number(document.getElementById("map").dataset.journeysDrawn) === n, total, { timeout: 30000 });
    console.log("journeys drawn: " + total);
    // Estimated journeys (placements outside the road extract) are among them, dashed.
    const estimated = await page.$eval("#map", (c) => Number(c.dataset.estimatedDrawn));
    if (!(estimated > 0 && estimated < total)) fail("estimated journeys drawn dashed: " + estimated + " of " + total);
    console.log("estimated journeys drawn dashed: " + estimated);
    // Shared runs: tick the layer, select a school with runs, see its lines and run list.
    const school = await page.evaluate(async (t) => {
      const r = await fetch("api/transport", { headers: { Authorization: "Bearer " + t } });
      const s = await r.json();
      const withRuns = s.schools.find((x) => x.plan.runs > 0);
      return withRuns ? { id: withRuns.id, runs: withRuns.plan.runs } : null;
    }, token);
    if (!school) fail("no school with shared runs");
    await page.check("#show-runs");
    await page.click("button[data-prov=\"" + school.id + "\"]");
    await page.waitForFunction((n) => Number(document.getElementById("map").dataset.runsDrawn) === n, school.runs, { timeout: 30000 });
    await page.waitForSelector("#popup details.runs", { timeout: 10000 });
    console.log("shared runs drawn for " + school.id + ": " + school.runs);
  }

  // Planning (officer): best sites for 12 ASD places, up to 2 bases.
  if (token) {
    await page.selectOption("#site-need", "ASD");
    await page.fill("#site-k", "2");
    await page.click("#site-run");
    await page.waitForSelector("#site-result[data-k]", { timeout: 60000 });
    const siteText = await page.textContent("#site-result");
    if (!siteText.includes("Payback")) fail("planning panel shows no result: " + siteText);
    console.log("planning: " + siteText.replace(/\s+/g, " ").slice(0, 160));
  }

  // What-if: place a base by clicking the map and check the panel changes.
  await page.keyboard.press("Escape");
  await page.selectOption("#wi-needs", ["ASD"]);
  await page.fill("#wi-age-min", "4");
  await page.fill("#wi-age-max", "18");
  await page.fill("#wi-places", "20");
  const before = await page.textContent("#whatif-result");
  await page.click("#wi-place");
  const box = await (await page.$("#map")).boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector("#whatif-result[data-moved]", { timeout: 60000 });
  const after = await page.textContent("#whatif-result");
  if (after === before || !after.includes("Pupils brought back")) fail("what-if panel did not change: " + after);
  console.log("what-if: " + after.replace(/\s+/g, " ").slice(0, 200));

  await page.screenshot({ path: shot, fullPage: false });
  if (errors.length) fail("page errors: " + errors.join("; "));
  if (external.length) fail("requests left the server (offline map required): " + external.join(", "));
  console.log("ok: screenshot " + shot);
} finally {
  await browser.close();
}
