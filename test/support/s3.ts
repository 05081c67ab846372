import { afterAll, beforeAll } from "vitest";
import { startS3, type S3Server } from "./s3-server";

// The server itself is s3-server.ts (no vitest import, so an e2e spec can start one too).
export * from "./s3-server";

/** Starts a server before the test file's tests and stops it after them (see withPostgres). */
export function withS3(): () => S3Server {
  let server: S3Server | undefined;
  beforeAll(async () => {
    server = await startS3();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  }, 60_000);
  return () => {
    if (!server) throw new Error("The S3 server is not running (withS3 must be called at the top level of the test file).");
    return server;
  };
}
