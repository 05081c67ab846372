/**
 * Turns form a tree (any turn can be continued, which makes a branch). The
 * timeline shows one path through it: root to the selected turn, then on down
 * the newest child to a leaf. Pure, so the server and the client agree.
 */
export interface TreeTurn {
  id: string;
  parentId: string | null;
  createdAt: string;
}

export interface TurnTree<T extends TreeTurn> {
  byId: Map<string, T>;
  /** Children in creation order; the key null holds the roots. */
  children: Map<string | null, T[]>;
}

/**
 * Creation order: ISO timestamps, then ids. Compared by code unit, not `localeCompare`: both are
 * ASCII in a fixed format, so the order is the same, and a collator costs ~20 ms for 500 turns
 * (plus its set-up the first time) while the session page hydrates.
 */
function byCreation(a: TreeTurn, b: TreeTurn): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function buildTurnTree<T extends TreeTurn>(turns: readonly T[]): TurnTree<T> {
  const byId = new Map(turns.map((turn) => [turn.id, turn]));
  const children = new Map<string | null, T[]>();
  const ordered = [...turns].sort(byCreation);
  for (const turn of ordered) {
    // A parent that is missing (deleted, or another owner's) would orphan its subtree: show it as a root.
    const parent = turn.parentId !== null && byId.has(turn.parentId) ? turn.parentId : null;
    const list = children.get(parent) ?? [];
    list.push(turn);
    children.set(parent, list);
  }
  return { byId, children };
}

function newestLeafPath<T extends TreeTurn>(tree: TurnTree<T>, from: T): T[] {
  const path: T[] = [];
  let current: T | undefined = from;
  while (current) {
    path.push(current);
    current = tree.children.get(current.id)?.at(-1);
  }
  return path;
}

/** The path the timeline shows for a selected turn (or the newest branch when none is selected). */
export function visiblePath<T extends TreeTurn>(tree: TurnTree<T>, selectedId: string | null): T[] {
  const selected = selectedId ? tree.byId.get(selectedId) : undefined;
  if (!selected) {
    const root = tree.children.get(null)?.at(-1);
    return root ? newestLeafPath(tree, root) : [];
  }
  const ancestors: T[] = [];
  let current = selected.parentId ? tree.byId.get(selected.parentId) : undefined;
  while (current) {
    ancestors.unshift(current);
    current = current.parentId ? tree.byId.get(current.parentId) : undefined;
  }
  return [...ancestors, ...newestLeafPath(tree, selected)];
}

/** The turn and its siblings (same parent), in creation order, with the turn's position. */
export function siblingsOf<T extends TreeTurn>(tree: TurnTree<T>, turn: T): { siblings: T[]; index: number } {
  const parent = turn.parentId !== null && tree.byId.has(turn.parentId) ? turn.parentId : null;
  const siblings = tree.children.get(parent) ?? [turn];
  return { siblings, index: Math.max(0, siblings.findIndex((candidate) => candidate.id === turn.id)) };
}

/** Number of leaves: how many distinct branches the session has. */
export function branchCount<T extends TreeTurn>(tree: TurnTree<T>): number {
  let leaves = 0;
  for (const turn of tree.byId.values()) if (!tree.children.get(turn.id)?.length) leaves += 1;
  return leaves;
}

/**
 * Every turn's number: its place in the session's creation order, 1 first. The one numbering the
 * timeline, the turn header, the compare picker and dialog, the composer and the export all use:
 * a position in the shown branch would give one turn another number after each branch, and
 * creation order never renumbers a turn that exists.
 */
export function numberTurns<T extends TreeTurn>(turns: readonly T[]): Map<string, number> {
  const ordered = [...turns].sort(byCreation);
  return new Map(ordered.map((turn, index) => [turn.id, index + 1]));
}

/**
 * The turn a new one continues from when `selected` is the one shown: the selected turn itself if it
 * succeeded, else its nearest ancestor that did. A failed, cancelled or running turn has no answer
 * to build on (its request is not replayed), so chaining onto it would only bury the last real
 * image under failures. Null when no turn up the path succeeded: the next turn starts afresh.
 */
export function continuationOf<T extends TreeTurn & { status: string }>(tree: TurnTree<T>, selected: T | null): T | null {
  for (let current: T | undefined = selected ?? undefined; current; current = current.parentId ? tree.byId.get(current.parentId) : undefined) {
    if (current.status === "succeeded") return current;
  }
  return null;
}
