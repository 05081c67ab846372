/**
 * What the studio's gateway (lib/gemini/client.ts) costs for one answer, with nothing else on the
 * machine moving: a real answer is captured from the bench's emulator (realistic payload), then
 * replayed from memory in 64 KB reads, as a socket delivers it, through the gateway's `fetch`
 * option, and timed from the last read to the image event and to the gateway's result. The
 * regrouping into whole events, the stash of the big strings, the SDK's parse and the folding into
 * events are all on that path; the network and the emulator are not. Diagnostics, not a scenario.
 *
 *   node --conditions=react-server --import tsx bench/tools/answer-path.ts [1K|2K|4K] [runs]
 */
import { performance } from "node:perf_hooks";
import { freePort } from "../../test/support/postgres-cluster";
import { createGeminiGateway } from "../../lib/gemini/client";
import type { ImageSize } from "../../lib/gemini/types";
import { capturingFetch, inReads, replayingFetch } from "../lib/captured-answer";
import { startEmulatorHost } from "../lib/emulator-host";
import { flashSettings } from "../lib/settings";
import { percentile } from "../lib/stats";

const size = (process.argv[2] ?? "4K") as ImageSize;
const runs = Number(process.argv[3] ?? 20);

async function main() {
  const emulator = await startEmulatorHost({ port: await freePort() });
  try {
    await emulator.configure({ latencyMs: 0, realisticPayload: true });
    const capture = capturingFetch();
    const request = { history: [], prompt: `answer path ${size}`, references: [], settings: flashSettings(size) };
    const first = await createGeminiGateway({ apiKey: "bench-key", baseUrl: emulator.url, fetch: capture.fetch }).generate(request);
    if (!first.ok) throw new Error(`capture: ${first.error.message}`);
    const answer = capture.answer();

    let lastRead = 0;
    // Fresh copies each run, as a socket's reads would be.
    const replay = replayingFetch(answer, () => inReads(answer.bytes, { copy: true }), () => {
      lastRead = performance.now();
    });
    const gateway = createGeminiGateway({ apiKey: "bench-key", baseUrl: emulator.url, fetch: replay });
    const toImage: number[] = [];
    const toResult: number[] = [];
    for (let index = 0; index < runs + 3; index += 1) {
      let imageAt = Number.NaN;
      const result = await gateway.generate(request, {
        onEvent: (event) => {
          if (event.type === "image") imageAt = performance.now();
        },
      });
      const resultAt = performance.now();
      if (!result.ok) throw new Error(result.error.message);
      if (index < 3) continue;
      toImage.push(imageAt - lastRead);
      toResult.push(resultAt - lastRead);
    }
    const p50 = (values: number[]) => Math.round(percentile(values, 50) * 10) / 10;
    console.log(`${size}: answer ${(answer.bytes.length / 1e6).toFixed(2)} MB; last read -> image event p50 ${p50(toImage)} ms, -> result p50 ${p50(toResult)} ms (n=${runs})`);
  } finally {
    await emulator.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
