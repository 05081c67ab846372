import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkDataDir, createDiskProbe, type DiskState } from "./disk-probe";

const OK: DiskState = { ok: true, freeBytes: 1_000 };
const BROKEN: DiskState = { ok: false, reason: "data directory is not writable" };

/** A check whose answers the test releases by hand, counting how many were started. */
function manualCheck() {
  const pending: Array<(state: DiskState) => void> = [];
  return {
    started: () => pending.length,
    check: () => new Promise<DiskState>((resolve) => pending.push(resolve)),
    answer(state: DiskState) {
      const next = pending.shift();
      if (!next) throw new Error("no check running");
      next(state);
    },
  };
}

const elapsed = async <T>(work: Promise<T>) => {
  const began = performance.now();
  const value = await work;
  return { value, ms: performance.now() - began };
};

describe("disk probe", () => {
  it("answers with a check that finishes quickly, so a disk that just broke shows at once", async () => {
    let state: DiskState = OK;
    const probe = createDiskProbe({ check: async () => state, freshWaitMs: 1_000 });
    expect(await probe.read()).toMatchObject({ state: OK, ageMs: 0 });
    state = BROKEN;
    expect((await probe.read()).state).toEqual(BROKEN);
  });

  it("does not wait behind a slow check: the last result answers, with its age; one check at a time", async () => {
    const disk = manualCheck();
    const probe = createDiskProbe({ check: disk.check, freshWaitMs: 20, maxAgeMs: 60_000, overdueMs: 60_000 });
    const first = probe.read();
    disk.answer(OK);
    expect((await first).state).toEqual(OK);

    // The next check is stuck (the thread pool busy with uploads): reads answer from the last result in about freshWaitMs.
    const reads = await Promise.all([elapsed(probe.read()), elapsed(probe.read()), elapsed(probe.read())]);
    for (const read of reads) {
      expect(read.value.state).toEqual(OK);
      expect(read.ms).toBeLessThan(500);
    }
    expect(disk.started()).toBe(1);
    disk.answer(BROKEN);
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The stuck check's result, once in, is what the next read sees if its own check is slow too.
    expect((await probe.read()).state).toEqual(BROKEN);
  });

  it("fails readiness when a check has been running past the overdue bound, whatever the last result said", async () => {
    const disk = manualCheck();
    let clock = 0;
    const probe = createDiskProbe({ check: disk.check, freshWaitMs: 5, maxAgeMs: 60_000, overdueMs: 1_000, now: () => clock });
    const first = probe.read();
    disk.answer(OK);
    await first;
    expect((await probe.read()).state).toEqual(OK);
    clock = 1_500;
    const overdue = await probe.read();
    expect(overdue).toMatchObject({ state: { ok: false, reason: "data directory check overdue" }, ageMs: 1_500, pendingMs: 1_500 });
  });

  it("waits for a fresh check, up to the overdue bound, when the last result is too old", async () => {
    const disk = manualCheck();
    let clock = 0;
    const probe = createDiskProbe({ check: disk.check, freshWaitMs: 5, maxAgeMs: 1_000, overdueMs: 60_000, now: () => clock });
    const first = probe.read();
    disk.answer(OK);
    await first;
    clock = 5_000;
    const read = probe.read();
    await new Promise((resolve) => setTimeout(resolve, 30));
    disk.answer(BROKEN);
    expect((await read).state).toEqual(BROKEN);
  });

  it("checks a real data directory: free space when writable, not writable when tmp can't be made", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-disk-probe-"));
    try {
      const state = await checkDataDir(dataDir);
      expect(state).toMatchObject({ ok: true, freeBytes: expect.any(Number) });
      expect(await fs.readdir(path.join(dataDir, "tmp"))).toEqual([]);
      await fs.rm(path.join(dataDir, "tmp"), { recursive: true });
      // As in e2e/failures.spec.ts: a regular file where tmp belongs (root ignores permission bits).
      await fs.writeFile(path.join(dataDir, "tmp"), "not a directory");
      expect(await checkDataDir(dataDir)).toEqual(BROKEN);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
