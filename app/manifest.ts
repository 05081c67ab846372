import type { MetadataRoute } from "next";

// Served as /manifest.webmanifest, linked from every page by Next.js. The icons are rendered from
// app/icon.svg by scripts/render-icons.mjs; the colours are the studio's own (zinc-900 tile, zinc-50
// page), so an installed studio opens without a flash of another colour.
export default function manifest(): MetadataRoute.Manifest {
  return {
    name: "Nano Banana Studio",
    short_name: "Banana Studio",
    description: "Create and refine images with Google's Gemini image models.",
    start_url: "/",
    scope: "/",
    display: "standalone",
    background_color: "#fafafa",
    theme_color: "#18181b",
    icons: [
      { src: "/icon.svg", type: "image/svg+xml", sizes: "any", purpose: "any" },
      { src: "/icon-192.png", type: "image/png", sizes: "192x192", purpose: "any" },
      { src: "/icon-512.png", type: "image/png", sizes: "512x512", purpose: "any" },
      { src: "/icon-maskable-512.png", type: "image/png", sizes: "512x512", purpose: "maskable" },
    ],
  };
}
