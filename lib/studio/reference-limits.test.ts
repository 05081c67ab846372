import { describe, expect, it } from "vitest";
import { countReferenceRoles, describeLimitChange, referenceLimitProblems } from "./reference-limits";

const pro = { total: 14, objects: 6, characters: 5, totalEnforced: true };

describe("reference limits", () => {
  it("counts objects and characters; untagged and style count only in the total", () => {
    expect(countReferenceRoles([{ role: "object" }, { role: "character" }, { role: "style" }, {}, { role: null }])).toEqual({
      total: 5,
      object: 1,
      character: 1,
    });
  });

  it("finds every broken limit, and none when the references fit", () => {
    expect(referenceLimitProblems({ total: 10, object: 6, character: 5 }, pro, "Pro")).toEqual([]);
    const problems = referenceLimitProblems({ total: 16, object: 10, character: 6 }, pro, "Gemini 3 Pro Image");
    expect(problems.map((problem) => [problem.kind, problem.count, problem.limit])).toEqual([
      ["total", 16, 14],
      ["object", 10, 6],
      ["character", 6, 5],
    ]);
    expect(problems[1]?.message).toBe("Gemini 3 Pro Image keeps up to 6 objects faithful; 10 are marked as objects.");
    expect(describeLimitChange(problems[1]!, "Gemini 3 Pro Image")).toBe("Objects: 10 marked, Gemini 3 Pro Image keeps up to 6 (unmark 4 to generate)");
  });

  it("treats an advisory total as advice, and a missing role limit as none", () => {
    expect(referenceLimitProblems({ total: 9, object: 9, character: 9 }, { total: 3, objects: null, characters: null, totalEnforced: false }, "Flash")).toEqual([]);
  });
});
