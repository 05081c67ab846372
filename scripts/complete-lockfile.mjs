/**
 * The npm registry mirror on our machines answers 404 for platform packages of
 * other systems (darwin, win32, android, ...), so `npm install` writes a lock
 * without them, and `npm ci` then refuses the lock as out of sync. This adds the
 * missing optional entries, with the os/cpu their names encode, so `npm ci`
 * accepts the lock and skips them on Linux as it would with a complete lock.
 *   node scripts/complete-lockfile.mjs   (after any npm install that changed the lock)
 */
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const packages = lock.packages;

const OS = ["android", "darwin", "freebsd", "linux", "win32", "openbsd", "netbsd", "sunos", "aix", "openharmony", "wasm32", "wasi"];
const CPU = ["arm64", "x64", "ia32", "arm", "riscv64", "ppc64", "s390x", "loong64", "mips64el", "wasm32"];

function platformOf(name) {
  const base = name.split("/").pop();
  const parts = base.split("-");
  const os = parts.find((part) => OS.includes(part) || part === "win32");
  const cpu = parts.find((part) => CPU.includes(part));
  const entry = {};
  if (os === "wasm32" || os === "wasi" || cpu === "wasm32") entry.cpu = ["wasm32"];
  else {
    if (os) entry.os = [os === "openharmony" ? "openharmony" : os];
    if (cpu) entry.cpu = [cpu];
  }
  if (base.includes("musl")) entry.libc = ["musl"];
  else if (base.includes("gnu") || (os === "linux" && !base.includes("musl"))) entry.libc = ["glibc"];
  return entry;
}

let added = 0;
for (const [location, meta] of Object.entries(packages)) {
  for (const [dep, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ""}node_modules/${dep}`;
    if (packages[nested] || packages[`node_modules/${dep}`]) continue;
    const version = range.replace(/^[\^~=]/, "");
    packages[`node_modules/${dep}`] = { version, ...platformOf(dep), optional: true };
    added += 1;
  }
}

const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);
