/**
 * The tests' S3-compatible server (test/support/s3-server.ts, s3rver) in its own process, for the
 * scale-out scenario: a bucket service runs on its own machine in production, and in the bench's
 * process it would share an event loop with the client that times the studios. Started by
 * startS3Process() below with an IPC channel; stops (and removes its objects) when the channel closes.
 *
 * With BENCH_S3_TRACE_FILE set, every request is written to that file as it ends (arrival epoch ms,
 * method, path, status, ms, bytes received), for attributing a generation's time to its S3 calls.
 */
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startS3 } from "../../test/support/s3-server";

export interface S3ProcessInfo {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

const root = path.resolve(__dirname, "..", "..");

export async function startS3Process(options: { traceFile?: string } = {}): Promise<S3ProcessInfo & { stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", __filename], {
    cwd: root,
    env: { ...process.env, BENCH_S3_CHILD: "1", BENCH_S3_TRACE_FILE: options.traceFile ?? "" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const info = await new Promise<S3ProcessInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("The S3 server did not start within 30 s.")), 30_000);
    child.once("exit", (code) => reject(new Error(`The S3 server exited early (code ${code}).`)));
    child.once("message", (message: S3ProcessInfo) => {
      clearTimeout(timer);
      resolve(message);
    });
  });
  return {
    ...info,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.disconnect();
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }),
  };
}

function traceRequests(file: string): void {
  const originalEmit = http.Server.prototype.emit;
  http.Server.prototype.emit = function emit(this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const [request, response] = args as [http.IncomingMessage, http.ServerResponse];
      const at = performance.timeOrigin + performance.now();
      let received = 0;
      request.on("data", (chunk: Buffer) => {
        received += chunk.length;
      });
      response.once("finish", () => {
        const ms = performance.timeOrigin + performance.now() - at;
        appendFileSync(file, `${at.toFixed(1)} ${request.method} ${request.url} ${response.statusCode} ${ms.toFixed(1)} ${received}\n`);
      });
    }
    return (originalEmit as (...all: unknown[]) => boolean).call(this, event, ...args);
  } as typeof http.Server.prototype.emit;
}

async function main(): Promise<void> {
  const traceFile = process.env.BENCH_S3_TRACE_FILE;
  if (traceFile) traceRequests(traceFile);
  const s3 = await startS3();
  const bucket = await s3.createBucket();
  process.on("disconnect", () => {
    void s3.stop().finally(() => process.exit(0));
  });
  process.send?.({ endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, bucket } satisfies S3ProcessInfo);
}

if (process.env.BENCH_S3_CHILD === "1") {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
