import "server-only";

import type { GenerationSettings, Grounding, StudioError, Usage } from "@/lib/gemini/types";
import { isStorageId, StorageError, type OwnerId, type Session, type Storage, type Turn, type TurnStatus } from "@/lib/storage/types";
import { ImageStoreError } from "@/lib/storage/image-store";
import { describeSource } from "@/lib/studio/citations";
import { extensionForMimeType, fileTimestamp } from "@/lib/studio/file-names";
import type { ActionResult } from "@/lib/studio/result";
import { buildSearchWidgetDocument, hasSearchWidget } from "@/lib/studio/search-widget";
import { buildTurnTree, numberTurns, type TurnTree } from "@/lib/studio/turn-tree";
import type { ZipEntry } from "./zip";

/**
 * A session as a zip: its final images, the reference images its prompts used, Google's search
 * suggestions for grounded turns, and `session.json` describing every turn. Thought images are
 * drafts the model drew while thinking, not results: they are never exported.
 *
 * Everything about the archive is decided up front from the turns (names, layout), but image
 * bytes are read only as their entry is written, so a session of large images streams through
 * the server one image at a time. `session.json` goes last so it can say which files the data
 * directory no longer had.
 */

export const SESSION_EXPORT_FORMAT = "nano-banana-studio.session-export";
/** Bump on any change a reader of session.json could trip over (renamed or retyped fields). */
export const SESSION_EXPORT_SCHEMA_VERSION = 1;

export type SessionExportErrorCode = "not_found" | "storage_failed";

export interface SessionExport {
  session: Session;
  /** `<title-slug>-<YYYYMMDD-HHMMSS>.zip`; the slug keeps non-ASCII letters. */
  fileName: string;
  /** The same name in ASCII only, for clients that ignore `filename*`. */
  asciiFileName: string;
  /** A fresh pass over the archive's entries each call; image bytes are read as each entry is reached. */
  entries(): AsyncGenerator<ZipEntry>;
}

/** Why a file that session.json names is not in the archive. */
export type OmittedReason = "unfinished" | "missing_from_storage";

export interface ExportedReference {
  /** Path inside the zip, or null when the file is not in it (see `omitted`). */
  file: string | null;
  omitted?: OmittedReason;
  hash: string;
  mimeType: string;
  width: number | null;
  height: number | null;
  byteLength: number | null;
  role: string | null;
}

export interface ExportedOutput {
  file: string | null;
  omitted?: OmittedReason;
  /** The name the studio gives the image's download (and its copy in the data directory). */
  fileName: string | null;
  hash: string;
  mimeType: string;
  width: number | null;
  height: number | null;
  byteLength: number | null;
  requested: { width: number; height: number } | null;
  sizeMismatch: boolean;
}

export interface ExportedGrounding {
  webQueries: string[];
  imageQueries: string[];
  /** `number` is how the studio shows the source ([1], [2], ...); supports point at `index`. */
  sources: Array<{
    number: number;
    index: number;
    kind: "web" | "image";
    uri: string;
    title: string | null;
    domain: string | null;
    imageUri: string | null;
  }>;
  /** Byte offsets count UTF-8 bytes of the turn's `text`, as the service sent them. */
  supports: Array<{ startByte: number; endByte: number; text: string; sourceIndices: number[]; sourceNumbers: number[] }>;
  /** Google's search-suggestions widget as a standalone page; its terms require showing it with the result. */
  searchSuggestions: string | null;
}

export interface ExportedTurn {
  id: string;
  parentId: string | null;
  /** "Turn 3" in the studio: creation order in the session, the one numbering every view uses. */
  number: number;
  /** 0 for a first turn; a child is one deeper than its parent. */
  depth: number;
  status: TurnStatus;
  createdAt: string;
  updatedAt: string;
  prompt: string;
  model: string;
  /** The exact model version that answered, when the service said. */
  modelVersion: string | null;
  settings: GenerationSettings;
  references: ExportedReference[];
  outputs: ExportedOutput[];
  text: string;
  grounding: ExportedGrounding | null;
  usage: Usage | null;
  finishReason: string | null;
  /** Google's own explanation of the finish, verbatim (markdown links kept as text). */
  finishMessage: string | null;
  blockReason: string | null;
  warnings: string[];
  responseId: string | null;
  attempts: number;
  error: StudioError | null;
}

export interface SessionExportManifest {
  format: typeof SESSION_EXPORT_FORMAT;
  schemaVersion: typeof SESSION_EXPORT_SCHEMA_VERSION;
  exportedAt: string;
  session: { id: string; title: string; createdAt: string; updatedAt: string; turnCount: number };
  /** Depth-first: each turn before its children, siblings oldest first. */
  turns: ExportedTurn[];
}

/** Formats the studio keeps in their own compressed form; deflating them again gains nothing. */
const COMPRESSED_IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/webp", "image/heic", "image/heif", "image/gif"]);

function fail(code: SessionExportErrorCode, message: string): ActionResult<never, SessionExportErrorCode> {
  return { ok: false, error: { code, message } };
}

/** Every turn, each before its children, siblings in creation order, with its depth. */
function treeOrder(tree: TurnTree<Turn>): Array<{ turn: Turn; depth: number }> {
  const ordered: Array<{ turn: Turn; depth: number }> = [];
  const stack = [...(tree.children.get(null) ?? [])].reverse().map((turn) => ({ turn, depth: 0 }));
  // Iterative rather than recursive: a long edit chain is a deep tree.
  for (let next = stack.pop(); next; next = stack.pop()) {
    ordered.push(next);
    const children = tree.children.get(next.turn.id) ?? [];
    for (let index = children.length - 1; index >= 0; index -= 1) stack.push({ turn: children[index]!, depth: next.depth + 1 });
  }
  return ordered;
}

function splitExtension(name: string): { stem: string; extension: string } {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? { stem: name.slice(0, dot), extension: name.slice(dot) } : { stem: name, extension: "" };
}

/**
 * The stored name as a single safe path segment. Names come from the studio's own naming and are
 * already safe; this only guards against a row edited by hand turning into a path outside images/.
 */
function safeSegment(name: string, fallback: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, "-")
    .replace(/^[.\s]+/, "")
    .trim();
  return cleaned || fallback;
}

/** Lower-case letters and digits of any script, joined by hyphens; at most 60 characters. */
export function sessionSlug(title: string): string {
  const slug = title
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, "-")
    .replace(/^-+|-+$/g, "");
  // By code points, so a cut never splits a surrogate pair.
  return Array.from(slug).slice(0, 60).join("").replace(/-+$/, "") || "session";
}

/** The same slug reduced to ASCII: accents dropped, other scripts removed. */
export function asciiSessionSlug(title: string): string {
  return sessionSlug(title.normalize("NFKD").replace(/\p{M}/gu, "").replace(/[^\x20-\x7e]+/g, " "));
}

/**
 * `Content-Disposition: attachment` per RFC 6266: a plain `filename` every client reads, plus
 * `filename*` (RFC 8187 UTF-8 percent-encoding) when the real name is not ASCII, which modern
 * browsers prefer.
 */
export function attachmentContentDisposition(fileName: string, asciiFallback: string): string {
  const quoted = asciiFallback.replace(/[^\x20-\x7e]|["\\]/g, "_");
  if (fileName === quoted) return `attachment; filename="${quoted}"`;
  // encodeURIComponent leaves ' ( ) * alone, but RFC 8187's attr-char does not allow them.
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${quoted}"; filename*=UTF-8''${encoded}`;
}

interface PlannedFile {
  path: string;
  hash: string;
  mimeType: string;
  modifiedAt: Date;
}

interface Plan {
  images: PlannedFile[];
  references: PlannedFile[];
  /** Output path per turn and image position; undefined when the image is not exported. */
  outputPaths: Map<string, Array<string | undefined>>;
  referencePaths: Map<string, string>;
  suggestionPaths: Map<string, string>;
}

function planFiles(ordered: ReadonlyArray<{ turn: Turn }>): Plan {
  const images: PlannedFile[] = [];
  const references: PlannedFile[] = [];
  const outputPaths = new Map<string, Array<string | undefined>>();
  const referencePaths = new Map<string, string>();
  const suggestionPaths = new Map<string, string>();
  /** Lower-cased path -> hash: case-insensitive file systems would merge names differing in case. */
  const takenPaths = new Map<string, string>();

  const referenceHashes: string[] = [];
  for (const { turn } of ordered) {
    for (const reference of turn.request.references) {
      if (!referenceHashes.includes(reference.hash)) referenceHashes.push(reference.hash);
    }
  }
  const width = Math.max(2, String(referenceHashes.length).length);

  for (const { turn } of ordered) {
    const paths: Array<string | undefined> = [];
    for (const image of turn.outcome?.images ?? []) {
      // No fileName: the turn never finished (running, or failed part-way), so the studio offers
      // no download for it either.
      if (!image.fileName) {
        paths.push(undefined);
        continue;
      }
      const name = safeSegment(image.fileName, `image-${image.hash.slice(0, 8)}.${extensionForMimeType(image.mimeType)}`);
      const { stem, extension } = splitExtension(name);
      for (let copy = 1; ; copy += 1) {
        const candidate = `images/${copy === 1 ? name : `${stem}-${copy}${extension}`}`;
        const holder = takenPaths.get(candidate.toLowerCase());
        if (holder === image.hash) {
          // The same bytes under the same name (one image shown in two turns): one file serves both.
          paths.push(candidate);
          break;
        }
        if (holder === undefined) {
          takenPaths.set(candidate.toLowerCase(), image.hash);
          images.push({ path: candidate, hash: image.hash, mimeType: image.mimeType, modifiedAt: new Date(turn.updatedAt) });
          paths.push(candidate);
          break;
        }
      }
    }
    outputPaths.set(turn.id, paths);

    for (const reference of turn.request.references) {
      if (referencePaths.has(reference.hash)) continue;
      const number = String(referenceHashes.indexOf(reference.hash) + 1).padStart(width, "0");
      const file = `references/${number}-${reference.hash.slice(0, 8)}.${extensionForMimeType(reference.mimeType)}`;
      referencePaths.set(reference.hash, file);
      references.push({ path: file, hash: reference.hash, mimeType: reference.mimeType, modifiedAt: new Date(turn.createdAt) });
    }

    if (hasSearchWidget(turn.outcome?.grounding?.searchEntryPointHtml)) {
      suggestionPaths.set(turn.id, `search-suggestions/${turn.id}.html`);
    }
  }
  return { images, references, outputPaths, referencePaths, suggestionPaths };
}

function exportGrounding(grounding: Grounding, searchSuggestions: string | null): ExportedGrounding {
  const sources = grounding.sources.map((source, position) => {
    const view = describeSource(source, position + 1);
    return {
      number: view.number,
      index: source.index,
      kind: source.kind,
      uri: source.uri,
      title: source.title,
      domain: view.domain,
      imageUri: source.imageUri ?? null,
    };
  });
  const numberOf = new Map(sources.map((source) => [source.index, source.number]));
  return {
    webQueries: grounding.webQueries,
    imageQueries: grounding.imageQueries,
    sources,
    supports: grounding.supports.map((support) => ({
      startByte: support.startByte,
      endByte: support.endByte,
      text: support.text,
      sourceIndices: support.sourceIndices,
      sourceNumbers: support.sourceIndices.flatMap((index) => numberOf.get(index) ?? []),
    })),
    searchSuggestions,
  };
}

interface FileFacts {
  byteLength: Map<string, number>;
  missing: Set<string>;
}

function buildManifest(
  session: Session,
  ordered: ReadonlyArray<{ turn: Turn; depth: number }>,
  plan: Plan,
  facts: FileFacts,
  exportedAt: Date,
): SessionExportManifest {
  const numbers = numberTurns(ordered.map(({ turn }) => turn));
  const located = (path: string | undefined): Pick<ExportedOutput, "file" | "omitted" | "byteLength"> => {
    if (path === undefined) return { file: null, omitted: "unfinished", byteLength: null };
    if (facts.missing.has(path)) return { file: null, omitted: "missing_from_storage", byteLength: null };
    return { file: path, byteLength: facts.byteLength.get(path) ?? null };
  };

  return {
    format: SESSION_EXPORT_FORMAT,
    schemaVersion: SESSION_EXPORT_SCHEMA_VERSION,
    exportedAt: exportedAt.toISOString(),
    session: {
      id: session.id,
      title: session.title,
      createdAt: session.createdAt,
      updatedAt: session.updatedAt,
      turnCount: ordered.length,
    },
    turns: ordered.map(({ turn, depth }) => {
      const outcome = turn.outcome;
      const paths = plan.outputPaths.get(turn.id) ?? [];
      return {
        id: turn.id,
        parentId: turn.parentId,
        number: numbers.get(turn.id) ?? 0,
        depth,
        status: turn.status,
        createdAt: turn.createdAt,
        updatedAt: turn.updatedAt,
        prompt: turn.request.prompt,
        model: turn.request.settings.model,
        modelVersion: outcome?.modelVersion ?? null,
        settings: turn.request.settings,
        references: turn.request.references.map((reference) => ({
          ...located(plan.referencePaths.get(reference.hash)),
          hash: reference.hash,
          mimeType: reference.mimeType,
          width: reference.width,
          height: reference.height,
          role: reference.role ?? null,
        })),
        outputs: (outcome?.images ?? []).map((image, index) => ({
          ...located(paths[index]),
          fileName: image.fileName,
          hash: image.hash,
          mimeType: image.mimeType,
          width: image.width,
          height: image.height,
          requested: image.requested,
          sizeMismatch: image.sizeMismatch,
        })),
        text: outcome?.text ?? "",
        grounding: outcome?.grounding ? exportGrounding(outcome.grounding, plan.suggestionPaths.get(turn.id) ?? null) : null,
        usage: outcome?.usage ?? null,
        finishReason: outcome?.finishReason ?? null,
        finishMessage: outcome?.finishMessage ?? null,
        blockReason: outcome?.blockReason ?? null,
        warnings: outcome?.warnings ?? [],
        responseId: outcome?.responseId ?? null,
        attempts: turn.attempts,
        error: turn.error,
      };
    }),
  };
}

function buildReadme(session: Session, plan: Plan, exportedAt: Date): string {
  const lines = [
    "Nano Banana Studio: session export",
    "",
    `Session:  ${session.title}`,
    `Exported: ${exportedAt.toISOString()}`,
    "",
    "session.json",
    "  Every turn in tree order (each turn before the turns that continue it): prompt, settings,",
    "  model, reference and output files, the model's text, Google Search grounding (queries,",
    "  numbered sources, supports), token usage, finish reason and Google's own finish message, and",
    "  the error of failed turns.",
    "  A turn's parentId names the turn it continued; turns sharing a parent are branches.",
    "  A turn's number is the one the studio shows (\"Turn 3\"): its place in the order the turns were made.",
  ];
  if (plan.images.length > 0) {
    lines.push("", "images/", "  The final images, named like the studio's downloads: {kind}-{prompt words}-{YYYYMMDD-HHMMSS}.");
  }
  if (plan.references.length > 0) {
    lines.push("", "references/", "  The reference images the prompts used, numbered by first use; session.json says which turn used which.");
  }
  if (plan.suggestionPaths.size > 0) {
    lines.push(
      "",
      "search-suggestions/",
      "  Google Search suggestions for each grounded turn, as Google provides them (open in a browser).",
      "  Google's terms require showing them with the grounded result wherever it is displayed.",
    );
  }
  lines.push(
    "",
    "Thought images (drafts the model drew while thinking) are not results and are not included.",
    "Every image Gemini makes carries an invisible SynthID watermark.",
    "",
  );
  return lines.join("\n");
}

/**
 * Plans the export of one of `ownerId`'s sessions. Another owner's session, an unknown id and a
 * malformed one are all "not_found", so an id reveals nothing about sessions that are not yours.
 * Errors while reading images later (in `entries`) surface from the iteration.
 */
export async function buildSessionExport(
  storage: Storage,
  ownerId: OwnerId,
  sessionId: string,
  options: { now?: () => Date } = {},
): Promise<ActionResult<SessionExport, SessionExportErrorCode>> {
  if (!isStorageId(sessionId)) return fail("not_found", "That session doesn't exist.");
  let session: Session | null;
  let turns: Turn[];
  try {
    session = await storage.sessions.get(ownerId, sessionId);
    if (!session) return fail("not_found", "That session doesn't exist.");
    turns = await storage.turns.listBySession(ownerId, sessionId);
  } catch (error) {
    if (error instanceof StorageError || error instanceof ImageStoreError) return fail("storage_failed", error.message);
    throw error;
  }

  const exportedAt = (options.now ?? (() => new Date()))();
  const stamp = fileTimestamp(exportedAt);
  const ordered = treeOrder(buildTurnTree(turns));
  const plan = planFiles(ordered);
  const found = session;

  async function* entries(): AsyncGenerator<ZipEntry> {
    const facts: FileFacts = { byteLength: new Map(), missing: new Set() };
    yield { name: "README.txt", data: buildReadme(found, plan, exportedAt), modifiedAt: exportedAt };
    for (const file of [...plan.images, ...plan.references]) {
      const stored = await storage.images.get(file.hash);
      if (!stored) {
        facts.missing.add(file.path);
        continue;
      }
      facts.byteLength.set(file.path, stored.bytes.byteLength);
      yield {
        name: file.path,
        data: stored.bytes,
        modifiedAt: file.modifiedAt,
        method: COMPRESSED_IMAGE_TYPES.has(stored.image.mimeType) ? "store" : "deflate",
      };
    }
    for (const { turn } of ordered) {
      const path = plan.suggestionPaths.get(turn.id);
      const html = turn.outcome?.grounding?.searchEntryPointHtml;
      if (path && html) yield { name: path, data: buildSearchWidgetDocument(html), modifiedAt: new Date(turn.updatedAt) };
    }
    const manifest = buildManifest(found, ordered, plan, facts, exportedAt);
    yield { name: "session.json", data: `${JSON.stringify(manifest, null, 2)}\n`, modifiedAt: exportedAt };
  }

  return {
    ok: true,
    data: {
      session,
      fileName: `${sessionSlug(session.title)}-${stamp}.zip`,
      asciiFileName: `${asciiSessionSlug(session.title)}-${stamp}.zip`,
      entries,
    },
  };
}
