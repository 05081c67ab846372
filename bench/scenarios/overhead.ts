import type { ImageSize } from "../../lib/gemini/types";
import { epochNow, type BenchContext } from "../lib/context";
import { createDirectClient } from "../lib/direct-sdk";
import { measureSdkStreamParsing } from "../lib/sdk-stream-parsing";
import { flashSettings } from "../lib/settings";
import { medianInterval, round, summarize } from "../lib/stats";

/**
 * Scenario 1: what the studio adds to one generation. Each run is a pair with the same prompt:
 * (a) through the app: startTurnAction over HTTP, then its SSE stream until "done" (the turn is
 * stored by then), and (b) the identical request straight through the SDK to the same emulator
 * with zero latency. Pairs alternate which goes first, so drift and warm caches favour neither.
 *
 * The figure judged (issue 18) is what the app adds over the emulator's own time, the request's
 * first byte to the answer's last byte as stamped in the emulator's process:
 *   added = app total - (emulator end - emulator arrival)
 * so nothing the SDK itself costs (its stream reader is slow at 4K) hides in the baseline. The
 * emulator renders before its first chunk, and that render swings by hundreds of ms between
 * identical requests on a busy machine; it is inside the emulator's own time, so it cancels out.
 * Kept beside it: what the SDK alone adds the same way, and the old pairwise comparison
 *   vs SDK = (app total - app's render) - (direct total - direct's render).
 */
export async function runOverhead(context: BenchContext, size: ImageSize, runs: number, warmup: number) {
  const { client, emulator } = context;
  const direct = createDirectClient(emulator.url);
  const settings = flashSettings(size);
  await emulator.configure({ latencyMs: 0, realisticPayload: true });
  await emulator.clearLog();
  const clock = await emulator.clockOffset();
  const session = await client.createSession(`bench overhead ${size}`);
  if (!session.ok) throw new Error(`createSession: ${session.error.message}`);
  const tag = Date.now().toString(36);

  let lastTurnId = "";

  async function viaApp(prompt: string) {
    const mark = await emulator.mark();
    const start = epochNow();
    const started = await client.startTurn({ sessionId: session.ok ? session.data.id : "", parentId: null, prompt, references: [], settings });
    if (!started.ok) throw new Error(`startTurn: ${started.error.message}`);
    const acceptedAt = epochNow();
    lastTurnId = started.data.id;
    const { terminal, events } = await client.follow(started.data.id);
    const end = epochNow();
    // follow() stamps events with performance.now(); as epoch ms, like everything else here.
    const imageAt = performance.timeOrigin + (events.find((event) => event.type === "image")?.at ?? Number.NaN);
    if (terminal.type !== "done") throw new Error(`The app's turn ended ${terminal.type}: ${JSON.stringify("turn" in terminal ? terminal.turn.error : null)}`);
    const [timing] = await emulator.timings(mark);
    if (!timing?.firstWriteAt || !timing.endAt) throw new Error("No emulator timing for the app's request.");
    return {
      totalMs: end - start,
      renderMs: timing.firstWriteAt - timing.receivedAt,
      emulatorMs: timing.endAt - timing.receivedAt,
      addedOverEmulatorMs: end - start - (timing.endAt - timing.receivedAt),
      actionMs: acceptedAt - start,
      // From the request leaving here to the emulator seeing it, and from the emulator's last byte to "done" here.
      beforeEmulatorMs: timing.receivedAt - clock.offsetMs - start,
      streamMs: timing.endAt - timing.firstWriteAt,
      afterEmulatorMs: end - (timing.endAt - clock.offsetMs),
      // The image event goes out once the image is parsed and stored; "done" once the turn is final.
      imageEventAfterEmulatorMs: imageAt - (timing.endAt - clock.offsetMs),
      imageToDoneMs: end - imageAt,
    };
  }

  async function viaSdk(prompt: string) {
    const mark = await emulator.mark();
    const start = epochNow();
    const answer = await direct.generate(prompt, settings);
    const end = epochNow();
    if (answer.finishReason !== "STOP" || answer.imageBase64Chars === 0) throw new Error("The direct request did not produce an image.");
    const [timing] = await emulator.timings(mark);
    if (!timing?.firstWriteAt || !timing.endAt) throw new Error("No emulator timing for the direct request.");
    return {
      totalMs: end - start,
      renderMs: timing.firstWriteAt - timing.receivedAt,
      emulatorMs: timing.endAt - timing.receivedAt,
      addedOverEmulatorMs: end - start - (timing.endAt - timing.receivedAt),
      beforeEmulatorMs: timing.receivedAt - clock.offsetMs - start,
      streamMs: timing.endAt - timing.firstWriteAt,
      afterEmulatorMs: end - (timing.endAt - clock.offsetMs),
    };
  }

  for (let index = 0; index < warmup; index += 1) {
    await viaApp(`bench warm-up ${size} ${tag} ${index}`);
    await viaSdk(`bench warm-up ${size} ${tag} ${index}`);
  }

  const pairs: Array<{ app: Awaited<ReturnType<typeof viaApp>>; sdk: Awaited<ReturnType<typeof viaSdk>>; prompt: string }> = [];
  const started = Date.now();
  for (let index = 0; index < runs; index += 1) {
    // A distinct prompt per pair: distinct image bytes, so the app really writes each one.
    const prompt = `bench overhead ${size} ${tag} run ${index}`;
    if (index % 2 === 0) {
      const app = await viaApp(prompt);
      const sdk = await viaSdk(prompt);
      pairs.push({ app, sdk, prompt });
    } else {
      const sdk = await viaSdk(prompt);
      const app = await viaApp(prompt);
      pairs.push({ app, sdk, prompt });
    }
    if ((index + 1) % 10 === 0) context.log(`  overhead ${size}: ${index + 1}/${runs}`);
  }

  // Reference points for attribution: the same server action refused by its input schema (Next's
  // action round trip with no storage and no job; nothing is created), and the SSE route for a
  // finished turn (one event from storage, then the stream ends).
  const finishedTurn = lastTurnId;
  const prompt = `bench reference ${size} ${tag}`;
  const actionRoundTrip: number[] = [];
  const sseRoundTrip: number[] = [];
  for (let index = 0; index < 20; index += 1) {
    const start = epochNow();
    const refused = await client.startTurn({ sessionId: "not a valid id!", parentId: null, prompt, references: [], settings });
    actionRoundTrip.push(epochNow() - start);
    if (refused.ok || refused.error.code !== "invalid_request") throw new Error("The reference action was not refused as expected.");
    const sseStart = epochNow();
    await client.follow(finishedTurn);
    sseRoundTrip.push(epochNow() - sseStart);
  }

  const sdkStreamParsing = await measureSdkStreamParsing(emulator.url, settings, `bench sdk parsing ${size} ${tag}`);

  // Both paths must have asked for the same thing, or the comparison means nothing.
  const log = await emulator.requestLog();
  const bodyFor = (prompt: string) =>
    log.filter((entry) => /generateContent/i.test(entry.path) && JSON.stringify(entry.body).includes(JSON.stringify(prompt))).map((entry) => JSON.stringify(entry.body));
  let identical = 0;
  for (const pair of pairs) {
    const bodies = bodyFor(pair.prompt);
    if (bodies.length === 2 && bodies[0] === bodies[1]) identical += 1;
  }
  const sample = bodyFor(pairs[0]?.prompt ?? "");

  const added = pairs.map((pair) => pair.app.addedOverEmulatorMs);
  const sdkAdded = pairs.map((pair) => pair.sdk.addedOverEmulatorMs);
  const versusSdk = pairs.map((pair) => pair.app.totalMs - pair.app.renderMs - (pair.sdk.totalMs - pair.sdk.renderMs));
  const rawAdded = pairs.map((pair) => pair.app.totalMs - pair.sdk.totalMs);
  const pick = <K extends string>(side: "app" | "sdk", key: K) =>
    summarize(pairs.map((pair) => (pair[side] as unknown as Record<K, number>)[key]));
  return {
    size,
    runs: pairs.length,
    warmup,
    seconds: round((Date.now() - started) / 1000),
    identicalRequests: identical,
    requestBodies: sample.length === 2 ? { app: JSON.parse(sample[0] as string), sdk: JSON.parse(sample[1] as string) } : sample,
    emulatorClock: clock,
    sdkStreamParsing,
    reference: { refusedActionMs: summarize(actionRoundTrip), finishedTurnSseMs: summarize(sseRoundTrip) },
    perRun: pairs.map((pair) => ({
      addedMs: round(pair.app.addedOverEmulatorMs),
      versusSdkMs: round(pair.app.totalMs - pair.app.renderMs - (pair.sdk.totalMs - pair.sdk.renderMs)),
      app: Object.fromEntries(Object.entries(pair.app).map(([key, value]) => [key, round(value)])),
      sdk: Object.fromEntries(Object.entries(pair.sdk).map(([key, value]) => [key, round(value)])),
    })),
    /** What the app adds over the emulator's own time (the budget's figure). */
    addedMs: { ...summarize(added), p50Interval95: medianInterval(added) },
    /** What the SDK alone adds over the emulator's own time, measured the same way. */
    sdkAddedMs: { ...summarize(sdkAdded), p50Interval95: medianInterval(sdkAdded) },
    /** The app against the SDK alone, each without its render time (the figure before issue 18). */
    versusSdkMs: { ...summarize(versusSdk), p50Interval95: medianInterval(versusSdk) },
    rawAddedMs: summarize(rawAdded),
    app: {
      totalMs: pick("app", "totalMs"),
      renderMs: pick("app", "renderMs"),
      emulatorMs: pick("app", "emulatorMs"),
      actionMs: pick("app", "actionMs"),
      beforeEmulatorMs: pick("app", "beforeEmulatorMs"),
      streamMs: pick("app", "streamMs"),
      afterEmulatorMs: pick("app", "afterEmulatorMs"),
      imageEventAfterEmulatorMs: pick("app", "imageEventAfterEmulatorMs"),
      imageToDoneMs: pick("app", "imageToDoneMs"),
    },
    sdk: {
      totalMs: pick("sdk", "totalMs"),
      renderMs: pick("sdk", "renderMs"),
      emulatorMs: pick("sdk", "emulatorMs"),
      beforeEmulatorMs: pick("sdk", "beforeEmulatorMs"),
      streamMs: pick("sdk", "streamMs"),
      afterEmulatorMs: pick("sdk", "afterEmulatorMs"),
    },
  };
}
