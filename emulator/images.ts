import sharp, { type OverlayOptions, type Sharp } from "sharp";
import { deterministicBytes, deterministicInt } from "./random";

/**
 * Placeholder images that still behave like real outputs: exact pixel size from the model table,
 * the model's mime type, deterministic bytes, and visible traces of what was asked (prompt,
 * settings, turn number, thumbnails of the reference images). The SVG is laid out on a canvas of
 * at most CANVAS_LONG_SIDE pixels and then resized, so a 4K or 12288x1536 image stays fast.
 */

const CANVAS_LONG_SIDE = 1024;
const DRAFT_CANVAS_LONG_SIDE = 512;

export interface ReferenceImage {
  bytes: Buffer;
  mimeType: string;
  /** False for formats this sharp build cannot decode (HEVC-coded HEIC); drawn as a labelled tile. */
  decodable: boolean;
}

export interface RenderRequest {
  modelId: string;
  mimeType: "image/jpeg" | "image/png";
  width: number;
  height: number;
  imageSize: string;
  aspectRatio: string;
  prompt: string;
  turn: number;
  references: readonly ReferenceImage[];
  /** Shown as a badge, e.g. "thought 1/2" on interim thought images. */
  badge?: string;
  /** Thought images are previews: smaller canvas and stronger compression. */
  draft?: boolean;
  /** Adds deterministic grain so sizes are close to real outputs (~390 KB JPEG, ~1.6 MB PNG at 1K). */
  realistic?: boolean;
}

export interface ImageInfo {
  width: number;
  height: number;
  format: string;
}

/** Returns undefined when the bytes are not an image this sharp build can read. */
export async function inspectImage(bytes: Buffer): Promise<ImageInfo | undefined> {
  try {
    const metadata = await sharp(bytes).metadata();
    if (!metadata.width || !metadata.height) return undefined;
    return { width: metadata.width, height: metadata.height, format: metadata.format };
  } catch {
    return undefined;
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function hslToHex(hue: number, saturation: number, lightness: number): string {
  const s = saturation / 100;
  const l = lightness / 100;
  const k = (n: number) => (n + hue / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const value = l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, "0");
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

export function backgroundColours(prompt: string): { from: string; to: string } {
  const hue = deterministicInt(`hue:${prompt}`, 0, 359);
  return { from: hslToHex(hue, 62, 44), to: hslToHex((hue + 48) % 360, 58, 28) };
}

/** Greedy word wrap; the last line ends in an ellipsis when the prompt does not fit. */
export function wrapText(text: string, maxChars: number, maxLines: number): string[] {
  const width = Math.max(4, maxChars);
  const words = text.split(/\s+/).filter(Boolean).flatMap((word) => {
    const pieces: string[] = [];
    for (let i = 0; i < word.length; i += width) pieces.push(word.slice(i, i + width));
    return pieces;
  });
  const lines: string[] = [];
  let current = "";
  let truncated = false;
  for (const word of words) {
    const candidate = current ? `${current} ${word}` : word;
    if (candidate.length <= width) {
      current = candidate;
      continue;
    }
    lines.push(current);
    current = word;
    if (lines.length === maxLines) {
      truncated = true;
      break;
    }
  }
  if (!truncated && current) lines.push(current);
  if (lines.length > maxLines) {
    lines.length = maxLines;
    truncated = true;
  }
  if (truncated && lines.length > 0) {
    const last = lines[lines.length - 1] ?? "";
    lines[lines.length - 1] = `${last.slice(0, Math.max(0, width - 1)).trimEnd()}…`;
  }
  return lines;
}

interface Layout {
  svg: string;
  strip: { top: number; left: number; thumb: number; gap: number } | undefined;
}

function layout(request: RenderRequest, canvasWidth: number, canvasHeight: number): Layout {
  const colours = backgroundColours(request.prompt);
  const unit = Math.min(canvasWidth, canvasHeight);
  const margin = Math.max(4, Math.round(unit * 0.05));
  const promptSize = Math.max(7, Math.min(64, Math.round(unit * 0.085)));
  const infoSize = Math.max(5, Math.round(promptSize * 0.5));
  const referenceCount = request.references.length;

  const infoBlock = infoSize * 2.6;
  const stripThumbMax = Math.round(Math.min(unit * 0.2, canvasHeight * 0.2));
  const usableWidth = canvasWidth - margin * 2;
  const gap = Math.max(1, Math.round(stripThumbMax * 0.12));
  const thumb =
    referenceCount > 0 ? Math.max(3, Math.min(stripThumbMax, Math.floor((usableWidth - gap * (referenceCount - 1)) / referenceCount))) : 0;
  const stripHeight = referenceCount > 0 ? thumb + gap * 2 : 0;

  const headerBlock = infoSize * 2;
  const textTop = margin + headerBlock;
  const textBottom = canvasHeight - margin - infoBlock - stripHeight;
  const lineHeight = promptSize * 1.22;
  const maxLines = Math.max(1, Math.min(7, Math.floor((textBottom - textTop) / lineHeight)));
  const maxChars = Math.floor(usableWidth / (promptSize * 0.58));
  const prompt = request.prompt.trim() || "(no text prompt)";
  const lines = wrapText(prompt, maxChars, maxLines);
  const blockHeight = lines.length * lineHeight;
  const firstBaseline = textTop + Math.max(0, (textBottom - textTop - blockHeight) / 2) + promptSize;

  const promptLines = lines
    .map(
      (line, index) =>
        `<text x="${canvasWidth / 2}" y="${(firstBaseline + index * lineHeight).toFixed(1)}" text-anchor="middle" class="prompt">${escapeXml(line)}</text>`,
    )
    .join("");
  const badge = request.badge
    ? `<text x="${canvasWidth - margin}" y="${margin + infoSize}" text-anchor="end" class="badge">${escapeXml(request.badge.toUpperCase())}</text>`
    : "";
  const infoTop = canvasHeight - margin - infoSize * 1.5;
  const settings = `${request.imageSize} · ${request.width}×${request.height} · ${request.aspectRatio} · turn ${request.turn}`;

  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${canvasWidth}" height="${canvasHeight}" viewBox="0 0 ${canvasWidth} ${canvasHeight}">
<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${colours.from}"/><stop offset="1" stop-color="${colours.to}"/></linearGradient></defs>
<style>
text { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; fill: #ffffff; }
.prompt { font-size: ${promptSize}px; font-weight: bold; }
.info { font-size: ${infoSize}px; fill-opacity: 0.9; }
.badge { font-size: ${infoSize}px; font-weight: bold; fill: #ffe27a; }
</style>
<rect width="100%" height="100%" fill="url(#bg)"/>
<circle cx="${canvasWidth * 0.82}" cy="${canvasHeight * 0.2}" r="${unit * 0.35}" fill="#ffffff" fill-opacity="0.07"/>
<text x="${margin}" y="${margin + infoSize}" class="info">Gemini API emulator · placeholder image</text>${badge}
${promptLines}
<text x="${margin}" y="${infoTop.toFixed(1)}" class="info">${escapeXml(request.modelId)}</text>
<text x="${margin}" y="${(infoTop + infoSize * 1.3).toFixed(1)}" class="info">${escapeXml(settings)}</text>
</svg>`;

  const stripWidth = referenceCount * thumb + (referenceCount - 1) * gap;
  const strip =
    referenceCount > 0
      ? { top: Math.round(textBottom + gap), left: Math.round((canvasWidth - stripWidth) / 2), thumb, gap }
      : undefined;
  return { svg, strip };
}

async function thumbnail(reference: ReferenceImage, size: number): Promise<Buffer> {
  const border = size >= 24 ? 2 : 0;
  const inner = Math.max(1, size - border * 2);
  if (reference.decodable) {
    try {
      return await sharp(reference.bytes)
        .rotate()
        .resize(inner, inner, { fit: "cover" })
        .extend({ top: border, bottom: border, left: border, right: border, background: "#ffffff" })
        .removeAlpha()
        .png()
        .toBuffer();
    } catch {
      // Fall through to the labelled tile.
    }
  }
  const label = reference.mimeType.replace("image/", "").toUpperCase();
  const tile = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="#444" stroke="#fff" stroke-width="${border}"/><text x="50%" y="55%" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="${Math.max(4, size / 4)}" fill="#fff">${escapeXml(label)}</text></svg>`;
  return sharp(Buffer.from(tile)).png().toBuffer();
}

/** Film grain in place: enough entropy that encoders produce sizes like real photos. */
function addGrain(pixels: Buffer, seed: string, amplitude: number): void {
  const noise = deterministicBytes(seed, pixels.length);
  for (let i = 0; i < pixels.length; i += 1) {
    const value = (pixels[i] ?? 0) + (((noise[i] ?? 0) * amplitude) >> 8) - (amplitude >> 1);
    pixels[i] = value < 0 ? 0 : value > 255 ? 255 : value;
  }
}

export async function renderImage(request: RenderRequest): Promise<Buffer> {
  const longSide = request.draft ? DRAFT_CANVAS_LONG_SIDE : CANVAS_LONG_SIDE;
  const scale = Math.min(1, longSide / Math.max(request.width, request.height));
  const canvasWidth = Math.max(1, Math.round(request.width * scale));
  const canvasHeight = Math.max(1, Math.round(request.height * scale));
  const { svg, strip } = layout(request, canvasWidth, canvasHeight);

  const overlays: OverlayOptions[] = [];
  if (strip) {
    const thumbs = await Promise.all(request.references.map((reference) => thumbnail(reference, strip.thumb)));
    thumbs.forEach((input, index) => {
      const left = strip.left + index * (strip.thumb + strip.gap);
      if (left + strip.thumb <= canvasWidth && strip.top + strip.thumb <= canvasHeight && strip.top >= 0) {
        overlays.push({ input, left, top: strip.top });
      }
    });
  }

  const canvas = await sharp(Buffer.from(svg)).composite(overlays).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const resized = sharp(canvas.data, { raw: { width: canvas.info.width, height: canvas.info.height, channels: 3 } }).resize(
    request.width,
    request.height,
    { fit: "fill" },
  );

  let pixels: Sharp = resized;
  if (request.realistic && !request.draft) {
    const raw = await resized.raw().toBuffer();
    const seed = `${request.modelId}|${request.prompt}|${request.width}x${request.height}|${request.turn}`;
    addGrain(raw, seed, request.mimeType === "image/png" ? 4 : 40);
    pixels = sharp(raw, { raw: { width: request.width, height: request.height, channels: 3 } });
  }

  if (request.mimeType === "image/png") return pixels.png({ compressionLevel: 6 }).toBuffer();
  return pixels.jpeg({ quality: request.draft ? 55 : 90, chromaSubsampling: "4:2:0" }).toBuffer();
}
