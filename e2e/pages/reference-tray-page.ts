import { expect, type Locator, type Page } from "@playwright/test";

export interface TrayFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** The reference tray, by test id. */
export class ReferenceTrayPage {
  readonly root: Locator;
  readonly dropzone: Locator;
  readonly fileInput: Locator;
  readonly items: Locator;
  readonly errors: Locator;
  readonly count: Locator;
  readonly requestSize: Locator;
  readonly clearButton: Locator;
  readonly undoClearButton: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByTestId("reference-tray");
    this.dropzone = this.root.getByTestId("reference-dropzone");
    this.fileInput = this.root.getByTestId("reference-file-input");
    this.items = this.root.getByTestId("reference-item");
    this.errors = this.root.getByTestId("reference-error");
    this.count = this.root.getByTestId("reference-count");
    this.requestSize = this.root.getByTestId("reference-request-size");
    this.clearButton = this.root.getByTestId("reference-clear");
    this.undoClearButton = this.root.getByTestId("reference-undo-clear");
  }

  async goto(path = "/") {
    await this.page.goto(path);
    // Files set or pasted before hydration would reach no handler.
    await expect(this.root).toHaveAttribute("data-hydrated", "true");
  }

  item(name: string): Locator {
    return this.root.locator(`[data-testid="reference-item"][data-name=${JSON.stringify(name)}]`);
  }

  async add(...files: TrayFile[]) {
    await this.fileInput.setInputFiles(files);
  }

  names(): Promise<string[]> {
    return this.items.evaluateAll((tiles) => tiles.map((tile) => tile.getAttribute("data-name") ?? ""));
  }

  /** Waits until the tray holds exactly these tiles, in this order, all uploaded. */
  async expectReady(names: string[]) {
    await expect(this.items).toHaveCount(names.length);
    await expect(this.root.locator('[data-testid="reference-item"]:not([data-status="ready"])')).toHaveCount(0);
    await expect.poll(() => this.names()).toEqual(names);
  }

  /** The model's limit for a role, read from "Objects 3/10 · Characters 1/4 · 5/14 images". */
  async limitOf(label: "Objects" | "Characters" | "images"): Promise<number | null> {
    const text = (await this.count.textContent()) ?? "";
    const match = label === "images" ? /(\d+)\/(\d+) images/.exec(text) : new RegExp(`${label} (\\d+)(?:/(\\d+))?`).exec(text);
    return match?.[2] ? Number(match[2]) : null;
  }
}
