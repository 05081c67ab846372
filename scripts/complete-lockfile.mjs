/**
 * The npm registry mirror on our machines answers 404 for platform packages of
 * other systems (darwin, win32, android, ...), so `npm install` writes a lock
 * without them, and `npm ci` then refuses the lock as out of sync. This adds the
 * missing optional entries, with the os/cpu their names encode, so `npm ci`
 * accepts the lock and skips them on Linux as it would with a complete lock.
 * The file is written exactly as npm writes it, so a later `npm install` leaves it unchanged.
 *   node scripts/complete-lockfile.mjs [lockfile]   (after any npm install that changed the lock)
 */
import { readFileSync, writeFileSync } from "node:fs";
import stringify from "json-stringify-nice";

// How npm itself writes the lock (@npmcli/arborist's shrinkwrap.js): json-stringify-nice with these
// keys first. Anything else (the entries' key order, `localeCompare(…, "en")` for the package
// paths) and the next plain `npm install` rewrites the file on a fresh clone.
const NPM_LOCK_KEY_ORDER = ["name", "version", "lockfileVersion", "resolved", "integrity", "requires", "packages", "dependencies"];

const lockPath = process.argv[2] ?? new URL("../package-lock.json", import.meta.url);
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

// Added entry -> whether every package that wants it is itself a dev dependency: npm marks such
// an entry `dev` as well as `optional`.
const addedDev = new Map();
for (const [location, meta] of Object.entries(packages)) {
  for (const [dep, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ""}node_modules/${dep}`;
    const key = `node_modules/${dep}`;
    if (addedDev.has(key)) {
      addedDev.set(key, addedDev.get(key) && meta.dev === true);
      continue;
    }
    if (packages[nested] || packages[key]) continue;
    const version = range.replace(/^[\^~=]/, "");
    packages[key] = { version, ...platformOf(dep), optional: true };
    addedDev.set(key, meta.dev === true);
  }
}
for (const [key, dev] of addedDev) if (dev) packages[key].dev = true;
const added = addedDev.size;

writeFileSync(lockPath, stringify(lock, NPM_LOCK_KEY_ORDER, 2));
console.log(`complete-lockfile: added ${added} optional platform entries`);
