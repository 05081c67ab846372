import { expect, type Locator, type Page } from "@playwright/test";

/** The studio screen, by role and test id. */
export class StudioPage {
  readonly prompt: Locator;
  readonly generateButton: Locator;
  readonly cancelButton: Locator;
  readonly model: Locator;
  readonly aspectRatio: Locator;
  readonly resultImages: Locator;
  readonly turnView: Locator;
  readonly turnError: Locator;
  readonly timelineTurns: Locator;

  constructor(readonly page: Page) {
    this.prompt = page.getByTestId("prompt");
    this.generateButton = page.getByTestId("generate");
    this.cancelButton = page.getByTestId("cancel");
    this.model = page.getByTestId("model");
    this.aspectRatio = page.getByTestId("aspect-ratio");
    this.resultImages = page.getByTestId("result-image");
    this.turnView = page.getByTestId("turn-view");
    this.turnError = page.getByTestId("turn-error");
    this.timelineTurns = page.getByTestId("timeline-turn");
  }

  size(value: "512" | "1K" | "2K" | "4K"): Locator {
    return this.page.getByTestId(`size-${value}`);
  }

  async goto(path = "/") {
    await this.page.goto(path);
    await expect(this.prompt).toBeVisible();
    // Keys pressed before hydration are replayed by React before Radix's effects run (focus would
    // land on a menu instead of its first item): act only once the page is interactive.
    await expect(this.page.getByTestId("studio")).toHaveAttribute("data-hydrated", "true");
  }

  /** Types the prompt and starts the generation; resolves once the new turn is on screen. */
  async generate(prompt: string) {
    await this.prompt.fill(prompt);
    await this.generateButton.click();
    await expect(this.turnView).toBeVisible();
    await expect(this.page.getByTestId("turn-prompt")).toHaveText(prompt);
  }

  async waitForStatus(status: "succeeded" | "failed" | "cancelled" | "interrupted" | "running" | "queued", timeout = 30_000) {
    await expect(this.turnView).toHaveAttribute("data-status", status, { timeout });
  }

  /** Opens the comparison of the shown result with another version, picked from "Compare with…". */
  async compareWith(label: string) {
    await this.page.getByTestId("compare-with").click();
    await this.page.getByRole("menu", { name: "Compare with" }).getByRole("menuitem", { name: label, exact: true }).click();
    await expect(this.page.getByTestId("compare-view")).toBeVisible();
  }

  /** Natural size of the shown result as the browser decoded it. */
  async resultSize() {
    const image = this.resultImages.first();
    await expect(image).toBeVisible();
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    return image.evaluate((img: HTMLImageElement) => ({ width: img.naturalWidth, height: img.naturalHeight }));
  }
}
