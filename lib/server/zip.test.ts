import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readZip } from "@/test/support/unzip";
import { ZIP_MAX_ENTRIES, ZipEntryError, ZipLimitError, createZipStream, type ZipEntry, type ZipStreamOptions } from "./zip";

const NOW = new Date(2026, 10, 22, 10, 15, 42);

function hasCommand(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

const HAS_UNZIP = hasCommand("unzip", ["-v"]);
const HAS_PYTHON = hasCommand("python3", ["--version"]);

async function zipOf(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>, options?: ZipStreamOptions): Promise<Uint8Array> {
  return new Uint8Array(await new Response(createZipStream(entries, options)).arrayBuffer());
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

describe("createZipStream", () => {
  it("round-trips names, bytes, methods, times and permissions", async () => {
    const entries = sampleEntries();
    const read = await readZip(await zipOf(entries, { now: NOW }));
    expect(read.map((entry) => entry.name)).toEqual(entries.map((entry) => entry.name));
    for (const [index, entry] of read.entries()) {
      const original = entries[index]!;
      const expected = typeof original.data === "string" ? Buffer.from(original.data, "utf8") : Buffer.from(original.data);
      expect(entry.data.equals(expected)).toBe(true);
      expect(entry.flags & (1 << 11)).not.toBe(0);
      expect(entry.modifiedAt.getTime()).toBe(Math.floor(NOW.getTime() / 1000) * 1000);
      expect(entry.externalAttributes >>> 16).toBe(0o100644);
    }
    // Text deflates; images are stored as they are.
    expect(read[0]?.method).toBe(8);
    expect(read[0]!.compressedSize).toBeLessThan(read[0]!.size);
    expect(read[2]?.method).toBe(0);
  });

  it("writes DOS times as local wall-clock time with 2-second resolution, and the exact second beside them", async () => {
    const [entry] = await readZip(await zipOf([{ name: "a.txt", data: "a" }], { now: NOW }));
    expect(entry?.dosDate).toBe(((2026 - 1980) << 9) | (11 << 5) | 22);
    expect(entry?.dosTime).toBe((10 << 11) | (15 << 5) | 21);
    // An odd second: only the extended timestamp field can carry it.
    const at = new Date(Date.UTC(2025, 0, 2, 3, 4, 7));
    const [own] = await readZip(await zipOf([{ name: "b.txt", data: "b", modifiedAt: at }], { now: NOW }));
    expect(own?.modifiedAt.toISOString()).toBe(at.toISOString());
  });

  it("clamps dates the DOS fields cannot hold", async () => {
    const read = await readZip(
      await zipOf([
        { name: "old.txt", data: "x", modifiedAt: new Date(1970, 0, 1) },
        { name: "future.txt", data: "x", modifiedAt: new Date(2200, 0, 1) },
        { name: "invalid.txt", data: "x", modifiedAt: new Date(Number.NaN) },
      ], { now: NOW }),
    );
    expect(read[0]?.dosDate).toBe((0 << 9) | (1 << 5) | 1);
    expect((read[1]?.dosDate ?? 0) >> 9).toBe(127);
    // An invalid date falls back to the stream's time.
    expect(read[2]?.dosDate).toBe(((2026 - 1980) << 9) | (11 << 5) | 22);
  });

  it("writes a valid empty archive", async () => {
    const zip = await zipOf([]);
    expect(zip.byteLength).toBe(22);
    expect(await readZip(zip)).toEqual([]);
  });

  it.each(["", "/etc/passwd", "../escape.txt", "a/../../b", "a\\b.txt", "dir/", "a//b", "./a", "nul\0.txt"])("refuses the unsafe name %j", async (name) => {
    await expect(zipOf([{ name, data: "x" }])).rejects.toBeInstanceOf(ZipEntryError);
  });

  it("refuses two entries with the same name, also differing only in case", async () => {
    await expect(zipOf([{ name: "a.txt", data: "1" }, { name: "A.TXT", data: "2" }])).rejects.toBeInstanceOf(ZipEntryError);
  });

  it("refuses an archive over the size limit clearly, counting it exactly for stored entries", async () => {
    const entries: ZipEntry[] = [
      { name: "small.bin", data: randomBytes(400), method: "store" },
      { name: "big.bin", data: randomBytes(600), method: "store" },
    ];
    const size = (await zipOf(entries)).byteLength;
    expect((await readZip(await zipOf(entries, { maxBytes: size }))).map((entry) => entry.name)).toEqual(["small.bin", "big.bin"]);
    await expect(zipOf(entries, { maxBytes: size - 1 })).rejects.toThrow(
      expect.objectContaining({ name: "ZipLimitError", reason: "archive_too_large", message: expect.stringMatching(/larger than .*ZIP64/) }),
    );
  });

  it("refuses more entries than a zip without ZIP64 can count", async () => {
    expect(ZIP_MAX_ENTRIES).toBe(0xfffe);
    function* entries(count: number) {
      for (let index = 0; index < count; index += 1) yield { name: `f${index}`, data: "", method: "store" } satisfies ZipEntry;
    }
    expect(await readZip(await zipOf(entries(100), { maxEntries: 100 }))).toHaveLength(100);
    await expect(zipOf(entries(101), { maxEntries: 100 })).rejects.toThrow(expect.objectContaining({ name: "ZipLimitError", reason: "too_many_entries" }));
  });

  it("pulls entries lazily, one at a time: the next only once the reader has read the last", async () => {
    const entries = Array.from({ length: 4 }, (_, index): ZipEntry => ({ name: `${index}.jpg`, data: randomBytes(200_000), method: "store" }));
    const readWhenPulled: number[] = [];
    let read = 0;
    async function* source() {
      for (const entry of entries) {
        readWhenPulled.push(read);
        yield entry;
      }
    }
    const reader = createZipStream(source(), { now: NOW }).getReader();
    // Nothing is produced until the reader asks.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(readWhenPulled).toEqual([]);
    const chunks: Uint8Array[] = [];
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value);
      read += next.value.byteLength;
    }
    expect(readWhenPulled).toHaveLength(entries.length);
    for (const [index, at] of readWhenPulled.entries()) expect(at).toBeGreaterThanOrEqual(index * 200_000);
    const files = await readZip(Buffer.concat(chunks));
    expect(files.every((file, index) => file.data.equals(entries[index]!.data as Buffer))).toBe(true);
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
    await expect(zipOf(source(), { maxBytes: 1_000 })).rejects.toBeInstanceOf(ZipLimitError);
    expect(closed).toBe(true);
  });

  it("errors the stream when the source fails", async () => {
    async function* source(): AsyncGenerator<ZipEntry> {
      yield { name: "a.txt", data: "a" };
      throw new Error("disk gone");
    }
    await expect(zipOf(source())).rejects.toThrow("disk gone");
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

describe("the test reader", () => {
  it("catches a corrupted entry, so round trips through it prove something", async () => {
    const zip = Buffer.from(await zipOf([{ name: "a.bin", data: Buffer.alloc(100, 1), method: "store" }]));
    zip.writeUInt8(2, 30 + "a.bin".length + 50);
    await expect(readZip(zip)).rejects.toThrow(/CRC mismatch/);
  });
});

describe("other readers accept the archive", () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-zip-"));
    file = path.join(dir, "sample.zip");
    await fs.writeFile(file, await zipOf(sampleEntries(), { now: NOW }));
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
