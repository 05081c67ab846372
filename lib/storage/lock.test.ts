import { spawn } from "node:child_process";
import { existsSync, promises as fs, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataDirLockedError, LOCK_FILE, lockDataDir } from "./lock";

let dataDir: string;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "nb-lock-"));
});

afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** A live process that is not this one, standing in for another studio. */
function otherProcess() {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  return child;
}

describe("lockDataDir", () => {
  it("takes the lock, names this process in it, and removes it on release", () => {
    const lock = lockDataDir(dataDir);
    const written = JSON.parse(readFileSync(path.join(dataDir, LOCK_FILE), "utf8")) as { pid: number; host: string; since: string };
    expect(written).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(Date.parse(written.since)).not.toBeNaN();
    lock.release();
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    lock.release();
  });

  it("refuses while another live process holds it, naming its pid, host and start", async () => {
    const child = otherProcess();
    try {
      const since = "2026-12-05T08:00:00.000Z";
      writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify({ pid: child.pid, host: os.hostname(), since, token: "other" }));
      let error: unknown;
      try {
        lockDataDir(dataDir);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect((error as Error).message).toContain(`pid ${child.pid} on ${os.hostname()}, since ${since}`);
      expect((error as Error).message).toContain("STUDIO_DATA_DIR");
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("takes over at once a lock whose process died (kill -9) on this host", async () => {
    const child = otherProcess();
    const pid = child.pid;
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), since: "2026-12-05T08:00:00.000Z", token: "dead" }));
    const lock = lockDataDir(dataDir);
    expect(JSON.parse(readFileSync(path.join(dataDir, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it("takes over a lock from another host only once its heartbeat is old", async () => {
    const file = path.join(dataDir, LOCK_FILE);
    writeFileSync(file, JSON.stringify({ pid: 1, host: "elsewhere", since: "2026-12-05T08:00:00.000Z", token: "far" }));
    expect(() => lockDataDir(dataDir)).toThrow(/pid 1 on elsewhere/);
    const old = new Date(Date.now() - 5 * 60_000);
    await fs.utimes(file, old, old);
    lockDataDir(dataDir).release();
  });

  it("refuses a second lock in this process too while the first is held", () => {
    const lock = lockDataDir(dataDir);
    expect(() => lockDataDir(dataDir)).toThrow(DataDirLockedError);
    lock.release();
  });
});
