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
