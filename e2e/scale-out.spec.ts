import { createHash } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { expect, test, type Browser, type TestInfo } from "@playwright/test";
import pg from "pg";
import { createAppClient, discoverActionIds, type AppClient } from "../bench/lib/app-client";
import { flashSettings } from "../bench/lib/settings";
import { SVG_DRAWING, noisyImage } from "../lib/images/test-images";
import { findPostgresBin, skipPostgres, startPostgres, type PostgresCluster } from "../test/support/postgres-cluster";
import { startS3, type S3Server } from "../test/support/s3-server";
import { E2E_AUTH, signedSessionCookie } from "./support/auth";
import { StudioPage } from "./pages/studio-page";
import { emulatorControl } from "./support/emulator";
import { STUDIO_PORTS, startStudio, type StudioProcess } from "./support/studio-process";

/**
 * Scale-out as a team runs it: two `next start` studios (the suite's production build) on one
 * throwaway PostgreSQL cluster (test/support/postgres-cluster.ts) and one S3 bucket (s3rver,
 * test/support/s3-server.ts), sharing the durable job queue with a global cap of 4, against the
 * Gemini emulator. A turn started on one is followed on the other, a killed instance's turn ends
 * "interrupted" on the other, 32 generations over both never put more than 4 requests in flight at
 * Google, and a restart of every instance loses no queued job and sends nothing twice.
 *
 * Skipped, saying why, when PostgreSQL's binaries are missing (.ci/run installs them) or
 * STUDIO_SKIP_PG=1. The S3 server is an npm dev dependency, so it is always there.
 */

const CAP = 4;
const instances = [
  { name: "A", port: STUDIO_PORTS.scaleA, dataDir: ".e2e-data/scale-a" },
  { name: "B", port: STUDIO_PORTS.scaleB, dataDir: ".e2e-data/scale-b" },
] as const;
const COOKIE = `${E2E_AUTH.cookieName}=${signedSessionCookie(E2E_AUTH.sessionToken, E2E_AUTH.secret)}`;
const TURN_URL = /\/s\/([\w-]+)\?turn=([\w-]+)$/;

const postgresBin = findPostgresBin();
const skipReason = skipPostgres
  ? "STUDIO_SKIP_PG=1: the PostgreSQL tests are skipped on purpose."
  : "PostgreSQL is not installed (no initdb/pg_ctl on PATH or under /usr/lib/postgresql): run `apt-get install -y postgresql`, as .ci/run does.";

test.describe("several studio instances serving one team over PostgreSQL and S3", () => {
  test.skip(skipPostgres || postgresBin === null, skipReason);

  let cluster: PostgresCluster | undefined;
  let s3: S3Server | undefined;
  let db: pg.Pool | undefined;
  let env: Record<string, string> = {};
  const running: Record<"A" | "B", StudioProcess | undefined> = { A: undefined, B: undefined };

  function start(name: "A" | "B", keepData = true): StudioProcess {
    const instance = instances.find((candidate) => candidate.name === name)!;
    running[name] = startStudio({ port: instance.port, dataDir: instance.dataDir, env, keepData });
    return running[name];
  }

  function studio(name: "A" | "B"): StudioProcess {
    const instance = running[name];
    if (!instance) throw new Error(`Studio ${name} is not running.`);
    return instance;
  }

  /** Both instances serving; one a test killed is started again (as the team's process manager would). */
  async function bothRunning(): Promise<void> {
    for (const name of ["A", "B"] as const) {
      if (!running[name]?.alive()) start(name);
    }
    await Promise.all([studio("A").waitUntilHealthy(), studio("B").waitUntilHealthy()]);
  }

  async function turnStatuses(turnIds: readonly string[]): Promise<Map<string, string>> {
    const { rows } = await db!.query<{ id: string; status: string }>("SELECT id, status FROM turns WHERE id = ANY($1)", [turnIds]);
    return new Map(rows.map((row) => [row.id, row.status]));
  }

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    cluster = await startPostgres(postgresBin);
    const url = await cluster.createDatabase();
    db = new pg.Pool({ connectionString: url, max: 2 });
    s3 = await startS3();
    const bucket = await s3.createBucket();
    env = {
      DATABASE_URL: url,
      STUDIO_S3_BUCKET: bucket,
      STUDIO_S3_ENDPOINT: s3.endpoint,
      STUDIO_S3_REGION: s3.region,
      STUDIO_S3_ACCESS_KEY_ID: s3.accessKeyId,
      STUDIO_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      STUDIO_S3_FORCE_PATH_STYLE: "1",
      STUDIO_MAX_CONCURRENT_JOBS: String(CAP),
      STUDIO_DEFAULT_MODEL: "gemini-3.1-flash-image",
      STUDIO_RATE_LIMIT_PER_MINUTE: "10000",
    };
    // One after the other: the first creates the schema and the seeded admin the cookie names.
    await start("A", false).waitUntilHealthy();
    const home = await fetch(`${studio("A").baseUrl}/`, { headers: { cookie: COOKIE }, redirect: "manual" });
    expect(home.status, "the seeded admin is signed in on A").toBe(200);
    await start("B", false).waitUntilHealthy();
  });

  test.afterAll(async () => {
    const stopping = Object.values(running).filter((instance) => instance !== undefined);
    for (const instance of stopping) instance.crash();
    await Promise.all(stopping.map((instance) => instance.exited()));
    await db?.end();
    await s3?.stop();
    await cluster?.stop();
    for (const instance of instances) rmSync(instance.dataDir, { recursive: true, force: true });
  });

  test.beforeEach(async ({ request }) => {
    test.setTimeout(180_000);
    await emulatorControl(request).reset();
    await bothRunning();
  });
  test.afterEach(async ({ request }) => emulatorControl(request).reset());

  test("a generation started on A is followed live on B to its end, its image served by B from the bucket", async ({ page, request }) => {
    const emulator = emulatorControl(request);
    // Answered only when released: B opens the turn while Google still works on it.
    await emulator.queueFaults([{ kind: "slow", delayMs: 100, hold: true }]);
    const onA = new StudioPage(page);
    await onA.goto(studio("A").baseUrl);
    const prompt = "A lighthouse seen from two instances";
    await onA.generate(prompt);
    await expect(page).toHaveURL(TURN_URL);
    const [, sessionId, turnId] = TURN_URL.exec(page.url())!;
    await expect.poll(() => emulator.held()).toBe(1);

    const onB = new StudioPage(await page.context().newPage());
    await onB.page.goto(`${studio("B").baseUrl}/s/${sessionId}?turn=${turnId}`);
    await onB.waitForStatus("running");
    await expect(onB.page.getByTestId("progress")).toBeVisible();

    expect(await emulator.release()).toBe(1);
    // No reload: B's page follows the events whichever instance runs the job.
    await onB.waitForStatus("succeeded");
    await expect(onB.resultImages).toHaveCount(1);
    expect((await onB.resultSize()).width).toBeGreaterThan(0);
    await onA.waitForStatus("succeeded");

    const sent = (await emulator.generations()).filter((call) => JSON.stringify(call.body).includes(prompt));
    expect(sent).toHaveLength(1);
  });

  test("a reference uploaded on A streams into the bucket, is refused whole when bad, and B serves it and sends it to Google", async ({ browser, request }) => {
    const emulator = emulatorControl(request);
    const { clients, sessionId } = await appClients(browser);
    await emulator.reset();
    const bucket = env.STUDIO_S3_BUCKET!;
    const s3Client = new S3Client({ endpoint: s3!.endpoint, region: s3!.region, forcePathStyle: true, credentials: { accessKeyId: s3!.accessKeyId, secretAccessKey: s3!.secretAccessKey } });
    const objectKeys = async () => ((await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "objects/" }))).Contents ?? []).map((item) => item.Key!);
    const uploadTo = (name: "A" | "B", file: { name: string; mimeType: string; buffer: Buffer }) =>
      request.post(`${studio(name).baseUrl}/api/uploads`, { headers: { cookie: COOKIE, origin: studio(name).baseUrl }, multipart: { file } });
    try {
      const before = await objectKeys();
      // Refused, and nothing of it reaches the bucket: a text file named like a photo, and an SVG.
      for (const file of [
        { name: "notes.jpg", mimeType: "image/jpeg", buffer: Buffer.from("not a photo at all\n".repeat(200)) },
        { name: "drawing.svg", mimeType: "image/svg+xml", buffer: Buffer.from(SVG_DRAWING) },
      ]) {
        const refused = await uploadTo("A", file);
        expect(refused.status(), file.name).toBeGreaterThanOrEqual(400);
        expect(refused.status(), file.name).toBeLessThan(500);
      }
      expect(await objectKeys()).toEqual(before);

      const photo = await noisyImage(640, 480, "jpeg");
      const accepted = await uploadTo("A", { name: "photo.jpg", mimeType: "image/jpeg", buffer: photo });
      expect(accepted.status()).toBe(201);
      const { hash } = (await accepted.json()) as { hash: string };
      // In the bucket under its content hash, with exactly the bytes A checked.
      const key = `objects/${hash.slice(0, 2)}/${hash}`;
      expect(await objectKeys()).toContain(key);
      const object = await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const stored = Buffer.from((await object.Body!.transformToByteArray()) ?? []);
      expect(createHash("sha256").update(stored).digest("hex")).toBe(hash);
      // Not kept on A's disk: neither as an object nor as a temp file left behind.
      expect(readdirSync(instances[0].dataDir, { recursive: true }).map(String).filter((name) => name.includes(hash) || /upload-/.test(name))).toEqual([]);

      // B, which never saw the upload, serves it and sends it to Google with a turn.
      const served = await request.get(`${studio("B").baseUrl}/api/images/${hash}`, { headers: { cookie: COOKIE } });
      expect(served.status()).toBe(200);
      expect(Buffer.from(await served.body()).equals(stored)).toBe(true);
      const prompt = "Put the uploaded photo on a billboard";
      const started = await clients[1].startTurn({ sessionId, parentId: null, prompt, references: [{ hash }], settings: flashSettings("1K", { showThoughts: false }) });
      if (!started.ok) throw new Error(`${started.error.code}: ${started.error.message}`);
      const { terminal } = await clients[1].follow(started.data.id);
      expect(terminal.type).toBe("done");
      const sent = (await emulator.generations()).filter((call) => JSON.stringify(call.body).includes(prompt));
      expect(sent).toHaveLength(1);
      // The log describes inline data by its first 16 hex digits of SHA-256 (emulator/request-log.ts).
      expect(JSON.stringify(sent[0]!.body)).toContain(`sha256=${hash.slice(0, 16)}`);
    } finally {
      s3Client.destroy();
    }
  });

  test("a turn whose instance is killed mid-job ends interrupted on the other within 10 s, and Retry there finishes it", async ({ page, request }, testInfo) => {
    const emulator = emulatorControl(request);
    // B is stopped while A takes the job, so it is A's job that dies; it comes back to follow it.
    await studio("B").stop();
    await emulator.queueFaults([{ kind: "hang" }]);
    const onA = new StudioPage(page);
    await onA.goto(studio("A").baseUrl);
    const prompt = "A kite over the dunes, on an instance about to die";
    await onA.generate(prompt);
    await expect(page).toHaveURL(TURN_URL);
    const [, sessionId, turnId] = TURN_URL.exec(page.url())!;
    // The request is at Google, which does not answer.
    await expect.poll(async () => (await emulator.inFlight()).current).toBe(1);
    await expect.poll(async () => (await turnStatuses([turnId!])).get(turnId!)).toBe("running");

    await start("B").waitUntilHealthy();
    const onB = new StudioPage(await page.context().newPage());
    await onB.page.goto(`${studio("B").baseUrl}/s/${sessionId}?turn=${turnId}`);
    await onB.waitForStatus("running");

    const killedAt = Date.now();
    studio("A").crash();
    await onB.waitForStatus("interrupted", 10_000);
    const seconds = (Date.now() - killedAt) / 1000;
    report(testInfo, "interrupted on B after kill -9 of A", `${seconds.toFixed(1)} s`);
    const retry = onB.page.getByTestId("retry");
    await expect(retry).toBeVisible();

    await retry.click();
    await onB.waitForStatus("succeeded");
    await expect(onB.resultImages).toHaveCount(1);
    // Once for the job A lost, once for the Retry: a lost job that reached Google is never resent.
    const sent = (await emulator.generations()).filter((call) => JSON.stringify(call.body).includes(prompt));
    expect(sent).toHaveLength(2);
  });

  test("a deploy's SIGTERM lets the generation A runs finish within the grace, while B takes the starts meanwhile", async ({ browser, request }) => {
    const emulator = emulatorControl(request);
    // A as `npm start` runs it (scripts/serve.ts sets NEXT_MANUAL_SIG_HANDLE): the studio itself
    // handles SIGTERM (lib/server/graceful-exit.ts) instead of Next.js exiting at once.
    await studio("A").stop();
    const instanceA = instances[0];
    running.A = startStudio({ port: instanceA.port, dataDir: instanceA.dataDir, env: { ...env, NEXT_MANUAL_SIG_HANDLE: "1", STUDIO_SHUTDOWN_GRACE_MS: "8000" }, keepData: true });
    await studio("A").waitUntilHealthy();
    const { clients, sessionId } = await appClients(browser);
    await emulator.reset();
    // Google holds A's answer until the test lets it go, after the SIGTERM.
    await emulator.queueFaults([{ kind: "slow", delayMs: 100, hold: true }]);
    const onA = await clients[0].startTurn({ sessionId, parentId: null, prompt: "A banana finished through a deploy", references: [], settings: flashSettings("1K", { showThoughts: false }) });
    if (!onA.ok) throw new Error(`${onA.error.code}: ${onA.error.message}`);
    await expect.poll(() => emulator.held()).toBe(1);

    const stopping = studio("A").stop();
    await expect.poll(() => studio("A").output(), { timeout: 10_000 }).toContain('"event":"server.stopping"');
    // A start while A drains: whichever instance took it, B runs it (A claims nothing now).
    const onB = await clients[1].startTurn({ sessionId, parentId: null, prompt: "A banana started during the deploy", references: [], settings: flashSettings("1K", { showThoughts: false }) });
    if (!onB.ok) throw new Error(`${onB.error.code}: ${onB.error.message}`);
    expect((await clients[1].follow(onB.data.id)).terminal.type).toBe("done");

    expect(await emulator.release()).toBe(1);
    await stopping;
    expect(studio("A").child.exitCode, "A exited on its own after draining, not by the test's SIGKILL").toBe(0);
    expect(studio("A").output()).toContain('"event":"server.stopped"');
    const statuses = await turnStatuses([onA.data.id, onB.data.id]);
    expect(statuses.get(onA.data.id), "the generation running on A when SIGTERM came").toBe("succeeded");
    expect(statuses.get(onB.data.id)).toBe("succeeded");
    // Its image was stored before A went: B serves it from the bucket.
    const { terminal } = await clients[1].follow(onA.data.id);
    if (terminal.type !== "done") throw new Error(`A's turn ended ${terminal.type}`);
    const [image] = terminal.turn.outcome?.images ?? [];
    expect(image).toBeDefined();
    expect((await request.get(`${studio("B").baseUrl}/api/images/${image!.hash}`, { headers: { cookie: COOKIE } })).status()).toBe(200);
  });

  test(`32 generations started over both instances never put more than ${CAP} requests in flight at Google`, async ({ browser, request }, testInfo) => {
    test.setTimeout(240_000);
    const emulator = emulatorControl(request);
    const { clients, sessionId } = await appClients(browser);
    await emulator.reset();
    // Long enough per answer that the line builds up and every slot stays busy.
    await emulator.configure({ latencyMs: 400 });

    const prompts = Array.from({ length: 32 }, (_, index) => `Banana ${index + 1} of 32, two instances, one cap`);
    // All at once, half on each instance, into one session (concurrent starts there must not deadlock).
    const started = await Promise.all(
      prompts.map((prompt, index) =>
        clients[index % 2]!.startTurn({ sessionId, parentId: null, prompt, references: [], settings: flashSettings("1K", { showThoughts: false }) }),
      ),
    );
    const turnIds = started.map((result, index) => {
      if (!result.ok) throw new Error(`Start ${index + 1} on ${index % 2 === 0 ? "A" : "B"} failed: ${result.error.code}: ${result.error.message}`);
      return result.data.id;
    });

    // What the database says runs, sampled while the line drains.
    let mostRunning = 0;
    let mostInstances = 0;
    await expect
      .poll(
        async () => {
          const { rows } = await db!.query<{ running: number; instances: number }>(
            "SELECT count(*)::int AS running, count(DISTINCT instance_id)::int AS instances FROM studio_jobs WHERE state = 'running'",
          );
          mostRunning = Math.max(mostRunning, rows[0]?.running ?? 0);
          mostInstances = Math.max(mostInstances, rows[0]?.instances ?? 0);
          return [...(await turnStatuses(turnIds)).values()].filter((status) => status === "succeeded").length;
        },
        { timeout: 180_000, intervals: [100] },
      )
      .toBe(prompts.length);

    const { peak } = await emulator.inFlight();
    report(testInfo, "peak generate requests in flight at the emulator", `${peak} (cap ${CAP}); most jobs running in the database ${mostRunning}, on ${mostInstances} instances at once`);
    // At the cap, not under it (the test would prove nothing if the line never filled the slots),
    // and never over it: were the cap per instance, two instances would reach 2 × CAP.
    expect(peak).toBe(CAP);
    expect(mostRunning).toBeLessThanOrEqual(CAP);
    expect(mostInstances, "both instances ran jobs at the same time").toBe(2);
    const calls = await emulator.generations();
    for (const prompt of prompts) expect(calls.filter((call) => JSON.stringify(call.body).includes(prompt)), prompt).toHaveLength(1);
  });

  test("restarting every instance while jobs wait loses none of them and sends nothing to Google twice", async ({ browser, request }, testInfo) => {
    test.setTimeout(240_000);
    const emulator = emulatorControl(request);
    const { clients, sessionId } = await appClients(browser);
    await emulator.reset();
    // The first CAP requests reach Google and wait there; the others wait in the studios' line.
    await emulator.queueFaults(Array.from({ length: CAP }, () => ({ kind: "slow", delayMs: 0, hold: true })));
    const prompts = Array.from({ length: CAP * 2 }, (_, index) => `Banana ${index + 1} waiting through a restart`);
    const turnIds: string[] = [];
    for (const [index, prompt] of prompts.entries()) {
      const result = await clients[index % 2]!.startTurn({ sessionId, parentId: null, prompt, references: [], settings: flashSettings("1K", { showThoughts: false }) });
      if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
      turnIds.push(result.data.id);
    }
    const [sentBefore, queuedBefore] = [turnIds.slice(0, CAP), turnIds.slice(CAP)];
    await expect.poll(() => emulator.held()).toBe(CAP);
    await expect.poll(async () => [...(await turnStatuses(queuedBefore)).values()]).toEqual(queuedBefore.map(() => "queued"));

    // Every instance goes: one killed, one stopped. Then both start at once, and nobody visits
    // them: the queued jobs must be taken up by the instances themselves.
    studio("A").crash();
    await Promise.all([studio("A").exited(), studio("B").stop()]);
    await expect.poll(async () => (await emulator.inFlight()).current).toBe(0);
    const restartedAt = Date.now();
    start("A");
    start("B");

    const expected = [...sentBefore.map(() => "interrupted"), ...queuedBefore.map(() => "succeeded")];
    await expect
      .poll(
        async () => {
          const statuses = await turnStatuses(turnIds);
          return turnIds.map((id) => statuses.get(id));
        },
        { timeout: 90_000, message: "the turns sent before the restart end interrupted, the queued ones run" },
      )
      .toEqual(expected);
    report(testInfo, "queued jobs done after the restart", `${((Date.now() - restartedAt) / 1000).toFixed(1)} s`);

    // Each prompt reached Google once: the CAP that were there before the restart (ended as
    // interrupted, with Retry offered, never resent) and the CAP that waited.
    const calls = await emulator.generations();
    for (const prompt of prompts) expect(calls.filter((call) => JSON.stringify(call.body).includes(prompt)), prompt).toHaveLength(1);
  });

  /** The app's server actions replayed from Node on each instance (the bench's client), and a session to start turns in. */
  async function appClients(browser: Browser): Promise<{ clients: [AppClient, AppClient]; sessionId: string }> {
    const { ids } = await discoverActionIds(browser, studio("A").baseUrl, "A banana to find the start action");
    const clients: [AppClient, AppClient] = [createAppClient(studio("A").baseUrl, ids), createAppClient(studio("B").baseUrl, ids)];
    const session = await clients[0].createSession("Two instances");
    if (!session.ok) throw new Error(`${session.error.code}: ${session.error.message}`);
    return { clients, sessionId: session.data.id };
  }
});

/** A measured figure, on the report's annotations and in the run's output. */
function report(testInfo: TestInfo, what: string, value: string): void {
  testInfo.annotations.push({ type: what, description: value });
  process.stdout.write(`[scale-out] ${what}: ${value}\n`);
}
