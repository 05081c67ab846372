import { GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withS3 } from "@/test/support/s3";
import { describeImageStoreContract } from "../image-store-contract";
import { createS3ImageStore, objectKey, type S3ImageStore } from "./s3-image-store";

const server = withS3();
let client: S3Client;

beforeAll(() => {
  const { endpoint, region, accessKeyId, secretAccessKey } = server();
  client = new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
});

afterAll(() => client?.destroy());

async function freshStore(): Promise<S3ImageStore> {
  const { endpoint, region, accessKeyId, secretAccessKey } = server();
  return createS3ImageStore({ bucket: await server().createBucket(), endpoint, region, accessKeyId, secretAccessKey, forcePathStyle: true });
}

async function readObject(bucket: string, key: string): Promise<Buffer | null> {
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from((await answer.Body?.transformToByteArray()) ?? []);
  } catch {
    return null;
  }
}

describeImageStoreContract("s3", async () => {
  const store = await freshStore();
  return {
    store,
    readExport: (location) => readObject(store.bucket, location.replace(`s3://${store.bucket}/`, "")),
  };
});

describe("s3 image store", () => {
  const png = () => sharp({ create: { width: 4, height: 4, channels: 3, background: "#abcdef" } }).png().toBuffer();

  it("keys objects like the data directory's objects/ and records each one's SHA-256", async () => {
    const store = await freshStore();
    const stored = await store.put(await png());
    const head = await client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: objectKey(stored.hash) }));
    expect(objectKey(stored.hash)).toBe(`objects/${stored.hash.slice(0, 2)}/${stored.hash}`);
    expect(head).toMatchObject({ ContentType: "image/png", ContentLength: stored.byteLength, Metadata: { sha256: stored.hash } });
    expect(await store.storedHash(stored.hash)).toBe(stored.hash);
    expect(await store.storedHash("0".repeat(64))).toBeNull();
  });

  it("streams an image without reading it whole first, with its type and size", async () => {
    const store = await freshStore();
    const bytes = await sharp({ create: { width: 600, height: 600, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 60 } } }).png().toBuffer();
    expect(bytes.byteLength).toBeGreaterThan(500_000);
    const stored = await store.put(bytes);
    const streamed = await store.stream(stored.hash);
    expect(streamed?.image).toEqual(stored);
    const chunks: Buffer[] = [];
    for await (const chunk of streamed?.body ?? []) chunks.push(chunk as Buffer);
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    expect(await store.stream("0".repeat(64))).toBeNull();
    expect(await store.stream("../x")).toBeNull();
  });

  it("refuses to export an image the bucket does not hold, and leaves no named copy", async () => {
    const store = await freshStore();
    const missing = "ab".repeat(32);
    await expect(store.exportAs(missing, "gone.png")).rejects.toMatchObject({ name: "ImageStoreError", code: "not_an_image" });
    expect(await readObject(store.bucket, "exports/gone.png")).toBeNull();
    // A missing bucket is still told apart from a missing image.
    const { endpoint, region, accessKeyId, secretAccessKey } = server();
    const noBucket = createS3ImageStore({ bucket: "no-such-bucket", endpoint, region, accessKeyId, secretAccessKey, forcePathStyle: true });
    await expect(noBucket.exportAs(missing, "gone.png")).rejects.toMatchObject({ code: "write_failed", message: expect.stringContaining("does not exist") });
  });

  it("reports a missing bucket and refused credentials as write failures an operator can act on", async () => {
    const { endpoint, region, accessKeyId, secretAccessKey } = server();
    const noBucket = createS3ImageStore({ bucket: "no-such-bucket", endpoint, region, accessKeyId, secretAccessKey, forcePathStyle: true });
    await expect(noBucket.put(await png())).rejects.toMatchObject({ name: "ImageStoreError", code: "write_failed", message: expect.stringContaining("does not exist") });
    const badKey = createS3ImageStore({ bucket: (await freshStore()).bucket, endpoint, region, accessKeyId: "WRONG", secretAccessKey: "WRONG", forcePathStyle: true });
    await expect(badKey.put(await png())).rejects.toMatchObject({ code: "write_failed", message: expect.stringContaining("refused the credentials") });
  });

  it("reports an unreachable object store on read as a storage failure, not as a missing image", async () => {
    const store = createS3ImageStore({ bucket: "b", endpoint: "http://127.0.0.1:1", region: "us-east-1", accessKeyId: "a", secretAccessKey: "b", forcePathStyle: true });
    await expect(store.get("a".repeat(64))).rejects.toMatchObject({ name: "StorageError", code: "storage_failed", message: expect.stringContaining("can't be reached") });
  });
});
