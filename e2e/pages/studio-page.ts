import { expect, type Locator, type Page } from "@playwright/test";

/** The studio screen, by role and test id. */
export class StudioPage {
  readonly prompt: Locator;
  readonly generateButton: Locator;
  readonly model: Locator;
  readonly imageSize: Locator;
  readonly aspectRatio: Locator;
  readonly resultImages: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.prompt = page.getByTestId("prompt");
    this.generateButton = page.getByTestId("generate");
    this.model = page.getByTestId("model");
    this.imageSize = page.getByTestId("image-size");
    this.aspectRatio = page.getByTestId("aspect-ratio");
    this.resultImages = page.getByTestId("result-image");
    this.error = page.getByTestId("error");
  }

  async goto(baseUrl = "/") {
    await this.page.goto(baseUrl);
    await expect(this.prompt).toBeVisible();
  }

  async generate(prompt: string) {
    await this.prompt.fill(prompt);
    await this.generateButton.click();
  }

  /** Natural size of the first result as the browser decoded it. */
  async firstResultSize() {
    const image = this.resultImages.first();
    await expect(image).toBeVisible();
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    return image.evaluate((img: HTMLImageElement) => ({ width: img.naturalWidth, height: img.naturalHeight }));
  }
}
