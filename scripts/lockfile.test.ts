import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

interface LockPackage {
  optionalDependencies?: Record<string, string>;
}

// `npm ci` in CI refuses a lock that lacks other platforms' optional packages, which our registry
// mirror hides from `npm install`. scripts/complete-lockfile.mjs fills them in; this catches a lock
// committed without running it.
describe("package-lock.json", () => {
  it("lists every optional dependency, so npm ci accepts it on a fresh machine", () => {
    const lock = JSON.parse(readFileSync(path.join(__dirname, "..", "package-lock.json"), "utf8")) as {
      packages: Record<string, LockPackage>;
    };
    const missing: string[] = [];
    for (const [location, meta] of Object.entries(lock.packages)) {
      for (const dependency of Object.keys(meta.optionalDependencies ?? {})) {
        const nested = `${location ? `${location}/` : ""}node_modules/${dependency}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${dependency}`]) missing.push(dependency);
      }
    }
    expect(missing, "run: node scripts/complete-lockfile.mjs").toEqual([]);
  });
});
