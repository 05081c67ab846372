import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { sniffImageType } from "./sniff";

async function encode(format: "png" | "jpeg" | "webp" | "gif"): Promise<Uint8Array> {
  return sharp({ create: { width: 4, height: 3, channels: 3, background: "#f5c518" } }).toFormat(format).toBuffer();
}

describe("sniffImageType", () => {
  it("recognises real PNG, JPEG, WebP and GIF bytes", async () => {
    expect(sniffImageType(await encode("png"))).toBe("image/png");
    expect(sniffImageType(await encode("jpeg"))).toBe("image/jpeg");
    expect(sniffImageType(await encode("webp"))).toBe("image/webp");
    expect(sniffImageType(await encode("gif"))).toBe("image/gif");
  });

  it("recognises HEIC and HEIF by their ftyp brand", () => {
    const box = (brand: string) => new Uint8Array([0, 0, 0, 24, ...Buffer.from("ftyp"), ...Buffer.from(brand), 0, 0, 0, 0]);
    expect(sniffImageType(box("heic"))).toBe("image/heic");
    expect(sniffImageType(box("mif1"))).toBe("image/heif");
    expect(sniffImageType(box("isom"))).toBeNull();
  });

  it("recognises SVG so it can be refused", () => {
    expect(sniffImageType(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe("image/svg+xml");
    expect(sniffImageType(Buffer.from("  <svg></svg>"))).toBe("image/svg+xml");
  });

  it("returns null for anything else, whatever it claims to be", () => {
    expect(sniffImageType(Buffer.from("%PDF-1.7"))).toBeNull();
    expect(sniffImageType(new Uint8Array())).toBeNull();
    expect(sniffImageType(Buffer.from("hello.png"))).toBeNull();
  });
});
