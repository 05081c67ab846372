import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { receiveUpload } from "./receive";

// The disk under the temp file, made to fail after `failAfterBytes` (ENOSPC, as a full disk does);
// a real file is still created and partly written, so what is left behind is what a real failure leaves.
const disk = vi.hoisted(() => ({ failAfterBytes: Number.POSITIVE_INFINITY }));
vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  const createWriteStream = ((file: string, options: Parameters<typeof actual.createWriteStream>[1]) => {
    const real = actual.createWriteStream(file, options);
    if (!Number.isFinite(disk.failAfterBytes)) return real;
    let written = 0;
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.byteLength;
        if (written > disk.failAfterBytes) done(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", syscall: "write" }));
        else real.write(chunk, (error) => done(error ?? null));
      },
      final(done) {
        real.end(() => done());
      },
      destroy(error, done) {
        real.destroy();
        done(error);
      },
    });
  }) as typeof actual.createWriteStream;
  return { ...actual, default: { ...actual, createWriteStream }, createWriteStream };
});

const MB = 1024 * 1024;
const BOUNDARY = "receive-test";

let tmpDir: string;

beforeEach(async () => {
  tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-receive-"));
  disk.failAfterBytes = Number.POSITIVE_INFINITY;
});

afterEach(async () => {
  await fs.rm(tmpDir, { recursive: true, force: true });
});

/** A one-file multipart body sent in 256 KB pieces, counting how much of it the server pulled. */
function multipart(file: Buffer) {
  const parts = [
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ];
  const whole = Buffer.concat(parts);
  const sent = { bytes: 0 };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent.bytes >= whole.byteLength) return controller.close();
        const piece = whole.subarray(sent.bytes, sent.bytes + 256 * 1024);
        sent.bytes += piece.byteLength;
        controller.enqueue(new Uint8Array(piece));
      },
    },
    { highWaterMark: 0 },
  );
  return { body, sent, total: whole.byteLength };
}

const options = (overrides: Partial<Parameters<typeof receiveUpload>[1]> = {}) => ({
  contentType: `multipart/form-data; boundary=${BOUNDARY}`,
  maxBodyBytes: 64 * MB,
  maxFileBytes: 32 * MB,
  tmpDir,
  ...overrides,
});

describe("receiveUpload", () => {
  it("writes the file to a temp file and hashes it on the way, without another read", async () => {
    const bytes = randomBytes(3 * MB);
    const { body } = multipart(bytes);
    const received = await receiveUpload(body, options());
    expect(received).toMatchObject({ ok: true, name: "a.jpg", fileBytes: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") });
    if (!received.ok) throw new Error("unreachable");
    expect(path.dirname(received.file)).toBe(tmpDir);
    expect((await fs.readFile(received.file)).equals(bytes)).toBe(true);
  });

  it("stops reading as soon as the file passes its cap (the body's own cap far away) and leaves no temp file", async () => {
    const { body, sent, total } = multipart(randomBytes(10 * MB));
    const received = await receiveUpload(body, options({ maxFileBytes: 1 * MB }));
    expect(received).toMatchObject({ ok: false, reason: "too_large" });
    // The cap plus what was in flight (pieces of 256 KB, the stream buffers between them), far from the 10 MB sent otherwise.
    expect(sent.bytes).toBeLessThan(2 * MB);
    expect(sent.bytes).toBeLessThan(total);
    expect(await fs.readdir(tmpDir)).toEqual([]);
  });

  it("stops reading as soon as the whole body passes its cap and leaves no temp file", async () => {
    const { body, sent } = multipart(randomBytes(10 * MB));
    const received = await receiveUpload(body, options({ maxBodyBytes: 1 * MB }));
    expect(received).toMatchObject({ ok: false, reason: "too_large" });
    expect(sent.bytes).toBeLessThan(2 * MB);
    expect(await fs.readdir(tmpDir)).toEqual([]);
  });

  it("fails with the disk's error when a write fails mid-file, stops reading the body and leaves no temp file", async () => {
    disk.failAfterBytes = 1 * MB;
    const { body, sent, total } = multipart(randomBytes(10 * MB));
    await expect(receiveUpload(body, options())).rejects.toMatchObject({ code: "ENOSPC" });
    expect(sent.bytes).toBeLessThan(total);
    expect(sent.bytes).toBeLessThan(4 * MB);
    expect(await fs.readdir(tmpDir)).toEqual([]);
  });

  it("refuses a body that is not multipart as sent, leaving no temp file", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\nhalf a file`));
        controller.close();
      },
    });
    expect(await receiveUpload(body, options())).toMatchObject({ ok: false, reason: "bad_request" });
    expect(await fs.readdir(tmpDir)).toEqual([]);
  });
});
