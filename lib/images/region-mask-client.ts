import { regionToPixels, type Region } from "@/lib/studio/region-edit";
import { createSurface } from "./prepare-client";

/**
 * The mask a region edit sends (lib/studio/region-edit.ts): the result's exact pixel size, black,
 * the marked box white. Opaque black and white, not a transparent overlay: the model reads the
 * image's colours, not its alpha. PNG, so the edge stays exact. Needs a browser.
 */
export async function drawRegionMask(region: Region, size: { width: number; height: number }): Promise<Blob> {
  const surface = createSurface(size.width, size.height);
  const { context } = surface;
  context.fillStyle = "#000000";
  context.fillRect(0, 0, size.width, size.height);
  const box = regionToPixels(region, size);
  context.fillStyle = "#ffffff";
  context.fillRect(box.left, box.top, box.width, box.height);
  return surface.encode("image/png");
}
