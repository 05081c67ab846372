/**
 * Screenshots of the running studio for reviewing UI changes:
 *   npx tsx scripts/screenshot.ts [url] [out.png] [--generate "prompt"] [--dark] [--width N]
 */
import { chromium } from "@playwright/test";
import { CHROMIUM_ARGS, findChromium } from "./chromium";

async function main() {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const index = args.indexOf(name);
    if (index === -1) return undefined;
    const value = args[index + 1];
    args.splice(index, 2);
    return value;
  };
  const dark = args.includes("--dark");
  const prompt = flag("--generate");
  const width = Number(flag("--width") ?? 1440);
  const positional = args.filter((arg) => !arg.startsWith("--"));
  const url = positional[0] ?? "http://localhost:3000";
  const out = positional[1] ?? "/tmp/studio.png";

  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme: dark ? "dark" : "light" });
  await page.goto(url);
  if (prompt) {
    await page.getByTestId("prompt").fill(prompt);
    await page.getByTestId("generate").click();
    await page.getByTestId("result-image").first().waitFor({ timeout: 60_000 });
    await page.waitForLoadState("networkidle");
  }
  await page.screenshot({ path: out, fullPage: true });
  await browser.close();
  console.log(out);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
