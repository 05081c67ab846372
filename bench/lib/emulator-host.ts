import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { ChildMessage, ChunkTiming, HostMessage } from "./emulator-process";

export type { ChunkTiming };

export interface EmulatorConfig {
  latencyMs?: number;
  realisticPayload?: boolean;
  enforceSignatures?: boolean;
}

export interface EmulatorHost {
  url: string;
  pid: number;
  configure(config: EmulatorConfig): Promise<void>;
  /** Model requests that arrived after `since` (a seq), waiting until each has ended. */
  timings(since: number): Promise<ChunkTiming[]>;
  /** The highest seq seen so far: a mark to pass to timings() later. */
  mark(): Promise<number>;
  /** Offset of the emulator's clock from this process's, in ms (both epoch based), with its uncertainty. */
  clockOffset(): Promise<{ offsetMs: number; uncertaintyMs: number }>;
  /** The emulator's own request log (bodies redacted): what was sent, to compare two requests. */
  requestLog(): Promise<Array<{ path: string; body: unknown; status: number | null; durationMs: number | null }>>;
  clearLog(): Promise<void>;
  close(): Promise<void>;
}

const root = path.resolve(__dirname, "..", "..");

/**
 * fetch for the control endpoints, tried twice: a kept-alive socket the emulator closes after its
 * idle timeout at the moment it is reused fails with "other side closed". They are idempotent.
 */
async function controlFetch(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    return fetch(url, init);
  }
}

export async function startEmulatorHost({ port }: { port: number }): Promise<EmulatorHost> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "emulator-process.ts")], {
    cwd: root,
    env: { ...process.env, BENCH_EMULATOR_PORT: String(port) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let nextId = 1;
  const waiting = new Map<number, (message: ChildMessage) => void>();
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("The emulator did not start within 30 s.")), 30_000);
    child.once("exit", (code) => reject(new Error(`The emulator exited early (code ${code}); is port ${port} free?`)));
    child.on("message", (message: ChildMessage) => {
      if (message.type === "ready") {
        clearTimeout(timer);
        resolve(message.url);
        return;
      }
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
    });
  });

  function ask<T extends ChildMessage>(message: Omit<HostMessage, "id"> & { type: HostMessage["type"] }): Promise<T> {
    const id = nextId++;
    return new Promise((resolve) => {
      waiting.set(id, (reply) => resolve(reply as T));
      child.send({ ...message, id } as HostMessage);
    });
  }

  async function rawTimings(since: number): Promise<ChunkTiming[]> {
    const reply = await ask<Extract<ChildMessage, { type: "timings" }>>({ type: "timings", since } as HostMessage);
    return reply.timings;
  }

  const host: EmulatorHost = {
    url,
    pid: child.pid ?? 0,
    async configure(config) {
      const response = await controlFetch(`${url}/_emulator/config`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(config),
      });
      if (!response.ok) throw new Error(`Emulator config refused: ${response.status} ${await response.text()}`);
    },
    async timings(since) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const timings = await rawTimings(since);
        if (timings.every((timing) => timing.endAt !== null) || Date.now() > deadline) return timings;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async mark() {
      const timings = await rawTimings(0);
      return timings.at(-1)?.seq ?? 0;
    },
    async clockOffset() {
      // Best of a few round trips: the reply was stamped somewhere inside the bracket.
      let best = { offsetMs: 0, uncertaintyMs: Number.POSITIVE_INFINITY };
      for (let round = 0; round < 7; round += 1) {
        const before = performance.timeOrigin + performance.now();
        const reply = await ask<Extract<ChildMessage, { type: "clock" }>>({ type: "clock" } as HostMessage);
        const after = performance.timeOrigin + performance.now();
        const uncertaintyMs = (after - before) / 2;
        if (uncertaintyMs < best.uncertaintyMs) best = { offsetMs: reply.now - (before + after) / 2, uncertaintyMs };
      }
      return best;
    },
    async requestLog() {
      const response = await controlFetch(`${url}/_emulator/requests`);
      return (await response.json()) as Array<{ path: string; body: unknown; status: number | null; durationMs: number | null }>;
    },
    async clearLog() {
      await controlFetch(`${url}/_emulator/requests`, { method: "DELETE" });
    },
    close() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.disconnect();
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      });
    },
  };
  return host;
}
