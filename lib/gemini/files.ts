import "server-only";

import { createHash } from "node:crypto";
import { ApiError, FileState, type Content, type GoogleGenAI, type Part } from "@google/genai";
import { LRUCache } from "lru-cache";
import pLimit from "p-limit";

/**
 * Fewer bytes upstream (STUDIO_GEMINI_FILES=1, generateContent only): the images on the user's
 * side of a conversation (references, masks, the images of earlier user turns) go to Google once
 * through the Files API, and every request after that names them by URI (`fileData`) instead of
 * carrying their base64 again. Google keeps a file 48 hours (docs/gemini-facts.md); an entry is
 * uploaded again when it is missing or has less than an hour left, and when Google answers that a
 * named file is gone (403 "You do not have permission to access the File … or it may not exist.")
 * the gateway drops the request's entries, uploads again and resends once (client.ts).
 *
 * The model's own turns are never touched: their images go back exactly as received, each with
 * its thought signature on the same part, as Gemini 3 checks them (request.ts). Those are most of
 * a follow-up's bytes; only the Interactions backend (interactions.ts) removes them.
 *
 * The map from image to file is in this process's memory, not in storage: a file is only Google's
 * for 48 hours and only for this API key's project, so there is nothing worth keeping across a
 * restart, and no table to clean. What that costs: each instance of the studio (and each restart)
 * uploads an image once more the first time it needs it, i.e. the bytes the request would have
 * carried inline anyway plus two small requests; Google's 20 GB a project bounds what all
 * instances keep at once (an upload Google refuses falls back to inline data). The map is an LRU
 * of `MAX_ENTRIES` (a few hundred bytes each), so a busy instance forgets its least used images
 * first and at worst uploads them again.
 *
 * An upload that fails or takes too long never fails the turn: that image goes inline, as
 * without this setting, and a warning is logged. Uploads run a few at a time (p-limit); the same
 * image asked for by two turns at once is uploaded once.
 */

export const MAX_ENTRIES = 2_000;
/** An entry with less time left than this is uploaded again before use: a long turn must not outlive its files. */
export const RENEW_WITHIN_MS = 60 * 60 * 1000;
export const FILE_LIFETIME_MS = 48 * 60 * 60 * 1000;
export const UPLOAD_CONCURRENCY = 4;
export const UPLOAD_TIMEOUT_MS = 30_000;
/**
 * Images smaller than this (as base64 characters) stay inline: a fileData part is ~150 bytes, and
 * a first upload costs two requests, which a tiny mask does not repay.
 */
export const MIN_INLINE_CHARS = 8 * 1024;

interface FileEntry {
  name: string;
  uri: string;
  mimeType: string;
  expiresAt: number;
}

export interface FileUploadsOptions {
  ai: Pick<GoogleGenAI, "files">;
  now: () => number;
  warn?: (event: string, fields: Record<string, unknown>) => void;
  maxEntries?: number;
  concurrency?: number;
  uploadTimeoutMs?: number;
  minInlineChars?: number;
}

export interface AttachedFiles {
  contents: Content[];
  /** The map's keys the request names by URI: what to drop when Google says a file is gone. */
  keys: string[];
  /** Base64 characters of images now named by URI instead of carried. */
  savedChars: number;
}

export interface FileUploads {
  /** `contents` with user-side images named by URI where an upload is (or was) possible. */
  attach(contents: readonly Content[], signal?: AbortSignal): Promise<AttachedFiles>;
  forget(keys: readonly string[]): void;
  readonly size: number;
}

/** Google's answer when a named file was deleted or has expired (emulator/files.ts has the same words). */
export function isMissingFileError(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403 && /permission to access the File\b/.test(error.message);
}

function keyOf(mimeType: string, data: string): string {
  return createHash("sha256").update(mimeType).update("\n").update(data).digest("base64url");
}

function isUserContent(content: Content): boolean {
  return content.role === undefined || content.role === "user";
}

export function createFileUploads(options: FileUploadsOptions): FileUploads {
  const cache = new LRUCache<string, FileEntry>({ max: options.maxEntries ?? MAX_ENTRIES });
  const pending = new Map<string, Promise<FileEntry | null>>();
  const limit = pLimit(options.concurrency ?? UPLOAD_CONCURRENCY);
  const timeoutMs = options.uploadTimeoutMs ?? UPLOAD_TIMEOUT_MS;
  const minChars = options.minInlineChars ?? MIN_INLINE_CHARS;

  async function upload(mimeType: string, data: string): Promise<FileEntry> {
    const startedAt = options.now();
    const bytes = Buffer.from(data, "base64");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`The upload took longer than ${timeoutMs} ms.`)), timeoutMs);
    });
    try {
      // The SDK's upload takes no abort signal past its first request; a late one finishes unused.
      const file = await Promise.race([options.ai.files.upload({ file: new Blob([bytes], { type: mimeType }), config: { mimeType } }), timedOut]);
      if (!file.uri || !file.name) throw new Error("Google accepted the upload but named no file.");
      if (file.state !== undefined && file.state !== FileState.ACTIVE) throw new Error(`The uploaded file is ${String(file.state)}, not ACTIVE.`);
      // Measured on this clock from before the upload, so a skewed server clock can't stretch it.
      const lifetime = Date.parse(file.expirationTime ?? "") - Date.parse(file.createTime ?? "");
      const expiresAt = startedAt + (Number.isFinite(lifetime) && lifetime > 0 ? Math.min(lifetime, FILE_LIFETIME_MS) : FILE_LIFETIME_MS);
      return { name: file.name, uri: file.uri, mimeType: file.mimeType ?? mimeType, expiresAt };
    } finally {
      clearTimeout(timer);
    }
  }

  function ensure(key: string, mimeType: string, data: string): Promise<FileEntry | null> {
    const cached = cache.get(key);
    if (cached && cached.expiresAt - options.now() > RENEW_WITHIN_MS) return Promise.resolve(cached);
    const running = pending.get(key);
    if (running) return running;
    const started = limit(() => upload(mimeType, data))
      .then(
        (entry) => {
          cache.set(key, entry);
          return entry;
        },
        (error: unknown) => {
          cache.delete(key);
          options.warn?.("gemini_file_upload_failed", {
            mimeType,
            bytes: Math.floor((data.length * 3) / 4),
            error: error instanceof Error ? error.message : String(error),
            fallback: "inline",
          });
          return null;
        },
      )
      .finally(() => pending.delete(key));
    pending.set(key, started);
    return started;
  }

  return {
    async attach(contents, signal) {
      const wanted = new Map<string, Promise<FileEntry | null>>();
      const keyed = contents.map((content) =>
        isUserContent(content)
          ? (content.parts ?? []).map((part) => {
              const blob = part.inlineData;
              if (!blob?.data || !blob.mimeType || part.thought || blob.data.length < minChars) return null;
              const key = keyOf(blob.mimeType, blob.data);
              if (!wanted.has(key)) wanted.set(key, ensure(key, blob.mimeType, blob.data));
              return key;
            })
          : [],
      );
      if (wanted.size === 0) return { contents: [...contents], keys: [], savedChars: 0 };
      const aborted = new Promise<"aborted">((resolve) => {
        if (signal?.aborted) resolve("aborted");
        signal?.addEventListener("abort", () => resolve("aborted"), { once: true });
      });
      // A cancel doesn't wait for uploads: the attempt that follows stops at once anyway.
      const settled = await Promise.race([Promise.all(wanted.values()), aborted]);
      if (settled === "aborted") return { contents: [...contents], keys: [], savedChars: 0 };
      const entries = new Map([...wanted.keys()].map((key, index) => [key, settled[index] ?? null]));
      const keys = new Set<string>();
      let savedChars = 0;
      const attached = contents.map((content, contentIndex) => {
        const partKeys = keyed[contentIndex] ?? [];
        if (!partKeys.some((key) => key && entries.get(key))) return content;
        const parts = (content.parts ?? []).map((part, partIndex): Part => {
          const key = partKeys[partIndex];
          const entry = key ? entries.get(key) : null;
          if (!key || !entry) return part;
          keys.add(key);
          savedChars += part.inlineData?.data?.length ?? 0;
          const { inlineData: _carried, ...rest } = part;
          return { ...rest, fileData: { fileUri: entry.uri, mimeType: entry.mimeType } };
        });
        return { ...content, parts };
      });
      return { contents: attached, keys: [...keys], savedChars };
    },
    forget(keys) {
      for (const key of keys) cache.delete(key);
    },
    get size() {
      return cache.size;
    },
  };
}
