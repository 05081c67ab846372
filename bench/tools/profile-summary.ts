/**
 * Summarises a .cpuprofile (from `npm run bench -- --profile`): functions by self time, and by
 * inclusive time for those whose name or file matches a pattern.
 *   npx tsx bench/tools/profile-summary.ts <file.cpuprofile> [top=40] [pattern]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, pattern] = process.argv.slice(2);
if (!file) throw new Error("usage: profile-summary.ts <file.cpuprofile> [top] [pattern]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const label = (node: ProfileNode) =>
  `${node.callFrame.functionName || "(anonymous)"} ${node.callFrame.url.replace(/.*\/(node_modules|\.next)\//, "$1/")}:${node.callFrame.lineNumber + 1}`;

const selfBySample = new Map<number, number>();
let totalUs = 0;
profile.samples.forEach((id, index) => {
  const delta = profile.timeDeltas[index] ?? 0;
  totalUs += delta;
  selfBySample.set(id, (selfBySample.get(id) ?? 0) + delta);
});

const self = new Map<string, number>();
for (const [id, us] of selfBySample) {
  const key = label(nodes.get(id) as ProfileNode);
  self.set(key, (self.get(key) ?? 0) + us);
}
console.log(`profile: ${(totalUs / 1000).toFixed(0)} ms sampled`);
console.log("self ms  function");
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 40))) console.log(`${(us / 1000).toFixed(0).padStart(7)}  ${key}`);

if (pattern) {
  const matcher = new RegExp(pattern);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfBySample) {
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const key = label(nodes.get(current) as ProfileNode);
      if (matcher.test(key) && !seen.has(key)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + us);
      }
    }
  }
  console.log(`\ninclusive ms  function matching /${pattern}/`);
  for (const [key, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(us / 1000).toFixed(0).padStart(7)}  ${key}`);
}
