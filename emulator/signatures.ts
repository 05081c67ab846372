import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { deterministicBytes } from "./random";

/**
 * Thought signatures. Real ones are opaque base64 (~600 KB); the emulator's are base64 too, but
 * carry an HMAC so a replayed history can be checked: the signature of an image part must match
 * the image bytes it sits next to. The secret is fixed so that signatures survive an emulator or
 * app restart, as real ones do.
 *
 * Layout (before base64): "NBES" | hmac(32) | version(1) | kind(1) | modelLength(1) | model |
 * sha256 of the signed content(32) | paddingLength(4) | padding. The HMAC covers everything after it.
 */

const SECRET = "nano-banana-studio/gemini-emulator/thought-signature/v1";
const MAGIC = Buffer.from("NBES", "ascii");
const VERSION = 1;
const HEADER_LENGTH = MAGIC.length + 32;

/** Base64 length of the real signature in the recording (responses/image-3.1-flash-signed-jpeg.json). */
export const REALISTIC_SIGNATURE_CHARS = 597_616;

/** Documented values that tell Gemini 3 to skip signature validation for transplanted history. */
export const SIGNATURE_BYPASS_VALUES: readonly string[] = ["skip_thought_signature_validator", "context_engineering_is_the_way_to_go"];

export type SignatureKind = "image" | "text";

const KIND_CODES: Record<SignatureKind, number> = { image: 1, text: 2 };

export function sha256(data: Buffer | string): Buffer {
  return createHash("sha256").update(data).digest();
}

function mac(body: Buffer): Buffer {
  return createHmac("sha256", SECRET).update(body).digest();
}

export interface SignOptions {
  kind: SignatureKind;
  modelId: string;
  /** The bytes the signature vouches for: image bytes, or for text the response id. */
  content: Buffer | string;
  realisticSize: boolean;
}

export function createSignature(options: SignOptions): string {
  const model = Buffer.from(options.modelId, "utf8").subarray(0, 255);
  const digest = sha256(options.content);
  const fixed = Buffer.concat([
    Buffer.from([VERSION, KIND_CODES[options.kind], model.length]),
    model,
    digest,
  ]);
  const unpaddedBytes = HEADER_LENGTH + fixed.length + 4;
  const targetBytes = options.realisticSize ? Math.floor((REALISTIC_SIGNATURE_CHARS / 4) * 3) : unpaddedBytes;
  const paddingLength = Math.max(0, targetBytes - unpaddedBytes);
  const lengthField = Buffer.alloc(4);
  lengthField.writeUInt32BE(paddingLength);
  const body = Buffer.concat([fixed, lengthField, deterministicBytes(digest.toString("hex"), paddingLength)]);
  return Buffer.concat([MAGIC, mac(body), body]).toString("base64");
}

export type SignatureCheck =
  | { valid: true; kind: SignatureKind; modelId: string; contentSha256: string; bypass: false }
  | { valid: true; bypass: true }
  | { valid: false; reason: "malformed" | "forged" | "content-mismatch" };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `content` is what the part carries next to the signature (image bytes); omit it for text. */
export function verifySignature(signature: string, content?: Buffer): SignatureCheck {
  if (SIGNATURE_BYPASS_VALUES.includes(signature)) return { valid: true, bypass: true };
  if (signature.length % 4 !== 0 || !BASE64.test(signature)) return { valid: false, reason: "malformed" };
  const raw = Buffer.from(signature, "base64");
  if (raw.length < HEADER_LENGTH + 3 || !raw.subarray(0, MAGIC.length).equals(MAGIC)) return { valid: false, reason: "malformed" };
  const expected = raw.subarray(MAGIC.length, HEADER_LENGTH);
  const body = raw.subarray(HEADER_LENGTH);
  if (!timingSafeEqual(expected, mac(body))) return { valid: false, reason: "forged" };

  const kindCode = body[1];
  const modelLength = body[2] ?? 0;
  const kind = (Object.keys(KIND_CODES) as SignatureKind[]).find((name) => KIND_CODES[name] === kindCode);
  if (body[0] !== VERSION || !kind) return { valid: false, reason: "malformed" };
  const modelId = body.subarray(3, 3 + modelLength).toString("utf8");
  const digest = body.subarray(3 + modelLength, 3 + modelLength + 32);
  if (kind === "image" && content && !digest.equals(sha256(content))) return { valid: false, reason: "content-mismatch" };
  return { valid: true, kind, modelId, contentSha256: digest.toString("hex"), bypass: false };
}
