/**
 * Diagnostics: opens a page of a running studio in a browser whose time zone and locale differ
 * from the server's, and prints the console's errors and warnings (a hydration mismatch makes React
 * render the page again on the client, which costs as much as the first render).
 *   npx tsx bench/tools/hydration-check.ts <url> [timeZone] [locale]
 */
import { BENCH_BROWSER_COOKIES } from "../lib/auth";
import { launchBrowser } from "../lib/browser";

async function main() {
  const [url, timezoneId = "Asia/Tokyo", locale = "de-DE"] = process.argv.slice(2);
  if (!url) throw new Error("Usage: hydration-check.ts <url> [timeZone] [locale]");
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ timezoneId, locale });
    await context.addCookies(BENCH_BROWSER_COOKIES);
    const page = await context.newPage();
    const messages: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") messages.push(`${message.type()}: ${message.text().slice(0, 300)}`);
    });
    page.on("pageerror", (error) => messages.push(`pageerror: ${error.message.slice(0, 300)}`));
    await page.goto(url);
    await page.locator("html[data-hydrated=true]").waitFor();
    await page.waitForTimeout(1_000);
    const sample = await page.locator('[data-testid="session-item"]').first().textContent().catch(() => null);
    console.log(`${timezoneId} ${locale}: ${messages.length} console errors/warnings; first session item: ${sample}`);
    for (const message of messages) console.log(`  ${message}`);
  } finally {
    await browser.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
