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

/** Where a Base64Sink's buffer starts; it doubles as the value grows. */
const SINK_INITIAL_BYTES = 256 * 1024;

/**
 * Decodes one base64 value that arrives in pieces (an image's data read off the network), as the
 * pieces come, into one buffer that doubles as it fills. decodeCanonicalBase64 over the whole
 * value gives the same answer, but only once the value's last piece is there: for a 4K image
 * that was ~7 MB of decoding, and pages for a 5.5 MB buffer, after the model's last byte. The
 * buffer may end up to twice the image's size; the bytes are a view of it.
 */
export interface Base64Sink {
  /** The next piece of the value: `bytes[start, end)`, read as ASCII. */
  add(bytes: Uint8Array, start: number, end: number): void;
  /** Characters added so far. */
  readonly length: number;
  /** The decoded bytes when the whole value was canonical base64 (as isCanonicalBase64 means it), else null. */
  finish(): Buffer | null;
}

export function createBase64Sink(): Base64Sink {
  let out: Buffer | null = null;
  let written = 0;
  let length = 0;
  // Characters of the last piece that did not make a whole group of four, and the value's last four.
  let rest = "";
  let lastFour = "";
  let firstEquals = -1;
  let refused = false;

  function reserve(more: number): Buffer {
    if (out && written + more <= out.length) return out;
    const grown = Buffer.allocUnsafe(Math.max(SINK_INITIAL_BYTES, (out?.length ?? 0) * 2, written + more));
    if (out) out.copy(grown, 0, 0, written);
    out = grown;
    return grown;
  }

  return {
    add(bytes, start, end) {
      if (end <= start) return;
      const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const within = (byte: number) => {
        const at = view.indexOf(byte, start);
        return at !== -1 && at < end ? at : -1;
      };
      const equals = within(EQUALS);
      if (equals !== -1 && firstEquals === -1) firstEquals = length + (equals - start);
      length += end - start;
      lastFour = (lastFour + view.toString("latin1", Math.max(start, end - 4), end)).slice(-4);
      if (refused) return;
      // Node's decoder also takes the URL-safe alphabet, which a canonical string does not use.
      if (within(0x2d) !== -1 || within(0x5f) !== -1) {
        refused = true;
        return;
      }
      const text = rest + view.toString("latin1", start, end);
      const whole = text.length - (text.length % 4);
      rest = text.slice(whole);
      if (whole === 0) return;
      const target = reserve((whole / 4) * 3);
      written += target.write(whole === text.length ? text : text.slice(0, whole), written, "base64");
    },
    get length() {
      return length;
    },
    finish() {
      if (refused || rest !== "" || length === 0 || !out) return null;
      const padding = firstEquals === -1 ? 0 : length - firstEquals;
      if (padding > 2 || (padding === 2 && !lastFour.endsWith("="))) return null;
      const byteLength = (length / 4) * 3 - padding;
      // A character outside the alphabet is skipped by the decoder, so the count comes out short.
      if (written !== byteLength) return null;
      const bytes = out.subarray(0, byteLength);
      // Non-zero padding bits decode the same; only the canonical string encodes back to itself.
      if (bytes.subarray(byteLength - (byteLength % 3 || 3)).toString("base64") !== lastFour) return null;
      return bytes;
    },
  };
}
