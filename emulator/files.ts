import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { z } from "zod";
import { EmulatorApiError, invalidArgument } from "./errors";
import { readBody } from "./http";

/**
 * The Files API (`ai.files.*` in @google/genai 3.1.0): a resumable upload in two steps, then
 * get / list / delete, and `fileData: {fileUri, mimeType}` parts that name an uploaded file
 * instead of carrying its bytes. Files are kept 48 hours (docs/gemini-facts.md), on this
 * emulator's clock: Date.now() plus what POST /_emulator/files/advance added, and
 * POST /_emulator/files/expire ends them at once, so a test can see what an expired file does.
 *
 * Wire format, as the SDK sends and reads it (its uploadFile / uploadBlobInternal):
 * - start: `POST /upload/{version}/files` with `X-Goog-Upload-Protocol: resumable`,
 *   `X-Goog-Upload-Command: start`, `X-Goog-Upload-Header-Content-Length` and
 *   `-Content-Type`, body `{"file": {mimeType, sizeBytes, name?, displayName?}}`; the answer's
 *   `x-goog-upload-url` header is where the bytes go (the SDK keeps its path and query and puts
 *   its own base URL's host in front).
 * - bytes: `POST <upload url>` with `X-Goog-Upload-Command: upload` (or `upload, finalize` for
 *   the last chunk; the SDK sends 8 MB a chunk) and `X-Goog-Upload-Offset`; every answer says
 *   `x-goog-upload-status: active` until the finalizing one, which says `final` and carries
 *   `{"file": File}`.
 * The File resource's fields and the upload headers are Google's documented ones; the 403 for a
 * file that is gone is the real service's wording. The 400s for a broken upload (wrong command,
 * offset or size) are *described*, not recorded: the real upload front end's bodies for them
 * are unknown, and the SDK only ever sends well-formed uploads.
 */

/** 48 hours (docs/gemini-facts.md). */
export const FILE_LIFETIME_MS = 48 * 60 * 60 * 1000;
/** 2 GB a file (docs/gemini-facts.md). */
export const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;
/** 20 GB a project (docs/gemini-facts.md). */
export const MAX_PROJECT_BYTES = 20 * 1024 * 1024 * 1024;

export interface StoredFile {
  name: string;
  displayName?: string;
  mimeType: string;
  bytes: Buffer;
  createTime: number;
  expirationTime: number;
}

interface PendingUpload {
  id: string;
  name: string;
  displayName?: string;
  mimeType: string;
  declaredBytes: number;
  chunks: Buffer[];
  received: number;
}

export const expireFilesSchema = z.strictObject({
  /** Files to end now (`files/…`); all of them when absent. */
  names: z.array(z.string().min(1)).optional(),
});

export const advanceClockSchema = z.strictObject({
  ms: z.number().int().min(0).max(365 * 24 * 60 * 60 * 1000),
});

/** Google's answer for a file that never existed, was deleted or expired (or belongs to another project). */
export function fileNotAccessible(id: string): EmulatorApiError {
  return new EmulatorApiError({
    error: { code: 403, status: "PERMISSION_DENIED", message: `You do not have permission to access the File ${id} or it may not exist.` },
  });
}

const FILE_ID = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

function isoTime(ms: number): string {
  // Google writes six fractional digits; milliseconds padded to them read the same.
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class FileStore {
  private readonly files = new Map<string, StoredFile>();
  private readonly uploads = new Map<string, PendingUpload>();
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): number {
    this.offsetMs += ms;
    return this.now();
  }

  /** A live file, or undefined once it was deleted or its 48 hours are over (then it is dropped). */
  get(id: string): StoredFile | undefined {
    const file = this.files.get(id);
    if (file && file.expirationTime <= this.now()) {
      this.files.delete(id);
      return undefined;
    }
    return file;
  }

  list(): StoredFile[] {
    return [...this.files.keys()].map((id) => this.get(id)).filter((file): file is StoredFile => file !== undefined);
  }

  delete(id: string): boolean {
    return this.get(id) !== undefined && this.files.delete(id);
  }

  /** Ends the named files (all when none are named) as if their time were up; how many. */
  expire(names?: readonly string[]): number {
    const ids = names ? names.map((name) => name.replace(/^files\//, "")) : [...this.files.keys()];
    let count = 0;
    for (const id of ids) {
      const file = this.get(id);
      if (!file) continue;
      file.expirationTime = this.now();
      count += 1;
    }
    return count;
  }

  clear(): void {
    this.files.clear();
    this.uploads.clear();
    this.offsetMs = 0;
  }

  private storedBytes(): number {
    return this.list().reduce((sum, file) => sum + file.bytes.length, 0);
  }

  startUpload(options: { name?: string; displayName?: string; mimeType: string; declaredBytes: number }): PendingUpload {
    let id: string;
    if (options.name !== undefined) {
      id = options.name.replace(/^files\//, "");
      if (!FILE_ID.test(id)) {
        throw invalidArgument(`Invalid file name "${options.name}": the id may hold up to 40 lowercase letters, digits or dashes, and may not start or end with a dash.`);
      }
      if (this.get(id)) throw new EmulatorApiError({ error: { code: 409, status: "ALREADY_EXISTS", message: `File files/${id} already exists.` } });
    } else {
      id = randomId();
    }
    if (options.declaredBytes > MAX_FILE_BYTES) throw invalidArgument(`File size ${options.declaredBytes} exceeds the limit of ${MAX_FILE_BYTES} bytes.`);
    if (this.storedBytes() + options.declaredBytes > MAX_PROJECT_BYTES) {
      throw new EmulatorApiError({ error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "The project's file storage quota (20 GB) is used up." } });
    }
    const upload: PendingUpload = { id: randomBytes(16).toString("base64url"), name: `files/${id}`, displayName: options.displayName, mimeType: options.mimeType, declaredBytes: options.declaredBytes, chunks: [], received: 0 };
    this.uploads.set(upload.id, upload);
    return upload;
  }

  pendingUpload(uploadId: string): PendingUpload | undefined {
    return this.uploads.get(uploadId);
  }

  /** Adds a chunk at `offset`; with `finalize`, checks the size and keeps the file. */
  receive(upload: PendingUpload, chunk: Buffer, offset: number, finalize: boolean): StoredFile | undefined {
    if (offset !== upload.received) {
      throw invalidArgument(`Upload offset ${offset} does not match the ${upload.received} bytes received so far.`);
    }
    if (upload.received + chunk.length > upload.declaredBytes) {
      this.uploads.delete(upload.id);
      throw invalidArgument(`The upload has more bytes than the ${upload.declaredBytes} declared when it started.`);
    }
    upload.chunks.push(chunk);
    upload.received += chunk.length;
    if (!finalize) return undefined;
    this.uploads.delete(upload.id);
    if (upload.received !== upload.declaredBytes) {
      throw invalidArgument(`The upload was finalized after ${upload.received} bytes; ${upload.declaredBytes} were declared when it started.`);
    }
    const id = upload.name.replace(/^files\//, "");
    if (this.get(id)) throw new EmulatorApiError({ error: { code: 409, status: "ALREADY_EXISTS", message: `File ${upload.name} already exists.` } });
    const now = this.now();
    const file: StoredFile = {
      name: upload.name,
      ...(upload.displayName ? { displayName: upload.displayName } : {}),
      mimeType: upload.mimeType,
      bytes: Buffer.concat(upload.chunks),
      createTime: now,
      expirationTime: now + FILE_LIFETIME_MS,
    };
    this.files.set(id, file);
    return file;
  }

  summary(): Array<{ name: string; mimeType: string; sizeBytes: number; expirationTime: string }> {
    return this.list().map((file) => ({ name: file.name, mimeType: file.mimeType, sizeBytes: file.bytes.length, expirationTime: isoTime(file.expirationTime) }));
  }
}

/** Twelve lowercase letters and digits, like the real service's generated ids. */
function randomId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(12)].map((byte) => alphabet[byte % alphabet.length]).join("");
}

/** The File resource as files.get and the finalizing upload answer it; `origin` is where the API is reached. */
export function fileResource(file: StoredFile, origin: string, apiVersion: string): Record<string, unknown> {
  return {
    name: file.name,
    ...(file.displayName ? { displayName: file.displayName } : {}),
    mimeType: file.mimeType,
    sizeBytes: String(file.bytes.length),
    createTime: isoTime(file.createTime),
    updateTime: isoTime(file.createTime),
    expirationTime: isoTime(file.expirationTime),
    // Documented as "encoded in base64"; what the encoding is applied to is not recorded here,
    // so this is base64 of the digest's hex form (the studio never reads it).
    sha256Hash: Buffer.from(createHash("sha256").update(file.bytes).digest("hex")).toString("base64"),
    uri: `${origin}/${apiVersion}/${file.name}`,
    state: "ACTIVE",
    source: "UPLOADED",
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The scheme and host the client reached this emulator at, for the URIs it hands out. */
export function requestOrigin(request: IncomingMessage): string {
  return `http://${header(request, "host") ?? "127.0.0.1"}`;
}

const startBodySchema = z.looseObject({
  file: z
    .looseObject({
      name: z.string().optional(),
      displayName: z.string().max(512).optional(),
      mimeType: z.string().optional(),
      sizeBytes: z.union([z.string(), z.number()]).optional(),
    })
    .optional(),
});

export type UploadAnswer =
  | { kind: "started"; uploadUrl: string }
  | { kind: "active"; received: number }
  | { kind: "final"; file: StoredFile };

/**
 * One request to /upload/{version}/files: a start (no upload_id), or bytes for an upload that was
 * started. Everything it refuses leaves the store as it was, except that an upload given more
 * bytes than it declared is dropped (its start must be repeated, as with Google's front end).
 */
export async function handleUpload(request: IncomingMessage, url: URL, store: FileStore, apiVersion: string): Promise<UploadAnswer> {
  const command = (header(request, "x-goog-upload-command") ?? "").toLowerCase().split(",").map((word) => word.trim()).filter(Boolean);
  const uploadId = url.searchParams.get("upload_id");
  if (!uploadId) {
    if (header(request, "x-goog-upload-protocol")?.toLowerCase() !== "resumable") {
      throw invalidArgument("Only resumable uploads are supported here: send X-Goog-Upload-Protocol: resumable.");
    }
    if (command.join(",") !== "start") {
      throw invalidArgument(`Unexpected X-Goog-Upload-Command "${header(request, "x-goog-upload-command") ?? ""}" for a new upload; it must be "start".`);
    }
    const raw = (await readBody(request)).toString("utf8");
    let json: unknown = {};
    try {
      json = raw.trim() ? JSON.parse(raw) : {};
    } catch {
      throw invalidArgument("Invalid JSON payload received.");
    }
    const parsed = startBodySchema.safeParse(json);
    if (!parsed.success) throw invalidArgument(`Invalid JSON payload received. ${parsed.error.issues.map((issue) => issue.message).join("; ")}`);
    const lengthHeader = header(request, "x-goog-upload-header-content-length");
    const declared = Number(lengthHeader ?? parsed.data.file?.sizeBytes);
    if (lengthHeader === undefined && parsed.data.file?.sizeBytes === undefined) {
      throw invalidArgument("Missing X-Goog-Upload-Header-Content-Length: the size of the file must be declared when the upload starts.");
    }
    if (!Number.isSafeInteger(declared) || declared < 0) throw invalidArgument(`Invalid upload size "${lengthHeader ?? String(parsed.data.file?.sizeBytes)}".`);
    const mimeType = header(request, "x-goog-upload-header-content-type") ?? parsed.data.file?.mimeType;
    if (!mimeType) throw invalidArgument("Missing X-Goog-Upload-Header-Content-Type: the file's MIME type must be declared when the upload starts.");
    const upload = store.startUpload({ name: parsed.data.file?.name, displayName: parsed.data.file?.displayName, mimeType, declaredBytes: declared });
    return { kind: "started", uploadUrl: `${requestOrigin(request)}/upload/${apiVersion}/files?upload_id=${upload.id}&upload_protocol=resumable` };
  }

  const upload = store.pendingUpload(uploadId);
  if (!upload) throw new EmulatorApiError({ error: { code: 404, status: "NOT_FOUND", message: "No upload session with this upload_id (it finished, failed or never started)." } });
  const uploads = command.includes("upload");
  const finalize = command.includes("finalize");
  if (command.length === 0 || command.some((word) => word !== "upload" && word !== "finalize")) {
    throw invalidArgument(`Unexpected X-Goog-Upload-Command "${header(request, "x-goog-upload-command") ?? ""}"; expected "upload", "upload, finalize" or "finalize".`);
  }
  const offsetHeader = header(request, "x-goog-upload-offset");
  const offset = Number(offsetHeader);
  if (offsetHeader === undefined || !Number.isSafeInteger(offset) || offset < 0) {
    throw invalidArgument("Missing or invalid X-Goog-Upload-Offset: each chunk must say where it starts.");
  }
  const chunk = uploads ? await readBody(request) : Buffer.alloc(0);
  const file = store.receive(upload, chunk, offset, finalize);
  return file ? { kind: "final", file } : { kind: "active", received: upload.received };
}

/** `files/{id}`, or a URI whose path ends in `/files/{id}`, as fileData.fileUri may name a file. */
export function fileIdFromUri(uri: string): string {
  const match = /(?:^|\/)files\/([^/?#]+)(?:[?#].*)?$/.exec(uri);
  return match?.[1] ?? uri;
}

interface WireFileData {
  fileUri?: unknown;
  mimeType?: unknown;
}

/** What a request's fileData parts resolved to, for its entry in the request log. */
export interface ResolvedFileNote {
  fileUri: string;
  name: string;
  sizeBytes: number;
  mimeType: string;
}

/**
 * The request (camelCase, as normalizeFieldNames makes it) with every `fileData` part that names
 * a live file replaced by that file's bytes as `inlineData`, so the rest of the pipeline
 * (validation, signatures, region edits, answers) treats it exactly as inline data. A part naming
 * a file that is gone gets the real 403. Other fields of the part (a signature) stay on it.
 */
export function resolveFileParts(normalized: unknown, store: FileStore): { request: unknown; files: ResolvedFileNote[] } {
  const files: ResolvedFileNote[] = [];
  if (normalized === null || typeof normalized !== "object" || !("contents" in normalized) || !Array.isArray(normalized.contents)) {
    return { request: normalized, files };
  }
  const contents = (normalized.contents as unknown[]).map((content) => {
    if (content === null || typeof content !== "object" || !("parts" in content) || !Array.isArray(content.parts)) return content;
    const parts = (content.parts as unknown[]).map((part) => {
      if (part === null || typeof part !== "object" || !("fileData" in part)) return part;
      const fileData = part.fileData as WireFileData | null;
      if (fileData === null || typeof fileData !== "object" || typeof fileData.fileUri !== "string") return part;
      const id = fileIdFromUri(fileData.fileUri);
      const file = store.get(id);
      if (!file) throw fileNotAccessible(id);
      files.push({ fileUri: fileData.fileUri, name: file.name, sizeBytes: file.bytes.length, mimeType: file.mimeType });
      const { fileData: _named, ...rest } = part as Record<string, unknown>;
      return { ...rest, inlineData: { mimeType: file.mimeType, data: file.bytes.toString("base64") } };
    });
    return { ...content, parts };
  });
  return { request: { ...normalized, contents }, files };
}

export const FILE_LIST_DEFAULT_PAGE_SIZE = 10;
export const FILE_LIST_MAX_PAGE_SIZE = 100;
