import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

interface LockPackage {
  integrity?: string;
  link?: boolean;
  optionalDependencies?: Record<string, string>;
}

const lockPath = path.join(__dirname, "..", "package-lock.json");

// `npm ci` in CI refuses a lock that lacks other platforms' optional packages, which our registry
// mirror hides from `npm install`. scripts/complete-lockfile.mjs fills them in; this catches a lock
// committed without running it.
describe("package-lock.json", () => {
  it("lists every optional dependency, so npm ci accepts it on a fresh machine", () => {
    const lock = JSON.parse(readFileSync(lockPath, "utf8")) as { packages: Record<string, LockPackage> };
    const missing: string[] = [];
    for (const [location, meta] of Object.entries(lock.packages)) {
      for (const dependency of Object.keys(meta.optionalDependencies ?? {})) {
        const nested = `${location ? `${location}/` : ""}node_modules/${dependency}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${dependency}`]) missing.push(dependency);
      }
    }
    expect(missing, "run: node scripts/complete-lockfile.mjs").toEqual([]);
  });

  // The committed lock is as npm writes it (a fresh clone's `npm install` leaves it unchanged), so
  // the script's output must match it byte for byte: otherwise the next `npm install` reorders keys.
  it("is written by complete-lockfile.mjs exactly as npm writes it", () => {
    const committed = readFileSync(lockPath, "utf8");
    const lock = JSON.parse(committed) as { packages: Record<string, LockPackage> };
    // The entries the script adds are the ones the mirror hides: no integrity, not a link.
    const hidden = Object.keys(lock.packages).filter((key) => key !== "" && !lock.packages[key]?.integrity && !lock.packages[key]?.link);
    expect(hidden.length).toBeGreaterThan(0);
    for (const key of hidden) delete lock.packages[key];

    const dir = mkdtempSync(path.join(tmpdir(), "lockfile-test-"));
    try {
      const copy = path.join(dir, "package-lock.json");
      writeFileSync(copy, JSON.stringify(lock, null, 4));
      execFileSync(process.execPath, [path.join(__dirname, "complete-lockfile.mjs"), copy], { stdio: "pipe" });
      expect(readFileSync(copy, "utf8") === committed, "complete-lockfile.mjs output differs from npm's").toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
