"use server";

import { z } from "zod";
import { generationSettingsSchema } from "@/lib/gemini/types";
import { runGeneration, type GenerationRunResult } from "@/lib/studio/generate";
import { MAX_PROMPT_LENGTH } from "@/lib/studio/limits";

const generateImageSchema = z.object({
  prompt: z.string().trim().min(1, "Write a prompt first.").max(MAX_PROMPT_LENGTH, `Prompts are limited to ${MAX_PROMPT_LENGTH} characters.`),
  settings: generationSettingsSchema,
});

export type GenerateImageInput = z.input<typeof generateImageSchema>;

export async function generateImageAction(input: GenerateImageInput): Promise<GenerationRunResult> {
  const parsed = generateImageSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: "invalid_request", message: parsed.error.issues[0]?.message ?? "Invalid request.", action: "Check the prompt and settings." },
    };
  }
  const { prompt, settings } = parsed.data;
  return runGeneration({ history: [], prompt, references: [], settings });
}
