import "server-only";

import { readFileSync } from "node:fs";
import path from "node:path";
import type { WireChunk } from "../response";

// Reads the project's copy of the real Gemini recordings (test/fixtures/gemini, with their
// provenance in its README) for unit tests. One copy serves the gateway's tests and the emulator's.
const FIXTURES_DIR = path.join(__dirname, "..", "..", "..", "test", "fixtures", "gemini");

export function fixturePath(relative: string): string {
  return path.join(FIXTURES_DIR, relative);
}

export function readFixtureText(relative: string): string {
  return readFileSync(fixturePath(relative), "utf8");
}

export function readFixtureJson<T = unknown>(relative: string): T {
  return JSON.parse(readFixtureText(relative)) as T;
}

/** An SSE body as the service sends it: `data: {json}` events separated by blank lines. */
export function parseSse(body: string): WireChunk[] {
  return body
    .split(/\r?\n\r?\n/)
    .map((event) => event.trim())
    .filter((event) => event.startsWith("data:"))
    .map((event) => JSON.parse(event.slice("data:".length).trim()) as WireChunk);
}

export function readSseFixture(relative: string): WireChunk[] {
  return parseSse(readFixtureText(relative));
}
