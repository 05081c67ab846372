"use client";

import { useId, useState } from "react";
import { ShortcutHint } from "@/components/ui/shortcut-hint";
import type { ReferenceRoleCounts } from "@/lib/studio/reference-limits";
import { ModelControls } from "./model-controls";
import { PromptEditor } from "./prompt-editor";
import { BatchModeToggle, VariationsControl } from "./variations-control";
import { useComposer, useModels } from "./studio-provider";

interface ComposerProps {
  running: boolean;
  /** A generation is being started: Generate is disabled until it is. */
  submitting?: boolean;
  editing: boolean;
  /**
   * Why Generate is refused (references over the model's limits, a conversation too large to send),
   * and what to do: a sentence, or the control that does it. Null when it is not refused.
   */
  blocked?: { reason: string; action: React.ReactNode } | null;
  /** The tray's references by role, for the model-switch notice. */
  referenceCounts?: ReferenceRoleCounts;
  onGenerate(): void;
  onCancel(): void;
  /** Opens the "Compare models…" dialog. */
  onCompareModels?(): void;
  /** Slot for the reference tray. */
  references?: React.ReactNode;
}

export function Composer({ running, submitting = false, editing, blocked = null, referenceCounts, onGenerate, onCancel, onCompareModels, references }: ComposerProps) {
  const prompt = useComposer((state) => state.prompt);
  const models = useModels();
  const updateSettings = useComposer((state) => state.updateSettings);
  const canGenerate = prompt.trim().length > 0 && !running && !submitting && blocked === null;
  const variations = useComposer((state) => state.variations);
  const summary = useComposer((state) => {
    const profile = models.find((model) => model.id === state.settings.model);
    return [
      profile?.displayName ?? state.settings.model,
      state.settings.imageSize,
      state.settings.aspectRatio === "match-input" ? "ratio of the input" : state.settings.aspectRatio,
      ...(state.batch ? ["batch, half price"] : []),
    ].join(" · ");
  });
  // Below xl the composer shares the screen with the result: the references and model options fold
  // under one button. A model-switch notice unfolds them, as it must be read.
  const switchNotice = useComposer((state) => state.modelSwitchChanges.length > 0);
  const dismissChanges = useComposer((state) => state.dismissModelSwitchChanges);
  const [optionsOpen, setOptionsOpen] = useState(false);
  const showOptions = optionsOpen || switchNotice;
  const optionsId = useId();

  return (
    <form
      aria-label="Compose"
      className="flex flex-col gap-3 xl:gap-5"
      onSubmit={(event) => {
        event.preventDefault();
        if (canGenerate) onGenerate();
      }}
    >
      <PromptEditor
        editing={editing}
        onSubmit={() => canGenerate && onGenerate()}
        onCancel={() => running && onCancel()}
        onTemplate={(template) => {
          if (template.suggests?.webSearch) updateSettings({ webSearch: true });
        }}
      />
      <div className="flex gap-2">
        {running ? (
          <button
            type="button"
            data-testid="cancel"
            onClick={onCancel}
            aria-keyshortcuts="Escape"
            className="flex-1 rounded-lg border border-zinc-300 px-4 py-2.5 font-semibold hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
          >
            Cancel <ShortcutHint className="ml-1">Esc</ShortcutHint>
          </button>
        ) : (
          <button
            type="submit"
            data-testid="generate"
            disabled={!canGenerate}
            aria-describedby={blocked ? "generate-blocked" : undefined}
            aria-keyshortcuts="Control+Enter Meta+Enter"
            className="flex-1 rounded-lg bg-banana-400 px-4 py-2.5 font-semibold text-zinc-950 shadow-sm hover:bg-banana-500 disabled:cursor-not-allowed disabled:opacity-50"
          >
            {editing ? "Apply edit" : "Generate"}
            {variations > 1 && <span data-testid="generate-count"> ×{variations}</span>}
            <ShortcutHint className="ml-2">Ctrl+Enter</ShortcutHint>
          </button>
        )}
        {/* On the Generate row, so it costs the result no height on a tablet or phone. */}
        {!running && <VariationsControl />}
      </div>
      {blocked && !running && (
        <div id="generate-blocked" data-testid="generate-blocked" className="flex flex-col gap-2 text-sm text-red-800 dark:text-red-300">
          {typeof blocked.action === "string" ? (
            <p>
              {blocked.reason} {blocked.action}
            </p>
          ) : (
            <>
              <p>{blocked.reason}</p>
              {blocked.action}
            </>
          )}
        </div>
      )}
      <button
        type="button"
        data-testid="options-toggle"
        aria-expanded={showOptions}
        aria-controls={optionsId}
        onClick={() => {
          // Folding them away is reading the switch notice too; else it would hold them open.
          if (showOptions) dismissChanges();
          setOptionsOpen(!showOptions);
        }}
        className="flex items-center gap-2 rounded-lg border border-zinc-300 px-3 py-2 text-left text-sm hover:bg-zinc-100 xl:hidden dark:border-zinc-700 dark:hover:bg-zinc-800"
      >
        <span aria-hidden>{showOptions ? "▾" : "▸"}</span>
        <span className="shrink-0 font-medium">References and options</span>
        <span className="min-w-0 truncate text-zinc-600 dark:text-zinc-400" data-testid="options-summary">
          {referenceCounts && referenceCounts.total > 0 ? `${referenceCounts.total} ref. · ` : ""}
          {summary}
        </span>
      </button>
      <div id={optionsId} data-testid="composer-options" className={`${showOptions ? "flex" : "hidden"} flex-col gap-5 xl:flex`}>
        {onCompareModels && (
          <button
            type="button"
            data-testid="compare-models"
            aria-haspopup="dialog"
            disabled={running || submitting}
            onClick={onCompareModels}
            className="self-start rounded-lg border border-zinc-300 px-3 py-1.5 text-sm font-medium hover:bg-zinc-100 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
          >
            Compare models…
          </button>
        )}
        {/* With the options, not under Generate: on a tablet or phone a row there costs the result height. */}
        {!running && <BatchModeToggle />}
        {references}
        <ModelControls editing={editing} referenceCounts={referenceCounts} />
      </div>
    </form>
  );
}
