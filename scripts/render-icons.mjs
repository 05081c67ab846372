/**
 * Renders the web app manifest's PNG icons (public/icon-*.png) and the Apple touch icon
 * (app/apple-icon.png) from app/icon.svg, the one drawing of the logo. Run after changing it:
 *   node scripts/render-icons.mjs
 * The PNGs are committed: browsers and home screens want raster icons, and rendering them at
 * build time would add a step to every build for files that change once a year.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// zinc-900, the dark theme's panels: the yellow banana reads on it in light and dark surroundings.
const TILE = "#18181b";

const svg = await fs.readFile(path.join(root, "app", "icon.svg"), "utf8");
const logo = svg.replace(/^[\s\S]*?<svg[^>]*>/, "").replace(/<\/svg>\s*$/, "");
if (logo === svg || !logo.trim()) throw new Error("app/icon.svg: expected one <svg> element");

/**
 * The logo on a tile, in the 32-unit space of app/icon.svg. `scale` is how much of the tile the
 * logo may fill; the translate moves the drawing's own centre (16.5, 13.8) to the tile's.
 */
function tile({ size, scale, rounded }) {
  const offset = 16 - 16 * scale;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="${size}" height="${size}">
  <rect width="32" height="32" ${rounded ? 'rx="7"' : ""} fill="${TILE}"/>
  <g transform="translate(${offset} ${offset}) scale(${scale}) translate(-0.5 2.2)">${logo}</g>
</svg>`;
}

const outputs = [
  { file: "public/icon-192.png", size: 192, scale: 0.8, rounded: true },
  { file: "public/icon-512.png", size: 512, scale: 0.8, rounded: true },
  // Maskable: the launcher crops to its own shape, keeping only the central circle of 80% width.
  { file: "public/icon-maskable-512.png", size: 512, scale: 0.62, rounded: false },
  // iOS rounds the corners itself and shows transparency as black.
  { file: "app/apple-icon.png", size: 180, scale: 0.78, rounded: false },
];

for (const { file, ...options } of outputs) {
  await sharp(Buffer.from(tile(options))).png({ compressionLevel: 9 }).toFile(path.join(root, file));
  console.log(`render-icons: wrote ${file}`);
}
