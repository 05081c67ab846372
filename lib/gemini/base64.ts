import "server-only";

/**
 * True when `data`, which Node decodes to `byteLength` bytes, is the one base64 string those bytes
 * encode to, so that encoding the decoded bytes gives `data` back. Checked without decoding all
 * of it: the decoder skips characters outside the alphabet (the length would not fit), stops at
 * an early "=", and accepts the URL-safe alphabet and non-zero padding bits.
 */
export function isCanonicalBase64(data: string, byteLength: number): boolean {
  if (data.length !== Math.ceil(byteLength / 3) * 4) return false;
  if (data.includes("-") || data.includes("_")) return false;
  const padding = data.indexOf("=");
  if (padding !== -1 && padding < data.length - 2) return false;
  const last = data.slice(-4);
  const tail = Buffer.from(last, "base64");
  return tail.length === (byteLength % 3 || 3) && tail.toString("base64") === last;
}

/**
 * A copy of `inline` whose `data` is encoded from `bytes` each time it is read, instead of holding
 * the base64 string as well as the bytes. Only for data that isCanonicalBase64 accepted, so every
 * read gives the very string that was decoded. Key order, enumerability and JSON are those of a
 * plain copy; assigning `data` stores the value given.
 */
export function withDataFromBytes<T extends { data?: string }>(inline: T, bytes: Uint8Array): T {
  const copy = {} as T;
  bytesBehind.set(copy, bytes);
  for (const key of Object.keys(inline) as Array<keyof T & string>) {
    if (key !== "data") {
      copy[key] = inline[key];
      continue;
    }
    Object.defineProperty(copy, "data", {
      enumerable: true,
      configurable: true,
      get: () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
      set(value: string) {
        bytesBehind.delete(copy);
        Object.defineProperty(copy, "data", { value, enumerable: true, configurable: true, writable: true });
      },
    });
  }
  return copy;
}

const bytesBehind = new WeakMap<object, Uint8Array>();

/**
 * The bytes a withDataFromBytes copy encodes its `data` from, so that its length (and whether it
 * is canonical, which it was checked to be) is known without encoding it; undefined for any other
 * object.
 */
export function bytesBehindData(inline: object): Uint8Array | undefined {
  return bytesBehind.get(inline);
}

/** Characters per piece decodeCanonicalBase64 turns into a string: a multiple of 4, and small enough for V8's young heap. */
const DECODE_PIECE_CHARS = 96 * 1024;
const EQUALS = 0x3d;

/**
 * The bytes that `bytes[start, end)`, read as ASCII, encodes in canonical base64 (as
 * isCanonicalBase64 means it), or null when it is anything else. Decoded in pieces straight into
 * one buffer, so no string of the whole value is made: a 4K image is 7.3 MB of base64, and
 * allocating that string (and the pages under it) was the largest single cost between the
 * model's last byte and the image event. Why not a library: Node 22 has no base64 decoder that
 * reads bytes (Uint8Array.fromBase64 comes later), and the pieces go through Node's own decoder.
 */
export function decodeCanonicalBase64(bytes: Uint8Array, start: number, end: number): Buffer | null {
  const length = end - start;
  if (length <= 0 || length % 4 !== 0) return null;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Node's decoder also takes the URL-safe alphabet, which a canonical string does not use.
  const within = (byte: number) => {
    const at = view.indexOf(byte, start);
    return at !== -1 && at < end ? at : -1;
  };
  if (within(0x2d) !== -1 || within(0x5f) !== -1) return null;
  const firstEquals = within(EQUALS);
  const padding = firstEquals === -1 ? 0 : end - firstEquals;
  if (padding > 2 || (padding === 2 && view[end - 1] !== EQUALS)) return null;
  const byteLength = (length / 4) * 3 - padding;
  const out = Buffer.allocUnsafe(byteLength);
  let written = 0;
  for (let at = start; at < end; at += DECODE_PIECE_CHARS) {
    // A character outside the alphabet is skipped by the decoder, so the count comes out short.
    written += out.write(view.toString("latin1", at, Math.min(end, at + DECODE_PIECE_CHARS)), written, "base64");
  }
  if (written !== byteLength) return null;
  // Non-zero padding bits decode the same; only the canonical string encodes back to itself.
  const last = view.toString("latin1", end - 4, end);
  if (out.subarray(byteLength - (byteLength % 3 || 3)).toString("base64") !== last) return null;
  return out;
}
