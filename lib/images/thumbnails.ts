import "server-only";

import { promises as fs } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { isContentHash, writeFileAtomically, type ImageStore } from "@/lib/storage/image-store";

/** The only widths served, so a caller cannot make the server render (and store) arbitrary sizes. */
export const THUMBNAIL_WIDTHS = [96, 192, 384] as const;
export type ThumbnailWidth = (typeof THUMBNAIL_WIDTHS)[number];

export function parseThumbnailWidth(value: string | null): ThumbnailWidth | null {
  const width = Number(value ?? "192");
  return (THUMBNAIL_WIDTHS as readonly number[]).includes(width) ? (width as ThumbnailWidth) : null;
}

/**
 * A small WebP of a stored image, made once and kept beside the originals. Timelines and session
 * lists show hundreds of these: sending the 4K originals there would cost megabytes per row.
 * Returns null when the image is unknown or cannot be decoded (e.g. HEIC without a decoder).
 */
export async function getThumbnail(options: {
  images: ImageStore;
  dataDir: string;
  hash: string;
  width: ThumbnailWidth;
}): Promise<Buffer | null> {
  const { images, dataDir, hash, width } = options;
  if (!isContentHash(hash)) return null;
  const target = path.join(dataDir, "thumbnails", String(width), hash.slice(0, 2), `${hash}.webp`);
  const cached = await fs.readFile(target).catch(() => null);
  if (cached) return cached;

  const stored = await images.get(hash);
  if (!stored) return null;
  let thumbnail: Buffer;
  try {
    thumbnail = await sharp(stored.bytes, { limitInputPixels: 120_000_000 })
      .rotate()
      .resize({ width, height: width, fit: "inside", withoutEnlargement: true })
      .webp({ quality: 78 })
      .toBuffer();
  } catch {
    return null;
  }
  // A failed cache write only costs a re-render next time.
  await writeFileAtomically(target, thumbnail, path.join(dataDir, "tmp")).catch(() => undefined);
  return thumbnail;
}
