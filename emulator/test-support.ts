import { readFileSync } from "node:fs";
import { ApiError, GoogleGenAI, type GenerateContentResponse, type Part } from "@google/genai";
import sharp from "sharp";
import type { RunningEmulator } from "./server";

/** Helpers shared by the emulator's tests. Fixtures are the project's copies, never ../shared. */

const FIXTURES = new URL("../test/fixtures/gemini/", import.meta.url);

export function readFixture(path: string): string {
  return readFileSync(new URL(path, FIXTURES), "utf8");
}

export function readFixtureJson(path: string): unknown {
  return JSON.parse(readFixture(path));
}

export function createClient(emulator: RunningEmulator, options: { apiKey?: string; apiVersion?: string } = {}): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: options.apiKey ?? "test-key",
    httpOptions: { baseUrl: emulator.url, ...(options.apiVersion ? { apiVersion: options.apiVersion } : {}) },
  });
}

export interface ParsedApiError {
  status: number;
  body: { error: { code: number; message: string; status: string; details?: Array<Record<string, unknown>> } };
}

/** The SDK's ApiError carries the HTTP status and the JSON body as its message. */
export async function captureApiError(promise: Promise<unknown>): Promise<ParsedApiError> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { status: error.status, body: JSON.parse(error.message) as ParsedApiError["body"] };
  }
  throw new Error("expected the call to fail with an ApiError");
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export async function rawRequest(
  emulator: RunningEmulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { "x-goog-api-key": "test-key" },
): Promise<RawResponse> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

export async function solidImage(width: number, height: number, colour: string, format: "png" | "jpeg" | "webp" = "png"): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .toFormat(format)
    .toBuffer();
}

export function inlinePart(bytes: Buffer, mimeType = "image/png"): Part {
  return { inlineData: { mimeType, data: bytes.toString("base64") } };
}

export function parts(response: GenerateContentResponse): Part[] {
  return response.candidates?.[0]?.content?.parts ?? [];
}

/** The final (non-thought) image part, as an app would pick it. */
export function finalImagePart(response: GenerateContentResponse): Part {
  const part = parts(response).find((candidate) => candidate.inlineData && !candidate.thought);
  if (!part) throw new Error("response has no final image");
  return part;
}

export function imageBytes(part: Part): Buffer {
  return Buffer.from(part.inlineData?.data ?? "", "base64");
}

export async function imageSize(bytes: Buffer): Promise<{ width: number; height: number; format: string }> {
  const metadata = await sharp(bytes).metadata();
  return { width: metadata.width ?? 0, height: metadata.height ?? 0, format: metadata.format };
}

/** Reads a whole SSE body and returns each `data:` payload parsed. */
export function parseSse(text: string): unknown[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((event) => event.trim())
    .filter((event) => event.startsWith("data:"))
    .map((event) => JSON.parse(event.slice("data:".length).trim()));
}

export function sortedKeys(value: unknown): string[] {
  return value !== null && typeof value === "object" ? Object.keys(value).sort() : [];
}
