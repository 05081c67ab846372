/**
 * Output naming from the seed skill: `{kind}-{slug}-{timestamp}.{ext}`, where the
 * slug is a kebab-case label from the first words of the prompt and the
 * timestamp is YYYYMMDD-HHMMSS. Shared by downloads and the data directory.
 */
export type OutputKind = "gen" | "edit" | "search";

const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/heic": "heic",
  "image/heif": "heif",
  "image/gif": "gif",
};

export function extensionForMimeType(mimeType: string): string {
  return EXTENSIONS[mimeType.toLowerCase()] ?? "bin";
}

export function promptSlug(prompt: string, maxWords = 5): string {
  const words = prompt
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/\[\[[^\]]*\]\]/g, " ")
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .slice(0, maxWords);
  const slug = words.join("-").slice(0, 48).replace(/-+$/, "");
  return slug || "image";
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** Local wall-clock time, like the seed's `datetime.now()`. */
export function fileTimestamp(at: Date): string {
  return (
    `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}-` +
    `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`
  );
}

export function outputKind(options: { hasReferences: boolean; hasHistory: boolean; grounded: boolean }): OutputKind {
  if (options.grounded) return "search";
  if (options.hasReferences || options.hasHistory) return "edit";
  return "gen";
}

export function outputFileName(options: {
  kind: OutputKind;
  prompt: string;
  at: Date;
  mimeType: string;
  index?: number;
}): string {
  const suffix = options.index && options.index > 0 ? `-${options.index + 1}` : "";
  return `${options.kind}-${promptSlug(options.prompt)}-${fileTimestamp(options.at)}${suffix}.${extensionForMimeType(options.mimeType)}`;
}
