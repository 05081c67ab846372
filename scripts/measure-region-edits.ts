import { runRegionEdits, summarize } from "./region-edits-run";

// npm run measure:region-edits [-- --edits 60]
// Prints how often the unmarked area of a region edit stays unchanged (the README's figure).

const TOLERANCES = [0, 8] as const;
const flag = process.argv.indexOf("--edits");
const edits = flag === -1 ? 60 : Number(process.argv[flag + 1]);
if (!Number.isInteger(edits) || edits < 1) {
  console.error("--edits takes a whole number of edits, e.g. --edits 60");
  process.exit(2);
}

const percent = (share: number) => `${(share * 100).toFixed(3)}%`;

async function main() {
  const results = await runRegionEdits({ edits, tolerances: TOLERANCES });
  const groups = [...new Set(results.map((result) => result.mimeType))].map((mimeType) =>
    summarize(mimeType, results.filter((result) => result.mimeType === mimeType), TOLERANCES),
  );
  for (const summary of [...groups, summarize("all", results, TOLERANCES)]) {
    console.log(
      `${summary.group.padEnd(10)} edits ${String(summary.edits).padStart(3)} | ` +
        TOLERANCES.map(
          (tolerance) =>
            `±${tolerance}: mean ${percent(summary.mean[tolerance] ?? 0)}, worst ${percent(summary.worst[tolerance] ?? 0)}, ` +
            `all kept in ${summary.allUnchanged[tolerance]}/${summary.edits}`,
        ).join(" | ") +
        ` | reported region off by ≤ ${summary.worstReportedOffByPercent.toFixed(1)}%`,
    );
  }
  const untouched = results.filter((result) => result.insideChanged < 0.5);
  if (untouched.length > 0) console.log(`${untouched.length} edits changed less than half of the marked box.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
