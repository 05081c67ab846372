import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crc32Reference, readZip } from "@/e2e/support/unzip";
import { ZipEntryError, ZipLimitError, ZipWriter, buildZip, createZipStream, toDosDateTime, type ZipEntry } from "./zip";

const NOW = new Date(2026, 10, 22, 10, 15, 42);

function hasCommand(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

const HAS_UNZIP = hasCommand("unzip", ["-v"]);
const HAS_PYTHON = hasCommand("python3", ["--version"]);

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const PHOTO = randomBytes(5_000);
const SMALL = randomBytes(300);

const sampleEntries = (): ZipEntry[] => [
  { name: "README.txt", data: "Hello\n".repeat(200) },
  { name: "session.json", data: JSON.stringify({ title: "Cafés & crème — 東京", turns: [1, 2, 3] }, null, 2) },
  { name: "images/gen-cat-20261122-101500.jpg", data: PHOTO, method: "store" },
  { name: "images/empty.bin", data: new Uint8Array(0), method: "store" },
  { name: "références/01-été.png", data: SMALL, method: "store" },
];

describe("crc32", () => {
  it("matches the standard check value", () => {
    expect(crc32Reference(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });
});

describe("toDosDateTime", () => {
  it("packs local wall-clock time with 2-second resolution", () => {
    const { date, time } = toDosDateTime(NOW);
    expect(date).toBe(((2026 - 1980) << 9) | (11 << 5) | 22);
    expect(time).toBe((10 << 11) | (15 << 5) | 21);
  });

  it("clamps dates the format cannot hold", () => {
    expect(toDosDateTime(new Date(1970, 0, 1))).toEqual({ date: (1 << 5) | 1, time: 0 });
    expect(toDosDateTime(new Date(2200, 0, 1)).date >> 9).toBe(127);
  });
});

describe("buildZip", () => {
  it("round-trips names, bytes, methods and times", () => {
    const entries = sampleEntries();
    const read = readZip(buildZip(entries, { now: NOW }));
    expect(read.map((entry) => entry.name)).toEqual(entries.map((entry) => entry.name));
    for (const [index, entry] of read.entries()) {
      const original = entries[index]!;
      const expected = typeof original.data === "string" ? Buffer.from(original.data, "utf8") : Buffer.from(original.data);
      expect(entry.data.equals(expected)).toBe(true);
      expect(entry.flags & (1 << 11)).not.toBe(0);
      expect(entry.modifiedAt?.getTime()).toBe(Math.floor(NOW.getTime() / 1000) * 1000);
      expect(entry.externalAttributes >>> 16).toBe(0o100644);
    }
    // Text deflates; images are stored as they are.
    expect(read[0]?.method).toBe(8);
    expect(read[0]!.compressedSize).toBeLessThan(read[0]!.size);
    expect(read[2]?.method).toBe(0);
  });

  it("stores data that deflate would not shrink", () => {
    const [entry] = readZip(buildZip([{ name: "noise.bin", data: randomBytes(2_000) }]));
    expect(entry?.method).toBe(0);
    expect(entry?.compressedSize).toBe(2_000);
  });

  it("uses each entry's own modification time", () => {
    const at = new Date(Date.UTC(2025, 0, 2, 3, 4, 6));
    const [entry] = readZip(buildZip([{ name: "a.txt", data: "a", modifiedAt: at }], { now: NOW }));
    expect(entry?.modifiedAt?.toISOString()).toBe(at.toISOString());
    expect(entry?.dosDate).toBe(toDosDateTime(at).date);
  });

  it("writes a valid empty archive", () => {
    const zip = buildZip([]);
    expect(zip.byteLength).toBe(22);
    expect(readZip(zip)).toEqual([]);
  });

  it.each(["", "/etc/passwd", "../escape.txt", "a/../../b", "a\\b.txt", "dir/", "a//b", "./a"])("refuses the unsafe name %j", (name) => {
    expect(() => buildZip([{ name, data: "x" }])).toThrow(ZipEntryError);
  });

  it("refuses two entries with the same name, also differing only in case", () => {
    expect(() => buildZip([{ name: "a.txt", data: "1" }, { name: "A.TXT", data: "2" }])).toThrow(ZipEntryError);
  });

  it("refuses an archive over the size limit clearly instead of writing a broken one", () => {
    const writer = new ZipWriter({ maxBytes: 1_000 });
    writer.add({ name: "small.bin", data: randomBytes(400), method: "store" });
    expect(() => writer.add({ name: "big.bin", data: randomBytes(600), method: "store" })).toThrow(
      expect.objectContaining({ name: "ZipLimitError", reason: "archive_too_large", message: expect.stringMatching(/larger than .*ZIP64/) }),
    );
    // The refused entry left nothing behind: the archive still finishes and reads back.
    writer.finish();
  });

  it("refuses more entries than a zip without ZIP64 can count", () => {
    const writer = new ZipWriter();
    for (let index = 0; index < 0xfffe; index += 1) writer.add({ name: `f${index}`, data: "", method: "store" });
    expect(() => writer.add({ name: "one-too-many", data: "", method: "store" })).toThrow(ZipLimitError);
  });

  it("does not take entries after finish", () => {
    const writer = new ZipWriter();
    writer.finish();
    expect(() => writer.add({ name: "late.txt", data: "x" })).toThrow(ZipEntryError);
  });
});

describe("createZipStream", () => {
  it("streams the same bytes buildZip makes, pulling entries lazily", async () => {
    const entries = sampleEntries();
    const pulled: string[] = [];
    async function* source() {
      for (const entry of entries) {
        pulled.push(entry.name);
        yield entry;
      }
    }
    const stream = createZipStream(source(), { now: NOW });
    // Nothing is produced until the reader asks.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(pulled).toEqual([]);
    expect(Buffer.from(await readAll(stream)).equals(Buffer.from(buildZip(entries, { now: NOW })))).toBe(true);
    expect(pulled).toHaveLength(entries.length);
  });

  it("errors the stream on a refused entry and closes the source", async () => {
    let closed = false;
    async function* source() {
      try {
        yield { name: "a.bin", data: randomBytes(600), method: "store" } satisfies ZipEntry;
        yield { name: "b.bin", data: randomBytes(600), method: "store" } satisfies ZipEntry;
      } finally {
        closed = true;
      }
    }
    await expect(readAll(createZipStream(source(), { maxBytes: 1_000 }))).rejects.toBeInstanceOf(ZipLimitError);
    expect(closed).toBe(true);
  });

  it("stops the source when the reader cancels", async () => {
    let closed = false;
    function* source() {
      try {
        for (let index = 0; ; index += 1) yield { name: `${index}.txt`, data: "x" } satisfies ZipEntry;
      } finally {
        closed = true;
      }
    }
    const reader = createZipStream(source()).getReader();
    await reader.read();
    await reader.cancel();
    expect(closed).toBe(true);
  });
});

describe("other readers accept the archive", () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-zip-"));
    file = path.join(dir, "sample.zip");
    await fs.writeFile(file, buildZip(sampleEntries(), { now: NOW }));
  });

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!HAS_UNZIP)("unzip -t finds no errors and unzip -l lists every name", () => {
    expect(execFileSync("unzip", ["-t", file], { encoding: "utf8" })).toContain("No errors detected");
    const listing = execFileSync("unzip", ["-l", file], { encoding: "utf8" });
    for (const entry of sampleEntries()) expect(listing).toContain(entry.name);
  });

  it.skipIf(!HAS_UNZIP)("unzip extracts the files byte for byte", async () => {
    const out = path.join(dir, "out");
    execFileSync("unzip", ["-q", file, "-d", out]);
    for (const entry of sampleEntries()) {
      const expected = typeof entry.data === "string" ? Buffer.from(entry.data) : Buffer.from(entry.data);
      expect((await fs.readFile(path.join(out, entry.name))).equals(expected)).toBe(true);
    }
  });

  it.skipIf(!HAS_PYTHON)("Python's zipfile tests it and reads the UTF-8 names", () => {
    const script = "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint('\\n'.join(z.namelist()))";
    const names = execFileSync("python3", ["-c", script, file], { encoding: "utf8", env: { ...process.env, PYTHONIOENCODING: "utf-8" } });
    expect(names.trim().split("\n")).toEqual(sampleEntries().map((entry) => entry.name));
  });
});
