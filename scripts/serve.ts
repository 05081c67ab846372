/**
 * `npm start` and `npm run dev`: builds when the sources changed since the last
 * build, starts the bundled Gemini emulator when no GEMINI_API_KEY is set
 * (offline preview), then runs Next.js with the right environment.
 * `--build` (npm run build) builds and records the sources' fingerprint, then exits.
 *
 * `npm start` runs this compiled to dist/serve.cjs (scripts/build-launcher.mjs), so it must
 * import nothing outside production dependencies; `npm run dev` runs it with tsx.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { startEmulator, type RunningEmulator } from "../emulator/server";

const root = path.resolve(__dirname, "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const fingerprintFile = path.join(root, ".next", "studio-source-fingerprint");
const SOURCE_DIRS = ["app", "components", "lib", "public"];
// Root-level files Next.js builds by convention count too: an edit to proxy.ts must not leave the old build serving.
const SOURCE_FILES = [
  "package-lock.json",
  "next.config.ts",
  "postcss.config.mjs",
  "tsconfig.json",
  "proxy.ts",
  "instrumentation.ts",
  "instrumentation-client.ts",
];

const dev = process.argv.includes("--dev");
const buildOnly = process.argv.includes("--build");
const forceBuild = buildOnly || process.argv.includes("--rebuild");
// What `next build` needs beyond production dependencies: it type-checks, and PostCSS runs Tailwind.
// Without them Next.js would try to install TypeScript itself, into a production install.
const BUILD_TOOLS = ["typescript", "@tailwindcss/postcss", "tailwindcss"];

async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listFiles(full);
      return Promise.resolve(/\.test\.tsx?$/.test(entry.name) ? [] : [full]);
    }),
  );
  return nested.flat();
}

/** Content hash of everything the production build depends on. */
async function sourceFingerprint(): Promise<string> {
  const files = [
    ...(await Promise.all(SOURCE_DIRS.map((dir) => listFiles(path.join(root, dir))))).flat(),
    ...SOURCE_FILES.map((file) => path.join(root, file)).filter((file) => existsSync(file)),
  ].sort();
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(path.relative(root, file));
    hash.update(await fs.readFile(file));
  }
  return hash.digest("hex");
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, { cwd: root, env, stdio: "inherit" });
}

function waitForExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Two launchers started together (the e2e servers, say) must not build into one .next at once. */
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = path.join(root, ".studio-build.lock");
  for (;;) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(await fs.readFile(lock, "utf8").catch(() => "0"));
      const age = Date.now() - ((await fs.stat(lock).catch(() => null))?.mtimeMs ?? 0);
      // An empty lock is one being written right now, unless it is old.
      if ((holder && !isAlive(holder)) || (!holder && age > 5_000)) {
        await fs.rm(lock, { force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await work();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

async function buildIfNeeded(): Promise<void> {
  const fingerprint = await sourceFingerprint();
  const previous = await fs.readFile(fingerprintFile, "utf8").catch(() => "");
  if (!forceBuild && previous === fingerprint && existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.log("Nano Banana Studio: build is up to date.");
    return;
  }
  const missing = BUILD_TOOLS.filter((name) => !existsSync(path.join(root, "node_modules", name, "package.json")));
  if (missing.length > 0) {
    const why = buildOnly ? "" : " The sources changed since the last build (or there is none).";
    console.error(
      `Nano Banana Studio: cannot build.${why}\n` +
        `  The build needs development dependencies this installation lacks (${missing.join(", ")}):\n` +
        `  it was installed or pruned with --omit=dev. Build before pruning:\n` +
        `  npm ci && npm run build && npm prune --omit=dev`,
    );
    process.exit(1);
  }
  console.log(buildOnly ? "Nano Banana Studio: building…" : "Nano Banana Studio: building (first start or sources changed)…");
  // The build must not see the runtime key: nothing secret may end up in static output.
  const buildEnv = { ...process.env, GEMINI_API_KEY: "", NEXT_TELEMETRY_DISABLED: "1" };
  const code = await waitForExit(run(process.execPath, [nextBin, "build"], buildEnv));
  if (code !== 0) {
    console.error(`Nano Banana Studio: the build failed (exit code ${code}).`);
    process.exit(code);
  }
  await fs.writeFile(fingerprintFile, fingerprint);
}

async function main(): Promise<void> {
  if (buildOnly) {
    await withBuildLock(buildIfNeeded);
    return;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  // glibc gives each thread that allocates its own malloc arena, and memory freed inside an arena
  // mostly stays with the process. sharp's decode threads allocate tens of MB per photo, so a
  // minute after a burst of uploads (bench upload-storm) the server held 1.19-1.58x its memory from
  // before; with two arenas 1.01-1.21x, and with two decode slots it peaked at 445-483 MB against
  // 502-526 (bench/README.md). sharp's install notes name the same cause and suggest jemalloc,
  // which would have to be installed beside Node; this needs nothing. The variable is read when a
  // process starts, so it is set for the server here. No effect with musl (Alpine).
  if (!env.MALLOC_ARENA_MAX?.trim()) env.MALLOC_ARENA_MAX = "2";
  const port = env.PORT && env.PORT.trim() !== "" ? env.PORT : "3000";
  env.PORT = port;
  // Unset: Next.js listens on every interface. HOST=127.0.0.1 keeps the studio behind a reverse proxy.
  const host = env.HOST?.trim() || undefined;
  // Before the emulator: a start that cannot build stops here without announcing offline preview.
  if (!dev) await withBuildLock(buildIfNeeded);
  let emulator: RunningEmulator | undefined;

  if (!env.GEMINI_API_KEY?.trim()) {
    emulator = await startEmulator({ port: Number(env.EMULATOR_PORT ?? 0), latencyMs: Number(env.EMULATOR_LATENCY_MS ?? 400) });
    env.GEMINI_API_KEY = "offline-preview";
    env.GEMINI_BASE_URL = emulator.url;
    env.STUDIO_OFFLINE_PREVIEW = "1";
    console.log(
      `Nano Banana Studio: no GEMINI_API_KEY set, starting in OFFLINE PREVIEW.\n` +
        `  Images are placeholders from the bundled Gemini emulator (${emulator.url}).\n` +
        `  To use Google's models: GEMINI_API_KEY=your-key npm start  (keys: https://aistudio.google.com/apikey)`,
    );
  }

  // Offline preview signs a local admin in without a password (lib/server/auth/offline.ts), so it
  // must only be reachable from this machine, whatever HOST says.
  const offline = env.STUDIO_OFFLINE_PREVIEW === "1";
  if (offline && host && host !== "127.0.0.1") {
    console.log(`Nano Banana Studio: offline preview listens on 127.0.0.1 only (HOST=${host} ignored); set GEMINI_API_KEY to serve a team.`);
  }
  const bindHost = offline ? "127.0.0.1" : host;
  // The studio handles SIGTERM itself (instrumentation.ts, lib/server/graceful-exit.ts): running
  // generations finish first. Next.js would exit as soon as no request is open.
  if (!dev) env.NEXT_MANUAL_SIG_HANDLE ??= "1";
  const next = run(process.execPath, [nextBin, dev ? "dev" : "start", "-p", port, ...(bindHost ? ["-H", bindHost] : [])], env);
  const urlHost = !bindHost || bindHost === "0.0.0.0" || bindHost === "::" ? "localhost" : bindHost.includes(":") ? `[${bindHost}]` : bindHost;
  console.log(`Nano Banana Studio: http://${urlHost}:${port}`);

  const stop = (signal: NodeJS.Signals) => {
    next.kill(signal);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  const code = await waitForExit(next);
  await emulator?.close();
  process.exit(code);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
