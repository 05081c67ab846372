import sharp from "sharp";

/**
 * How well a region edit kept the rest of the image: of the pixels outside the marked box, the
 * share whose every channel is within `tolerance` of the image before the edit. Used by
 * scripts/measure-region-edits.ts (the README's figure) and the emulator's region test.
 */

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Fidelity {
  /** Outside the box: pixels compared, and how many stayed within the tolerance. */
  outsidePixels: number;
  outsideUnchanged: number;
  /** Inside the box: how many changed beyond the tolerance (an edit that changed nothing is no edit). */
  insidePixels: number;
  insideChanged: number;
  /** The largest channel difference seen outside the box. */
  outsideMaxDifference: number;
}

async function rgb(bytes: Buffer, size?: { width: number; height: number }) {
  const image = sharp(bytes).rotate().removeAlpha();
  const resized = size ? image.resize(size.width, size.height, { fit: "fill" }) : image;
  return resized.raw().toBuffer({ resolveWithObject: true });
}

/** `after` is compared at its own size; `before` is brought to it if it differs (the edit may change size). */
export async function measureFidelity(before: Buffer, after: Buffer, box: Box, tolerance: number): Promise<Fidelity> {
  const next = await rgb(after);
  const { width, height, channels } = next.info;
  const previous = await rgb(before, { width, height });
  const result: Fidelity = { outsidePixels: 0, outsideUnchanged: 0, insidePixels: 0, insideChanged: 0, outsideMaxDifference: 0 };
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const offset = (y * width + x) * channels;
      let difference = 0;
      for (let channel = 0; channel < channels; channel += 1) {
        difference = Math.max(difference, Math.abs((next.data[offset + channel] ?? 0) - (previous.data[offset + channel] ?? 0)));
      }
      const inside = x >= box.left && x < box.left + box.width && y >= box.top && y < box.top + box.height;
      if (inside) {
        result.insidePixels += 1;
        if (difference > tolerance) result.insideChanged += 1;
      } else {
        result.outsidePixels += 1;
        if (difference <= tolerance) result.outsideUnchanged += 1;
        if (difference > result.outsideMaxDifference) result.outsideMaxDifference = difference;
      }
    }
  }
  return result;
}
