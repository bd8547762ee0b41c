// Opens a page in Debian's Chromium (headless, through playwright-core) with Basic credentials,
// runs axe-core on it for WCAG 2.1 A and AA, and prints the violations.
//
// Usage: node axe_chromium.mjs URL USER PASSWORD
// Exit 0 when the page loaded (HTTP 200) and axe found no violation, 1 otherwise.

import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const [url, username, password] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  // The page's Content-Security-Policy forbids every script: axe is injected past it.
  const context = await browser.newContext({ httpCredentials: { username, password }, bypassCSP: true });
  const page = await context.newPage();
  const response = await page.goto(url);
  if (!response || response.status() !== 200) {
    console.error(`the page answered ${response?.status()}`);
    process.exitCode = 1;
  } else {
    await page.addScriptTag({ path: axePath });
    const results = await page.evaluate(() =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
    );
    const violations = results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.html),
    }));
    console.log(JSON.stringify({ title: await page.title(), passes: results.passes.length, violations }));
    if (violations.length > 0) {
      process.exitCode = 1;
    }
  }
} finally {
  await browser.close();
}
