import sharp, { type OutputInfo } from "sharp";
import type { InputImage } from "./validation";
import type { RequestPart } from "./request-schema";

/**
 * Region edits. The Gemini API has no mask field: a client that wants only part of an image changed
 * sends a mask image under a text label (the studio's is "Image N (mask):") with an instruction to
 * change only the marked area. The emulator reads the mask the way such a request means it (white,
 * opaque pixels are marked), finds the box they span, and answers with the previous image changed
 * inside that box only, so a test can check both what the client drew and that the rest survived.
 */

/** Marked pixels, flattened on black: white paint on a black or transparent mask. */
const MARKED_LUMINANCE = 128;

export interface MaskReference {
  image: InputImage;
  /** The number in the label: which image of the turn the mask is. */
  number: number;
}

/** The box the mask marks, in pixels of the mask, with the mask's own size. */
export interface MaskBox {
  left: number;
  top: number;
  width: number;
  height: number;
  maskWidth: number;
  maskHeight: number;
}

/** What the emulator understood, in pixels of the image it answered with; reported in text and the request log. */
export interface UnderstoodRegion {
  left: number;
  top: number;
  width: number;
  height: number;
  imageWidth: number;
  imageHeight: number;
  /** The same box in percent of the image, rounded to 0.1. */
  percent: { x: number; y: number; width: number; height: number };
  maskImage: number;
  /** The mask's own pixel size (a client should draw it at the image's), null when nothing in it was marked. */
  maskSize: { width: number; height: number } | null;
  /** False when nothing in the mask was marked: the answer is then a plain image. */
  marked: boolean;
  /** False when the conversation held no earlier image to edit. */
  edited: boolean;
}

const MASK_LABEL = /^\s*image\s+(\d+)\s*\(\s*mask\b[^)]*\)\s*:?\s*$/i;

/** The image that follows a "Image N (mask):" label in `parts`, if any. */
export function findMask(parts: readonly RequestPart[], images: ReadonlyMap<RequestPart, InputImage>): MaskReference | undefined {
  let pending: number | undefined;
  for (const part of parts) {
    const label = part.text === undefined ? null : MASK_LABEL.exec(part.text);
    if (label) {
      pending = Number(label[1]);
      continue;
    }
    const image = images.get(part);
    if (!image) continue;
    if (pending !== undefined) return { image, number: pending };
  }
  return undefined;
}

/** The bounding box of the marked pixels, or null when none is marked or the mask can't be decoded. */
export async function maskBoundingBox(bytes: Buffer): Promise<MaskBox | null> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes).flatten({ background: "#000000" }).greyscale().raw().toBuffer({ resolveWithObject: true });
  } catch {
    return null;
  }
  const { data, info } = decoded;
  const { width, height, channels } = info;
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < height; y += 1) {
    const row = y * width * channels;
    for (let x = 0; x < width; x += 1) {
      if ((data[row + x * channels] ?? 0) < MARKED_LUMINANCE) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
    }
  }
  if (right < 0) return null;
  return { left, top, width: right - left + 1, height: bottom - top + 1, maskWidth: width, maskHeight: height };
}

/** The mask's box in pixels of an image of `width` x `height` (the mask may have another size). */
export function scaleBox(box: MaskBox, width: number, height: number): Pick<UnderstoodRegion, "left" | "top" | "width" | "height"> {
  const sx = width / box.maskWidth;
  const sy = height / box.maskHeight;
  const left = Math.min(width - 1, Math.floor(box.left * sx));
  const top = Math.min(height - 1, Math.floor(box.top * sy));
  const right = Math.max(left + 1, Math.min(width, Math.ceil((box.left + box.width) * sx)));
  const bottom = Math.max(top + 1, Math.min(height, Math.ceil((box.top + box.height) * sy)));
  return { left, top, width: right - left, height: bottom - top };
}

export function understoodRegion(
  box: MaskBox | null,
  image: { width: number; height: number },
  maskImage: number,
  edited: boolean,
): UnderstoodRegion {
  const pixels = box ? scaleBox(box, image.width, image.height) : { left: 0, top: 0, width: 0, height: 0 };
  const percent = (value: number, of: number) => Math.round((value / of) * 1000) / 10;
  return {
    ...pixels,
    imageWidth: image.width,
    imageHeight: image.height,
    percent: {
      x: percent(pixels.left, image.width),
      y: percent(pixels.top, image.height),
      width: percent(pixels.width, image.width),
      height: percent(pixels.height, image.height),
    },
    maskImage,
    maskSize: box ? { width: box.maskWidth, height: box.maskHeight } : null,
    marked: box !== null,
    edited: edited && box !== null,
  };
}

/** The model's words about what it changed, so a designer (and a test) sees the region it was told. */
export function describeUnderstoodRegion(region: UnderstoodRegion): string {
  if (!region.marked) return `Image ${region.maskImage} is marked as a mask, but nothing in it is marked, so there was no area to change.`;
  const { left, top, width, height, imageWidth, imageHeight, percent } = region;
  const where =
    `x ${left}–${left + width}, y ${top}–${top + height} of ${imageWidth}×${imageHeight} ` +
    `(${percent.x}% from the left, ${percent.y}% from the top, ${percent.width}% × ${percent.height}%)`;
  return region.edited
    ? `Changed only the area marked in image ${region.maskImage}: ${where}. Everything outside it is as it was.`
    : `The mask in image ${region.maskImage} marks ${where}, but there is no earlier image to change.`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * `base` at the output size with the region tinted and outlined, the instruction written inside it.
 * Only pixels inside the box are composited; outside them the output is the base as re-encoded
 * (bit-exact for PNG, within JPEG's loss for JPEG).
 */
export async function renderRegionEdit(options: {
  base: Buffer;
  region: Pick<UnderstoodRegion, "left" | "top" | "width" | "height">;
  width: number;
  height: number;
  mimeType: "image/jpeg" | "image/png";
  label: string;
}): Promise<Buffer> {
  const { region, width, height } = options;
  const resized = await sharp(options.base).rotate().resize(width, height, { fit: "fill" }).removeAlpha().raw().toBuffer();
  const stroke = Math.max(1, Math.round(Math.min(region.width, region.height) * 0.03));
  // The request's first line (the studio puts the designer's words there), sized to fit the box.
  const firstLine = options.label.split("\n")[0]?.trim() ?? "";
  const text = firstLine.length > 48 ? `${firstLine.slice(0, 47)}…` : firstLine;
  const fontSize = Math.max(6, Math.floor(Math.min(48, region.height / 4, region.width / (0.62 * Math.max(1, text.length)))));
  const overlay = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${region.width}" height="${region.height}">` +
      `<rect width="100%" height="100%" fill="#ffd400" fill-opacity="0.45"/>` +
      `<rect x="${stroke / 2}" y="${stroke / 2}" width="${Math.max(0, region.width - stroke)}" height="${Math.max(0, region.height - stroke)}" fill="none" stroke="#ff2d55" stroke-width="${stroke}"/>` +
      `<text x="50%" y="50%" text-anchor="middle" dominant-baseline="middle" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${fontSize}" fill="#1b1b1b">${escapeXml(text)}</text>` +
      `</svg>`,
  );
  const edited = sharp(resized, { raw: { width, height, channels: 3 } }).composite([{ input: overlay, left: region.left, top: region.top }]);
  if (options.mimeType === "image/png") return edited.png({ compressionLevel: 6 }).toBuffer();
  return edited.jpeg({ quality: 90, chromaSubsampling: "4:2:0" }).toBuffer();
}
