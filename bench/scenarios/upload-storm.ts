import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { sampleServerMemory, watchServerMemory } from "../lib/app-host";
import type { BenchContext } from "../lib/context";
import { MB, percentile, round } from "../lib/stats";
import { BENCH_COOKIE } from "../lib/auth";

const UPLOADS = 200;
const TARGET_BYTES = 5_800_000;
// v1 stepped the quality by 2 and landed at 5.3 MB (q92; q94 is 6.4 MB): v2 steps by 1.
const STORM_SET = "storm-v2";

/**
 * A photo-like 12 MP JPEG of about 5.8 MB (a phone photo at high quality): smooth colour fields
 * plus grain, quality tuned until the size lands within 3% of the target (refused otherwise, so the
 * storm never quietly measures a smaller photo). Made once, kept in the cache.
 */
async function makeStormPhoto(cacheDir: string): Promise<Buffer> {
  const file = path.join(cacheDir, STORM_SET, "photo.jpg");
  const withinTarget = (bytes: number) => Math.abs(bytes - TARGET_BYTES) <= TARGET_BYTES * 0.03;
  if (existsSync(file)) {
    const cached = readFileSync(file);
    if (withinTarget(cached.byteLength)) return cached;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const width = 4000;
  const height = 3000;
  const pixels = await sharp(randomBytes(160 * 120 * 3), { raw: { width: 160, height: 120, channels: 3 } }).resize(width, height, { kernel: "cubic" }).raw().toBuffer();
  const grain = randomBytes(pixels.length);
  for (let at = 0; at < pixels.length; at += 1) {
    const value = (pixels[at] as number) + (((grain[at] as number) % 40) - 20);
    pixels[at] = value < 0 ? 0 : value > 255 ? 255 : value;
  }
  let best: Buffer | null = null;
  for (let quality = 70; quality <= 100; quality += 1) {
    const jpeg = await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer();
    if (!best || Math.abs(jpeg.byteLength - TARGET_BYTES) < Math.abs(best.byteLength - TARGET_BYTES)) best = jpeg;
    if (jpeg.byteLength > TARGET_BYTES) break;
  }
  if (!best || !withinTarget(best.byteLength)) {
    throw new Error(`could not make a storm photo within 3% of ${TARGET_BYTES} bytes (closest: ${best?.byteLength ?? 0})`);
  }
  writeFileSync(`${file}.part`, best);
  renameSync(`${file}.part`, file);
  return best;
}

/**
 * The same photo made distinct per upload (a different hash, the same decode cost) by a JPEG
 * comment segment after SOI, streamed from the shared buffer: the bench process holds one photo,
 * not 200, and the server sees 200 different 5.8 MB files.
 */
function uploadBody(photo: Buffer, index: number, boundary: string): ReadableStream<Uint8Array> {
  const comment = Buffer.from(`upload storm ${index} ${randomBytes(8).toString("hex")}`);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(comment.byteLength + 2, 2);
  const parts = [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="storm-${index}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    photo.subarray(0, 2),
    segment,
    comment,
    photo.subarray(2),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ];
  const CHUNK = 256 * 1024;
  let part = 0;
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const current = parts[part];
      if (!current) return controller.close();
      const end = Math.min(current.byteLength, offset + CHUNK);
      controller.enqueue(current.subarray(offset, end));
      offset = end;
      if (offset >= current.byteLength) {
        part += 1;
        offset = 0;
      }
    },
  });
}

async function post(url: string, photo: Buffer, index: number): Promise<{ status: number; ms: number }> {
  const boundary = `----storm${randomBytes(8).toString("hex")}`;
  const began = performance.now();
  const response = await fetch(`${url}/api/uploads`, {
    method: "POST",
    body: uploadBody(photo, index, boundary),
    duplex: "half",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}`, origin: url, "sec-fetch-site": "same-origin", cookie: BENCH_COOKIE },
  } as RequestInit).catch(() => null);
  await response?.arrayBuffer().catch(() => undefined);
  return { status: response?.status ?? 0, ms: performance.now() - began };
}

/** Sequential probes (each waits for the last) until stopped: how long a request waits during the storm. */
function probe(url: string, intervalMs: number) {
  const times: number[] = [];
  const failures: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const began = performance.now();
      const response = await fetch(url, { signal: AbortSignal.timeout(30_000), headers: { cookie: BENCH_COOKIE } }).catch(() => null);
      await response?.arrayBuffer().catch(() => undefined);
      const ms = performance.now() - began;
      if (response?.ok) times.push(ms);
      else failures.push(response?.status ?? 0);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - ms)));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { times, failures };
    },
  };
}

const summary = (values: number[]) => ({
  n: values.length,
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
  max: round(Math.max(0, ...values)),
});

/**
 * Scenario 9: 200 reference uploads of 5.8 MB started at once (the attack in issue 19), while
 * /api/health and an image GET are probed (and /api/health for 10 s before it, as the machine's
 * own floor). Budgets: peak server RSS ≤ 1 GB, health p95 ≤ 200 ms
 * during the storm, RSS back within 20% of its start within 60 s after the last upload answered.
 */
export async function runUploadStorm(context: BenchContext) {
  const { app, log } = context;
  const photo = await makeStormPhoto(context.cacheDir);
  const uploads = context.quick ? 40 : UPLOADS;
  log(`upload storm: ${uploads} × ${round(photo.byteLength / 1_000_000, 2)} MB`);

  // An image to read back during the storm, stored before it starts.
  const stored = await fetch(`${app.url}/api/uploads`, {
    method: "POST",
    body: (() => {
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array(photo)], { type: "image/jpeg" }), "before.jpg");
      return form;
    })(),
    headers: { origin: app.url, "sec-fetch-site": "same-origin", cookie: BENCH_COOKIE },
  });
  if (stored.status !== 201) throw new Error(`a single upload failed with ${stored.status}: ${await stored.text()}`);
  const { url: imagePath } = (await stored.json()) as { url: string };

  // Let the warm-up settle, then take the baselines: /api/health with nothing else going on (on a
  // shared machine its p95 is what the storm's is compared with), then the memory at rest.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const idleHealth = probe(`${app.url}/api/health`, 100);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const { times: idleHealthMs } = await idleHealth.stop();
  const memory = watchServerMemory(app.pid, 100);
  const health = probe(`${app.url}/api/health`, 100);
  const image = probe(`${app.url}${imagePath}`, 250);
  const began = performance.now();
  const results = await Promise.all(Array.from({ length: uploads }, (_, index) => post(app.url, photo, index)));
  const wallMs = performance.now() - began;
  const { times: healthMs, failures: healthFailures } = await health.stop();
  const { times: imageMs, failures: imageFailures } = await image.stop();
  const { startBytes, peak } = memory.stop();

  // Memory given back: sample once a second until within 20% of the start, for at most 60 s.
  let afterBytes = sampleServerMemory(app.pid).totalBytes;
  let settleMs = 0;
  const settleBegan = performance.now();
  while (afterBytes > startBytes * 1.2 && performance.now() - settleBegan < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    afterBytes = sampleServerMemory(app.pid).totalBytes;
    settleMs = performance.now() - settleBegan;
  }

  const statuses: Record<string, number> = {};
  for (const result of results) statuses[result.status] = (statuses[result.status] ?? 0) + 1;
  const healthSummary = summary(healthMs);
  const report = {
    uploads,
    photoMB: round(photo.byteLength / 1_000_000, 2),
    statuses,
    wallSeconds: round(wallMs / 1000),
    uploadMs: summary(results.map((result) => result.ms)),
    rss: {
      startMB: round(startBytes / MB),
      peakMB: round(peak.totalBytes / MB),
      afterMB: round(afterBytes / MB),
      afterRatio: round(afterBytes / startBytes, 2),
      settleSeconds: round(settleMs / 1000),
    },
    healthMs: healthSummary,
    healthBeforeMs: summary(idleHealthMs),
    healthFailures: healthFailures.length,
    // 0: no answer within 30 s; otherwise the status (a 503 says which readiness check failed).
    healthFailureStatuses: healthFailures,
    imageGetMs: summary(imageMs),
    imageGetFailures: imageFailures.length,
    budgets: {
      peakRss: peak.totalBytes <= 1024 * MB,
      healthP95: healthSummary.p95 <= 200 && healthFailures.length === 0,
      rssBack: afterBytes <= startBytes * 1.2,
      allStored: (statuses["201"] ?? 0) === uploads,
    },
  };
  log(`upload storm: ${JSON.stringify(report)}`);
  return report;
}
