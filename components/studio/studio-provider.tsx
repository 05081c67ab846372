"use client";

import { createContext, useContext, useEffect, useState } from "react";
import { useStore } from "zustand";
import type { ModelProfile } from "@/lib/gemini/catalog";
import { createComposerStore, type ComposerState, type ComposerStore } from "@/lib/store/composer-store";

interface StudioContextValue {
  composer: ComposerStore;
  models: ModelProfile[];
}

const StudioContext = createContext<StudioContextValue | null>(null);

export function StudioProvider({
  models,
  defaultModel,
  children,
}: {
  models: ModelProfile[];
  defaultModel: string | null;
  children: React.ReactNode;
}) {
  // One store per mounted studio, created once (a lazy initial state is never recomputed).
  const [composer] = useState(() => createComposerStore({ models, defaultModel }));
  const value = { composer, models };

  useEffect(() => {
    // Hydrate after mount so the server render and the first client render match.
    void composer.persist.rehydrate();
  }, [composer]);

  return <StudioContext.Provider value={value}>{children}</StudioContext.Provider>;
}

function useStudioContext(): StudioContextValue {
  const context = useContext(StudioContext);
  if (!context) throw new Error("Studio hooks must be used inside <StudioProvider>.");
  return context;
}

export function useComposer<T>(selector: (state: ComposerState) => T): T {
  return useStore(useStudioContext().composer, selector);
}

export function useComposerStore(): ComposerStore {
  return useStudioContext().composer;
}

export function useModels(): ModelProfile[] {
  return useStudioContext().models;
}
