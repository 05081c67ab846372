import { createHash } from "node:crypto";

/** Deterministic pseudo-randomness: the same request must always produce the same bytes. */

function seedWords(seed: string): [number, number, number, number] {
  const digest = createHash("sha256").update(seed).digest();
  const words: [number, number, number, number] = [
    digest.readUInt32LE(0),
    digest.readUInt32LE(4),
    digest.readUInt32LE(8),
    digest.readUInt32LE(12),
  ];
  // xorshift128 must not start from an all-zero state.
  if (words.every((word) => word === 0)) words[0] = 0x9e3779b9;
  return words;
}

export function deterministicBytes(seed: string, length: number): Buffer {
  const output = Buffer.allocUnsafe(length);
  let [x, y, z, w] = seedWords(seed);
  let offset = 0;
  while (offset < length) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    const remaining = length - offset;
    if (remaining >= 4) {
      output.writeUInt32LE(w, offset);
      offset += 4;
    } else {
      for (let i = 0; i < remaining; i += 1) output[offset + i] = (w >>> (8 * i)) & 0xff;
      offset += remaining;
    }
  }
  return output;
}

/** An integer in [min, max] picked by the seed. */
export function deterministicInt(seed: string, min: number, max: number): number {
  const value = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return min + (value % (max - min + 1));
}

/** URL-safe base64 of a hash, for ids and redirect tokens. */
export function deterministicToken(seed: string, length: number): string {
  let token = "";
  let round = 0;
  while (token.length < length) {
    token += createHash("sha256").update(`${seed}#${round}`).digest("base64url");
    round += 1;
  }
  return token.slice(0, length);
}
