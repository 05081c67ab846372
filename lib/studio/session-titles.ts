/**
 * Sidebar titles are a prompt's first words, so sessions started from similar prompts read alike
 * ("A photorealistic portrait of an old…" twice). Each title that shares its opening with another
 * listed title gets a suffix: the words where it starts to differ, or, when the titles are the same,
 * nothing (the sidebar's time line tells those apart).
 */

/** Words two titles must share before they count as alike: short common openings ("A", "The cat") read fine. */
const ALIKE_WORDS = 3;
const SUFFIX_WORDS = 4;

function words(title: string): string[] {
  return title.trim().toLowerCase().split(/\s+/).filter(Boolean);
}

function sharedWords(a: readonly string[], b: readonly string[]): number {
  let shared = 0;
  while (shared < a.length && shared < b.length && a[shared] === b[shared]) shared += 1;
  return shared;
}

/** Id -> the distinguishing words ("…young fisherman"), for titles alike another listed one. */
export function distinguishingSuffixes(sessions: ReadonlyArray<{ id: string; title: string }>): Map<string, string> {
  const split = sessions.map((session) => ({ id: session.id, original: session.title.trim().split(/\s+/), lower: words(session.title) }));
  const suffixes = new Map<string, string>();
  for (const session of split) {
    let longest = 0;
    for (const other of split) {
      if (other.id === session.id) continue;
      longest = Math.max(longest, sharedWords(session.lower, other.lower));
    }
    if (longest < ALIKE_WORDS || longest >= session.original.length) continue;
    suffixes.set(session.id, `…${session.original.slice(longest, longest + SUFFIX_WORDS).join(" ")}`);
  }
  return suffixes;
}
