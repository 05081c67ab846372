import type { IncomingHttpHeaders } from "node:http";
import type { ResolvedFileNote } from "./files";
import type { UnderstoodRegion } from "./region";
import { sha256, verifySignature } from "./signatures";

/**
 * What GET /_emulator/requests returns. Bodies are kept but shrunk: image data and signatures can
 * be megabytes, so they are replaced by a short description that still identifies them.
 */

export interface RequestLogEntry {
  id: number;
  time: string;
  method: string;
  path: string;
  model: string | null;
  apiVersion: string | null;
  headers: Record<string, string>;
  body: unknown;
  /** HTTP status sent, or null while pending / when the connection was dropped before a status. */
  status: number | null;
  /** The fault applied to this request, if any. */
  fault: string | null;
  durationMs: number | null;
  /** Region edits only: the area the request's mask marked, as the emulator understood it. */
  region?: UnderstoodRegion;
  /** The uploaded files the request's fileData parts named (its body shows each part's fileUri). */
  files?: ResolvedFileNote[];
}

const SECRET_HEADERS = new Set(["x-goog-api-key", "authorization"]);

export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name] = SECRET_HEADERS.has(name) ? "***" : Array.isArray(value) ? value.join(", ") : value;
  }
  return result;
}

export function redactPath(path: string): string {
  return path.replace(/([?&]key=)[^&]*/g, "$1***");
}

function describeData(data: string): string {
  const digest = sha256(Buffer.from(data, "base64")).toString("hex").slice(0, 16);
  return `<${data.length} base64 chars sha256=${digest}>`;
}

function blobData(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || !("data" in value)) return undefined;
  return typeof value.data === "string" ? value.data : undefined;
}

/** Walks a parsed JSON body, replacing inlineData.data and thoughtSignature values (either spelling). */
export function redactBody(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactBody);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  const blob = entries.find(([key]) => key === "inlineData" || key === "inline_data")?.[1];
  const data = blobData(blob);
  const result: Record<string, unknown> = {};
  for (const [key, child] of entries) {
    if ((key === "thoughtSignature" || key === "thought_signature") && typeof child === "string") {
      const check = verifySignature(child, data === undefined ? undefined : Buffer.from(data, "base64"));
      result[key] = `<signature ${child.length} chars ${check.valid ? "valid" : "invalid"}>`;
    } else if ((key === "inlineData" || key === "inline_data") && data !== undefined && child !== null && typeof child === "object") {
      result[key] = { ...(redactBody(child) as Record<string, unknown>), data: describeData(data) };
    } else {
      result[key] = redactBody(child);
    }
  }
  return result;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private nextId = 1;
  private readonly limit: number;

  constructor(limit = 500) {
    this.limit = limit;
  }

  add(entry: Omit<RequestLogEntry, "id">): RequestLogEntry {
    const full: RequestLogEntry = { id: this.nextId, ...entry };
    this.nextId += 1;
    this.entries.push(full);
    if (this.entries.length > this.limit) this.entries.shift();
    return full;
  }

  list(): RequestLogEntry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }
}
