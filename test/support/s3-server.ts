import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { freePort } from "./postgres-cluster";

/**
 * An S3-compatible server for tests: s3rver (an npm dev dependency, so it installs wherever the
 * studio's packages do; PyPI's moto is not reachable from every CI) on a free port, keeping its
 * objects in a temp directory removed afterwards. It speaks the S3 REST API the studio uses
 * (Put/Get/Head/CopyObject, path-style, signed requests with its fixed S3RVER key), which is the
 * subset AWS, R2, Garage, SeaweedFS and RustFS all serve.
 *
 * No vitest import here (s3.ts adds the hooks), so Playwright specs can start one too.
 */

export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A new, empty bucket with a unique name. */
  createBucket(): Promise<string>;
  stop(): Promise<void>;
}

export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export async function startS3(): Promise<S3Server> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "nb-s3-"));
  const port = await freePort();
  const server = new S3rver({ address: "127.0.0.1", port, silent: true, directory });
  await server.run();
  let buckets = 0;
  let stopped = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    ...S3RVER_CREDENTIALS,
    async createBucket() {
      buckets += 1;
      const name = `test-${process.pid}-${buckets}`;
      const client = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: "us-east-1", forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        client.destroy();
      }
      return name;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await server.close();
      } finally {
        await fs.rm(directory, { recursive: true, force: true });
      }
    },
  };
}

