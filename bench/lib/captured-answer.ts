/**
 * A streamed answer captured once from the emulator and handed out again from memory, for
 * diagnostics that time what happens to an answer without the network or the emulator in it
 * (scenario 1's SDK attribution, bench/tools/answer-path.ts).
 */

/** The size of a read as a socket delivers it. */
export const READ_BYTES = 64 * 1024;

export interface CapturedAnswer {
  bytes: Uint8Array;
  headers: Headers;
}

/** A fetch that passes each call on and keeps the last answer's bytes and headers. */
export function capturingFetch(): { fetch: typeof fetch; answer(): CapturedAnswer } {
  let captured: CapturedAnswer = { bytes: new Uint8Array(0), headers: new Headers() };
  return {
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      captured = { bytes: new Uint8Array(await response.arrayBuffer()), headers: response.headers };
      return new Response(captured.bytes.slice(), { status: response.status, headers: response.headers });
    },
    answer: () => captured,
  };
}

/** `bytes` in reads of READ_BYTES: views of it, or fresh copies as a socket's reads would be. */
export function inReads(bytes: Uint8Array, { copy = false }: { copy?: boolean } = {}): Uint8Array[] {
  const reads: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += READ_BYTES) reads.push(copy ? bytes.slice(at, at + READ_BYTES) : bytes.subarray(at, at + READ_BYTES));
  return reads;
}

/**
 * A fetch that answers every call with the captured answer's headers and the reads `reads()` makes
 * for that call, one per pull; `onLastRead` runs as the last one is handed over.
 */
export function replayingFetch(answer: CapturedAnswer, reads: () => Uint8Array[], onLastRead?: () => void): typeof fetch {
  return async () => {
    const queue = reads();
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = queue.shift();
        if (!next) {
          controller.close();
          return;
        }
        if (queue.length === 0) onLastRead?.();
        controller.enqueue(next);
      },
    });
    return new Response(body, { status: 200, headers: answer.headers });
  };
}
