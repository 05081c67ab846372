import { expect, type Locator, type Page } from "@playwright/test";

/** The region edit dialog, by role and test id. */
export class RegionEditPage {
  readonly dialog: Locator;
  readonly surface: Locator;
  readonly box: Locator;
  readonly summary: Locator;
  readonly instruction: Locator;
  readonly apply: Locator;
  readonly regionError: Locator;
  readonly instructionError: Locator;

  constructor(readonly page: Page) {
    this.dialog = page.getByRole("dialog", { name: "Edit a region" });
    this.surface = this.dialog.getByRole("application", { name: /^Area to change on / });
    this.box = this.dialog.getByTestId("region-box");
    this.summary = this.dialog.getByTestId("region-summary");
    this.instruction = this.dialog.getByLabel("What should the marked area become?");
    this.apply = this.dialog.getByRole("button", { name: "Apply edit" });
    this.regionError = this.dialog.getByTestId("region-error");
    this.instructionError = this.dialog.getByTestId("instruction-error");
  }

  field(name: "X (% from left)" | "Y (% from top)" | "Width (%)" | "Height (%)"): Locator {
    return this.dialog.getByLabel(name);
  }

  async open() {
    await this.page.getByTestId("edit-region").click();
    await expect(this.dialog).toBeVisible();
    // The image must be laid out before a drag can be aimed at it.
    await expect.poll(async () => (await this.surface.boundingBox())?.width ?? 0).toBeGreaterThan(100);
  }

  /** Drags from one point to another, each in percent of the image as shown. */
  async drag(from: { x: number; y: number }, to: { x: number; y: number }) {
    const frame = await this.surface.boundingBox();
    if (!frame) throw new Error("the marking surface is not on screen");
    const at = (point: { x: number; y: number }) => [frame.x + (frame.width * point.x) / 100, frame.y + (frame.height * point.y) / 100] as const;
    await this.page.mouse.move(...at(from));
    await this.page.mouse.down();
    await this.page.mouse.move(...at(to), { steps: 8 });
    await this.page.mouse.up();
  }
}
