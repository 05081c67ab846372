"use client";

import { useEffect, useId, useRef } from "react";
import { PromptLibrary } from "@/components/library/prompt-library";
import { Menu, MenuContent, MenuGroup, MenuItem, MenuLabel, MenuTrigger } from "@/components/ui/menu";
import { MAX_PROMPT_LENGTH } from "@/lib/studio/limits";
import { insertTemplate, nextPlaceholder, PROMPT_TEMPLATES, type PromptTemplate } from "@/lib/studio/prompt-templates";
import { useComposer } from "./studio-provider";
import { formatInteger } from "@/lib/format/integer";

/**
 * The page a generation is moving the studio to (the first turn of a new session), set just before
 * it goes: the prompt there takes focus once it renders, where without this focus would drop to the
 * page body. A module variable, as it must outlive the page that set it.
 */
let focusOnPath: string | null = null;

export function keepPromptFocus(pathname: string): void {
  focusOnPath = pathname;
}

/** The prompt's element id, which the "Skip to prompt" link targets. */
export const PROMPT_ID = "prompt";

interface PromptEditorProps {
  onSubmit(): void;
  onCancel(): void;
  onTemplate?(template: PromptTemplate): void;
  editing: boolean;
}

/**
 * The prompt: grows with its text, Ctrl/Cmd+Enter generates, Esc cancels a
 * running generation, and Tab walks through a template's [placeholders].
 */
export function PromptEditor({ onSubmit, onCancel, onTemplate, editing }: PromptEditorProps) {
  const id = useId();
  const prompt = useComposer((state) => state.prompt);
  const setPrompt = useComposer((state) => state.setPrompt);
  const textarea = useRef<HTMLTextAreaElement>(null);
  // Set while the menu closes after a pick: where focus goes then (null: the prompt, no selection).
  const pickedSlot = useRef<{ start: number; end: number } | null | undefined>(undefined);

  // After every render: the new page may mount this prompt or render the old one again.
  useEffect(() => {
    if (focusOnPath === null || focusOnPath !== window.location.pathname) return;
    focusOnPath = null;
    const element = textarea.current;
    element?.focus();
    element?.setSelectionRange(element.value.length, element.value.length);
  });

  // Templates and saved prompts go in the same way.
  function insertText(inserted: string) {
    const element = textarea.current;
    const selection = element ? { start: element.selectionStart, end: element.selectionEnd } : { start: prompt.length, end: prompt.length };
    // A fresh template replaces an empty prompt; otherwise it goes in at the cursor.
    const { text, select: slot } = insertTemplate(prompt, prompt.trim() === "" ? { start: 0, end: prompt.length } : selection, inserted);
    setPrompt(text.slice(0, MAX_PROMPT_LENGTH));
    pickedSlot.current = slot ?? null;
  }

  function applyTemplate(template: PromptTemplate) {
    insertText(template.text);
    onTemplate?.(template);
  }

  function focusPicked(event: Event) {
    const slot = pickedSlot.current;
    if (slot === undefined) return;
    pickedSlot.current = undefined;
    // A picked template continues in the prompt, its first [placeholder] selected for typing over.
    event.preventDefault();
    textarea.current?.focus();
    if (slot) textarea.current?.setSelectionRange(slot.start, slot.end);
  }

  function onKeyDown(event: React.KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && (event.metaKey || event.ctrlKey)) {
      event.preventDefault();
      onSubmit();
      return;
    }
    if (event.key === "Escape") {
      onCancel();
      return;
    }
    if (event.key === "Tab" && !event.altKey && !event.ctrlKey && !event.metaKey) {
      const element = event.currentTarget;
      const cursor = event.shiftKey ? element.selectionStart : element.selectionEnd;
      const slot = nextPlaceholder(element.value, cursor, event.shiftKey);
      // Without placeholders Tab keeps its normal job: moving focus.
      if (!slot) return;
      event.preventDefault();
      element.setSelectionRange(slot.start, slot.end);
    }
  }

  const groups: Array<{ key: PromptTemplate["group"]; label: string }> = [
    { key: "create", label: "Create" },
    { key: "edit", label: "Edit an image" },
  ];
  const nearLimit = prompt.length > MAX_PROMPT_LENGTH * 0.9;

  return (
    <div className="flex flex-col gap-1.5">
      <div className="flex items-center justify-between">
        <label htmlFor={PROMPT_ID} className="text-sm font-medium">
          {editing ? "Describe the change" : "Prompt"}
        </label>
        <PromptLibrary className="ml-auto" prompt={prompt} onUse={insertText} onCloseAutoFocus={focusPicked} />
        <Menu>
          <MenuTrigger
            data-testid="templates-button"
            className="rounded-md px-2 py-1 text-xs font-medium text-zinc-600 hover:bg-zinc-100 data-[state=open]:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800 dark:data-[state=open]:bg-zinc-800"
          >
            Templates <span aria-hidden>▾</span>
          </MenuTrigger>
          <MenuContent
            align="end"
            aria-label="Prompt templates"
            className="w-80"
            onCloseAutoFocus={focusPicked}
          >
            {groups.map((group) => (
              <MenuGroup key={group.key} aria-labelledby={`${id}-group-${group.key}`}>
                <MenuLabel id={`${id}-group-${group.key}`}>{group.label}</MenuLabel>
                {PROMPT_TEMPLATES.filter((template) => template.group === group.key).map((template) => (
                  <MenuItem key={template.id} data-testid={`template-${template.id}`} onSelect={() => applyTemplate(template)}>
                    <span className="text-sm">{template.label}</span>
                    <span className="text-xs text-zinc-500 dark:text-zinc-400">{template.hint}</span>
                  </MenuItem>
                ))}
              </MenuGroup>
            ))}
          </MenuContent>
        </Menu>
      </div>
      <textarea
        ref={textarea}
        id={PROMPT_ID}
        data-testid="prompt"
        value={prompt}
        maxLength={MAX_PROMPT_LENGTH}
        rows={4}
        aria-describedby={`${id}-hint ${id}-count`}
        placeholder={
          editing
            ? "e.g. Make the light warmer. Remove the cup on the table."
            : "Describe the scene: subject, setting, lighting, camera, style."
        }
        onChange={(event) => setPrompt(event.target.value)}
        onKeyDown={onKeyDown}
        className="field-sizing-content max-h-[30dvh] min-h-20 w-full xl:max-h-[50vh] xl:min-h-28 resize-none rounded-lg border border-zinc-300 bg-white p-3 text-sm leading-relaxed shadow-sm placeholder:text-zinc-400 dark:border-zinc-700 dark:bg-zinc-900"
      />
      <div className="flex items-start justify-between gap-3 text-xs text-zinc-500 dark:text-zinc-400 max-xl:justify-end">
        <p id={`${id}-hint`} className="max-xl:sr-only">
          Describe the scene rather than listing keywords. Put text that must appear in &ldquo;quotes&rdquo;.
        </p>
        <span id={`${id}-count`} className={nearLimit ? "text-amber-600 dark:text-amber-400" : undefined}>
          {formatInteger(prompt.length)}/{formatInteger(MAX_PROMPT_LENGTH)}
        </span>
      </div>
    </div>
  );
}
