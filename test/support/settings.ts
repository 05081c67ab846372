import type { GenerationSettings } from "@/lib/gemini/types";

/** Settings a job test starts turns with: Nano Banana 2 at 1K, thinking high, thoughts shown, no search. */
export const JOB_TEST_SETTINGS: GenerationSettings = {
  model: "gemini-3.1-flash-image",
  imageSize: "1K",
  aspectRatio: "1:1",
  thinkingLevel: "high",
  showThoughts: true,
  webSearch: false,
  imageSearch: false,
  imageOnly: false,
};
