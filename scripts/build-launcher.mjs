/**
 * Compiles the launcher (scripts/serve.ts) and the emulator it starts for offline preview into
 * one plain JavaScript file, dist/serve.cjs, so `npm start` runs on production dependencies only
 * (tsx, TypeScript and esbuild are dev dependencies). sharp and zod stay outside the bundle: they
 * are production dependencies and sharp is native.
 *   node scripts/build-launcher.mjs          compile (npm run build does this)
 * The list of source files and their hash go beside it, so scripts/start.mjs can tell a stale
 * launcher (an edited emulator, say) without esbuild installed.
 */
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const launcherFile = path.join(root, "dist", "serve.cjs");
const manifestFile = path.join(root, "dist", "serve.sources.json");

async function hashFiles(files) {
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file);
    hash.update(await fs.readFile(path.join(root, file)));
  }
  return hash.digest("hex");
}

/** True when dist/serve.cjs exists and none of the files it was compiled from changed since. */
export async function launcherIsCurrent() {
  if (!existsSync(launcherFile)) return false;
  const manifest = JSON.parse(await fs.readFile(manifestFile, "utf8").catch(() => "null"));
  if (!manifest || !Array.isArray(manifest.inputs)) return false;
  // A deleted input changed the sources as much as an edited one.
  if (!manifest.inputs.every((file) => existsSync(path.join(root, file)))) return false;
  return (await hashFiles(manifest.inputs)) === manifest.hash;
}

/** True when esbuild can be loaded, i.e. the dev dependencies are installed. */
export async function canBuildLauncher() {
  try {
    await import("esbuild");
    return true;
  } catch {
    return false;
  }
}

export async function buildLauncher() {
  // Loaded here, not at the top: start.mjs imports this module in pruned installs too.
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ["scripts/serve.ts"],
    outfile: launcherFile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node22",
    packages: "external",
    metafile: true,
    logLevel: "warning",
  });
  const inputs = Object.keys(result.metafile.inputs).sort();
  await fs.writeFile(manifestFile, `${JSON.stringify({ inputs, hash: await hashFiles(inputs) }, null, 2)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!(await canBuildLauncher())) {
    console.error(
      "build-launcher: esbuild is not installed: this installation has no development dependencies\n" +
        "(installed or pruned with --omit=dev). Build before pruning:  npm ci && npm run build && npm prune --omit=dev",
    );
    process.exit(1);
  }
  await buildLauncher();
  console.log(`build-launcher: wrote ${path.relative(root, launcherFile)}`);
}
