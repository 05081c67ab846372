import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  ramGiB: number;
  os: string;
  node: string;
  chromium: string;
  next: string;
  loadAverageAtStart: number[];
  gitCommit: string | null;
  gitDirty: boolean | null;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export function describeMachine(chromiumVersion: string): MachineInfo {
  const cpus = os.cpus();
  const status = git(["status", "--porcelain", "--", "app", "components", "lib"]);
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    chromium: chromiumVersion,
    next: packageVersion("next"),
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
    gitCommit: git(["rev-parse", "--short", "HEAD"]),
    gitDirty: status === null ? null : status !== "",
  };
}
