"use client";

import { useId, useRef, useState } from "react";
import { MAX_PROMPT_LENGTH } from "@/lib/studio/limits";
import { insertTemplate, nextPlaceholder, PROMPT_TEMPLATES, type PromptTemplate } from "@/lib/studio/prompt-templates";
import { useComposer } from "./studio-provider";

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
  const [templatesOpen, setTemplatesOpen] = useState(false);

  function select(start: number, end: number) {
    requestAnimationFrame(() => {
      textarea.current?.focus();
      textarea.current?.setSelectionRange(start, end);
    });
  }

  function applyTemplate(template: PromptTemplate) {
    const element = textarea.current;
    const selection = element ? { start: element.selectionStart, end: element.selectionEnd } : { start: prompt.length, end: prompt.length };
    // A fresh template replaces an empty prompt; otherwise it goes in at the cursor.
    const { text, select: slot } = insertTemplate(prompt, prompt.trim() === "" ? { start: 0, end: prompt.length } : selection, template.text);
    setPrompt(text.slice(0, MAX_PROMPT_LENGTH));
    setTemplatesOpen(false);
    onTemplate?.(template);
    if (slot) select(slot.start, slot.end);
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
        <label htmlFor={id} className="text-sm font-medium">
          {editing ? "Describe the change" : "Prompt"}
        </label>
        <div className="relative">
          <button
            type="button"
            data-testid="templates-button"
            aria-haspopup="menu"
            aria-expanded={templatesOpen}
            onClick={() => setTemplatesOpen((open) => !open)}
            className="rounded-md px-2 py-1 text-xs font-medium text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
          >
            Templates ▾
          </button>
          {templatesOpen && (
            <div
              role="menu"
              aria-label="Prompt templates"
              className="absolute right-0 z-30 mt-1 max-h-96 w-80 overflow-y-auto rounded-lg border border-zinc-200 bg-white p-1 shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
              onKeyDown={(event) => {
                if (event.key === "Escape") {
                  setTemplatesOpen(false);
                  textarea.current?.focus();
                }
              }}
            >
              {groups.map((group) => (
                <div key={group.key} role="group" aria-label={group.label}>
                  <p className="px-2 pt-2 pb-1 text-[11px] font-semibold tracking-wide text-zinc-500 uppercase">{group.label}</p>
                  {PROMPT_TEMPLATES.filter((template) => template.group === group.key).map((template) => (
                    <button
                      key={template.id}
                      type="button"
                      role="menuitem"
                      data-testid={`template-${template.id}`}
                      onClick={() => applyTemplate(template)}
                      className="flex w-full flex-col items-start rounded-md px-2 py-1.5 text-left hover:bg-zinc-100 focus-visible:bg-zinc-100 dark:hover:bg-zinc-800 dark:focus-visible:bg-zinc-800"
                    >
                      <span className="text-sm">{template.label}</span>
                      <span className="text-xs text-zinc-500">{template.hint}</span>
                    </button>
                  ))}
                </div>
              ))}
            </div>
          )}
        </div>
      </div>
      <textarea
        ref={textarea}
        id={id}
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
        className="field-sizing-content max-h-[50vh] min-h-28 w-full resize-none rounded-lg border border-zinc-300 bg-white p-3 text-sm leading-relaxed shadow-sm placeholder:text-zinc-400 dark:border-zinc-700 dark:bg-zinc-900"
      />
      <div className="flex items-start justify-between gap-3 text-xs text-zinc-500">
        <p id={`${id}-hint`}>
          Describe the scene rather than listing keywords. Put text that must appear in &ldquo;quotes&rdquo;.
        </p>
        <span id={`${id}-count`} className={nearLimit ? "text-amber-600 dark:text-amber-400" : undefined}>
          {prompt.length.toLocaleString("en-US")}/{MAX_PROMPT_LENGTH.toLocaleString("en-US")}
        </span>
      </div>
    </div>
  );
}
