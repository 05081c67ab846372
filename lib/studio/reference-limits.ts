import type { ReferenceLimits } from "@/lib/gemini/catalog";

/**
 * The hard per-model reference limits, checked in one place for the composer (Generate is refused
 * with these reasons), the model-switch notice and the server (a request that breaks them is
 * refused before anything is stored). The tray only stops a role being picked past its limit; a
 * model switch can leave a tray over the new model's limits, which is what this catches.
 */

export interface ReferenceRoleCounts {
  total: number;
  object: number;
  character: number;
}

export interface ReferenceLimitProblem {
  kind: "total" | "object" | "character";
  count: number;
  limit: number;
  /** A sentence naming the model: "Gemini 3 Pro Image keeps up to 6 objects faithful; 10 are marked as objects." */
  message: string;
}

export function countReferenceRoles(references: ReadonlyArray<{ role?: string | null }>): ReferenceRoleCounts {
  const counts: ReferenceRoleCounts = { total: references.length, object: 0, character: 0 };
  for (const reference of references) {
    if (reference.role === "object") counts.object += 1;
    if (reference.role === "character") counts.character += 1;
  }
  return counts;
}

/** Every limit of `limits` the counts break; empty when the references fit the model. */
export function referenceLimitProblems(counts: ReferenceRoleCounts, limits: ReferenceLimits, modelName: string): ReferenceLimitProblem[] {
  const problems: ReferenceLimitProblem[] = [];
  if (limits.totalEnforced && counts.total > limits.total) {
    problems.push({
      kind: "total",
      count: counts.total,
      limit: limits.total,
      message: `${modelName} takes up to ${limits.total} reference images; this request has ${counts.total}.`,
    });
  }
  if (limits.objects !== null && counts.object > limits.objects) {
    problems.push({
      kind: "object",
      count: counts.object,
      limit: limits.objects,
      message: `${modelName} keeps up to ${limits.objects} objects faithful; ${counts.object} are marked as objects.`,
    });
  }
  if (limits.characters !== null && counts.character > limits.characters) {
    problems.push({
      kind: "character",
      count: counts.character,
      limit: limits.characters,
      message: `${modelName} keeps up to ${limits.characters} characters consistent; ${counts.character} are marked as characters.`,
    });
  }
  return problems;
}

const KIND_LABEL: Record<ReferenceLimitProblem["kind"], string> = { total: "Reference images", object: "Objects", character: "Characters" };

/** The switch notice's line for each broken limit: "Objects: 10 marked, Gemini 3 Pro Image keeps up to 6 (unmark 4 to generate)". */
export function describeLimitChange(problem: ReferenceLimitProblem, modelName: string): string {
  const verb = problem.kind === "total" ? "remove" : "unmark";
  const noun = problem.kind === "total" ? "added" : "marked";
  return `${KIND_LABEL[problem.kind]}: ${problem.count} ${noun}, ${modelName} keeps up to ${problem.limit} (${verb} ${problem.count - problem.limit} to generate)`;
}
