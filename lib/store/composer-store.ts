import { createStore } from "zustand/vanilla";
import { persist, createJSONStorage } from "zustand/middleware";
import type { ModelProfile } from "@/lib/gemini/catalog";
import type { GenerationSettings } from "@/lib/gemini/types";
import { generationSettingsSchema } from "@/lib/gemini/types";
import { adaptSettingsToModel, defaultSettings } from "@/lib/studio/model-switch";
import type { ReferenceRoleCounts } from "@/lib/studio/reference-limits";
import { MAX_SET_SIZE } from "@/lib/studio/turn-set-limits";

/**
 * The composer draft: what the designer is about to send. Kept in the browser across reloads and
 * page changes (Generate on the home page opens the new session's page with a new store), the ×N
 * and batch choices with it: a choice the designer made stays until they change it.
 */
export interface ComposerState {
  prompt: string;
  settings: GenerationSettings;
  /** How many variations Generate asks for at once (the "×N" control), 1 to 4. */
  variations: number;
  /** "Cheaper, slower": Generate sends one Gemini batch job (half price, within 24 h) instead of direct requests. */
  batch: boolean;
  /** What the last model switch changed, shown until the next edit of a setting. */
  modelSwitchChanges: string[];
  setPrompt(prompt: string): void;
  setVariations(count: number): void;
  setBatch(batch: boolean): void;
  updateSettings(patch: Partial<GenerationSettings>): void;
  /** `references`: the tray's counts by role, so the switch notice can say which limits they now break. */
  selectModel(profile: ModelProfile, references?: ReferenceRoleCounts): void;
  /** Puts an earlier turn's prompt and settings back in the composer. */
  reuse(input: { prompt?: string; settings?: GenerationSettings }, models: readonly ModelProfile[]): void;
  dismissModelSwitchChanges(): void;
}

export type ComposerStore = ReturnType<typeof createComposerStore>;

function clampVariations(count: number): number {
  return Math.min(MAX_SET_SIZE, Math.max(1, Math.round(count) || 1));
}

export function createComposerStore(options: { models: readonly ModelProfile[]; defaultModel: string | null }) {
  const fallback = options.models.find((model) => model.id === options.defaultModel) ?? options.models[0];
  return createStore<ComposerState>()(
    persist(
      (set, get) => ({
        prompt: "",
        settings: defaultSettings(fallback),
        variations: 1,
        batch: false,
        modelSwitchChanges: [],
        setPrompt: (prompt) => set({ prompt }),
        setBatch: (batch) => set({ batch }),
        setVariations: (count) => set({ variations: clampVariations(count) }),
        updateSettings: (patch) => set({ settings: { ...get().settings, ...patch }, modelSwitchChanges: [] }),
        selectModel: (profile, references) => {
          const { settings, changes } = adaptSettingsToModel(get().settings, profile, references);
          set({ settings, modelSwitchChanges: changes });
        },
        reuse: (input, models) => {
          const next: Partial<ComposerState> = {};
          if (input.prompt !== undefined) next.prompt = input.prompt;
          if (input.settings) {
            const profile = models.find((model) => model.id === input.settings?.model);
            if (profile) {
              const adapted = adaptSettingsToModel(input.settings, profile);
              next.settings = adapted.settings;
              next.modelSwitchChanges = adapted.changes;
            }
          }
          set(next);
        },
        dismissModelSwitchChanges: () => set({ modelSwitchChanges: [] }),
      }),
      {
        name: "nano-banana-composer",
        version: 1,
        storage: createJSONStorage(() => localStorage),
        partialize: (state) => ({ prompt: state.prompt, settings: state.settings, variations: state.variations, batch: state.batch }),
        // A saved draft may name a model this server no longer offers, or predate a setting.
        merge: (persisted, current) => {
          const saved = persisted as Partial<Pick<ComposerState, "prompt" | "settings" | "variations" | "batch">> | undefined;
          const prompt = typeof saved?.prompt === "string" ? saved.prompt : current.prompt;
          const parsed = generationSettingsSchema.safeParse(saved?.settings);
          const profile = parsed.success ? options.models.find((model) => model.id === parsed.data.model) : undefined;
          const settings = parsed.success && profile ? adaptSettingsToModel(parsed.data, profile).settings : current.settings;
          const count = saved?.variations;
          const variations = typeof count === "number" && clampVariations(count) === count ? count : 1;
          return { ...current, prompt, settings, variations, batch: saved?.batch === true };
        },
        skipHydration: true,
      },
    ),
  );
}
