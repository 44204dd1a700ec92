// Opens a page of the wgtf browser test in headless Chromium (Debian's, with WebGPU on
// SwiftShader) and prints its results; exits 1 if any case failed. Used by web/test.sh.
//   node web/test/run.mjs http://127.0.0.1:PORT/web/test/index.html [timeout_s]
import { chromium } from "playwright-core";

const url = process.argv[2];
const timeout = Number(process.argv[3] || 600) * 1000;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader",
    "--enable-features=Vulkan", "--disable-gpu-sandbox", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
  ],
});
let code = 1;
try {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") console.error(`[page ${m.type()}] ${m.text()}`); });
  page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => document.title === "done", null, { timeout });
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  const results = await page.evaluate(() => window.__results);
  const adapter = await page.evaluate(() => window.__results.adapter);
  console.log(`adapter: ${adapter}`);
  let failed = 0;
  for (const r of results) {
    console.log(`${r.ok ? "PASS" : "FAIL"} ${r.name} ${r.msg}`);
    if (!r.ok) failed++;
  }
  console.log(`${results.length - failed} passed, ${failed} failed`);
  code = failed || results.length === 0 ? 1 : 0;
} catch (e) {
  console.error(`browser test: ${e.message}`);
} finally {
  await browser.close();
}
process.exit(code);
