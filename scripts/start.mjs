/**
 * `npm start`: runs the compiled launcher (dist/serve.cjs, see build-launcher.mjs), compiling it
 * first when it is missing or its sources changed and the dev dependencies are there to do it.
 * Plain JavaScript so it runs in an install pruned to production dependencies. The launcher runs in
 * this process, so a signal from a process manager reaches it directly.
 */
import { pathToFileURL } from "node:url";
import { buildLauncher, canBuildLauncher, launcherFile, launcherIsCurrent } from "./build-launcher.mjs";

if (!(await launcherIsCurrent())) {
  if (!(await canBuildLauncher())) {
    console.error(
      "Nano Banana Studio: the launcher (dist/serve.cjs) is missing or older than its sources, and this\n" +
        "installation has no development dependencies (installed or pruned with --omit=dev), so it cannot\n" +
        "be compiled here. Build before pruning:  npm ci && npm run build && npm prune --omit=dev",
    );
    process.exit(1);
  }
  console.log("Nano Banana Studio: compiling the launcher…");
  await buildLauncher();
}

await import(pathToFileURL(launcherFile).href);
