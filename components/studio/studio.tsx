"use client";

import { useEffect, useId, useMemo, useRef, useState, useTransition } from "react";
import { generateImageAction } from "@/app/actions";
import { outputPixelSize, type ModelProfile } from "@/lib/gemini/catalog";
import { describeModelOptions } from "@/lib/gemini/settings";
import type { AspectRatio, GenerationSettings, ImageSize } from "@/lib/gemini/types";
import type { GenerationFailure, GenerationView } from "@/lib/studio/generate";
import { MAX_PROMPT_LENGTH } from "@/lib/studio/limits";

interface StudioProps {
  models: ModelProfile[];
  defaultModel: string | null;
}

function initialSettings(profile: ModelProfile | undefined): GenerationSettings {
  return {
    model: profile?.id ?? "",
    imageSize: profile?.defaultImageSize ?? "1K",
    aspectRatio: profile?.defaultAspectRatio ?? "1:1",
    showThoughts: false,
    webSearch: false,
    imageSearch: false,
    imageOnly: false,
  };
}

function useElapsedSeconds(running: boolean): number {
  const [elapsed, setElapsed] = useState(0);
  useEffect(() => {
    if (!running) return;
    const started = Date.now();
    const timer = setInterval(() => setElapsed(Math.floor((Date.now() - started) / 1000)), 250);
    return () => {
      clearInterval(timer);
      setElapsed(0);
    };
  }, [running]);
  return elapsed;
}

export function Studio({ models, defaultModel }: StudioProps) {
  const promptId = useId();
  const [prompt, setPrompt] = useState("");
  const [settings, setSettings] = useState<GenerationSettings>(() =>
    initialSettings(models.find((model) => model.id === defaultModel) ?? models[0]),
  );
  const [result, setResult] = useState<GenerationView | null>(null);
  const [error, setError] = useState<GenerationFailure | null>(null);
  const [pending, startTransition] = useTransition();
  const elapsed = useElapsedSeconds(pending);
  const formRef = useRef<HTMLFormElement>(null);

  const profile = models.find((model) => model.id === settings.model);
  const options = useMemo(() => (profile ? describeModelOptions(profile) : null), [profile]);
  const pixelSize =
    profile && settings.aspectRatio !== "match-input" ? outputPixelSize(profile, settings.imageSize, settings.aspectRatio) : null;

  function selectModel(id: string) {
    const next = models.find((model) => model.id === id);
    if (!next) return;
    setSettings((current) => ({
      ...current,
      model: next.id,
      imageSize: next.imageSizes.includes(current.imageSize) ? current.imageSize : next.defaultImageSize,
      aspectRatio:
        current.aspectRatio === "match-input" || next.aspectRatios.includes(current.aspectRatio)
          ? current.aspectRatio
          : next.defaultAspectRatio,
    }));
  }

  function generate() {
    if (pending || prompt.trim() === "") return;
    setError(null);
    startTransition(async () => {
      const response = await generateImageAction({ prompt, settings });
      if (response.ok) setResult(response.data);
      else setError(response.error);
    });
  }

  return (
    <main className="grid flex-1 gap-6 p-6 lg:grid-cols-[minmax(320px,420px)_1fr]">
      <form
        ref={formRef}
        aria-label="Compose"
        className="flex flex-col gap-4"
        onSubmit={(event) => {
          event.preventDefault();
          generate();
        }}
      >
        <div className="flex flex-col gap-1">
          <label htmlFor={promptId} className="text-sm font-medium">
            Prompt
          </label>
          <textarea
            id={promptId}
            data-testid="prompt"
            value={prompt}
            maxLength={MAX_PROMPT_LENGTH}
            rows={6}
            placeholder="Describe the scene: subject, setting, lighting, style. Quote any text that must appear."
            onChange={(event) => setPrompt(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Enter" && (event.metaKey || event.ctrlKey)) {
                event.preventDefault();
                generate();
              }
            }}
            className="field-sizing-content min-h-32 w-full resize-y rounded-lg border border-zinc-300 bg-white p-3 text-sm shadow-sm dark:border-zinc-700 dark:bg-zinc-900"
          />
          <span className="self-end text-xs text-zinc-500" aria-live="off">
            {prompt.length.toLocaleString()} / {MAX_PROMPT_LENGTH.toLocaleString()}
          </span>
        </div>

        <div className="grid grid-cols-2 gap-3">
          <label className="col-span-2 flex flex-col gap-1 text-sm font-medium">
            Model
            <select
              data-testid="model"
              value={settings.model}
              onChange={(event) => selectModel(event.target.value)}
              className="rounded-lg border border-zinc-300 bg-white p-2 font-normal dark:border-zinc-700 dark:bg-zinc-900"
            >
              {models.map((model) => (
                <option key={model.id} value={model.id}>
                  {model.displayName}
                  {model.nickname ? ` (${model.nickname})` : ""}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium">
            Size
            <select
              data-testid="image-size"
              value={settings.imageSize}
              onChange={(event) => setSettings((current) => ({ ...current, imageSize: event.target.value as ImageSize }))}
              className="rounded-lg border border-zinc-300 bg-white p-2 font-normal dark:border-zinc-700 dark:bg-zinc-900"
            >
              {options?.imageSizes.map((option) => (
                <option key={option.value} value={option.value} disabled={!option.enabled} title={option.reason ?? undefined}>
                  {option.value}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col gap-1 text-sm font-medium">
            Aspect ratio
            <select
              data-testid="aspect-ratio"
              value={settings.aspectRatio}
              onChange={(event) =>
                setSettings((current) => ({ ...current, aspectRatio: event.target.value as AspectRatio }))
              }
              className="rounded-lg border border-zinc-300 bg-white p-2 font-normal dark:border-zinc-700 dark:bg-zinc-900"
            >
              {options?.aspectRatios.map((option) => (
                <option key={option.value} value={option.value} disabled={!option.enabled} title={option.reason ?? undefined}>
                  {option.value}
                </option>
              ))}
            </select>
          </label>
          <p className="col-span-2 text-xs text-zinc-500" data-testid="pixel-size">
            {pixelSize ? `Output ${pixelSize.width} × ${pixelSize.height} px` : "Output size follows the input image"}
          </p>
        </div>

        <button
          type="submit"
          data-testid="generate"
          disabled={pending || prompt.trim() === "" || !profile}
          className="rounded-lg bg-banana-400 px-4 py-2.5 font-semibold text-zinc-950 shadow-sm hover:bg-banana-500 disabled:cursor-not-allowed disabled:opacity-50"
        >
          {pending ? "Generating…" : "Generate"}
          <span className="ml-2 text-xs font-normal opacity-70">Ctrl+Enter</span>
        </button>
      </form>

      <section aria-label="Result" aria-busy={pending} className="flex min-h-96 flex-col gap-4">
        {pending && (
          <p role="status" data-testid="progress" className="text-sm text-zinc-600 dark:text-zinc-400">
            Generating with {profile?.displayName}… {elapsed} s
          </p>
        )}
        {error && (
          <div
            role="alert"
            data-testid="error"
            className="rounded-lg border border-red-300 bg-red-50 p-4 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
          >
            <p className="font-semibold">{error.message}</p>
            {error.detail && <p className="mt-1 font-mono text-xs">{error.detail}</p>}
            <p className="mt-2">{error.action}</p>
          </div>
        )}
        {result && (
          <div data-testid="result" className="flex flex-col gap-3">
            {result.images.map((image) => (
              <figure key={image.hash} className="flex flex-col gap-2">
                {/* eslint-disable-next-line @next/next/no-img-element -- stored originals are served as-is, at full resolution */}
                <img
                  src={image.url}
                  alt={`Generated image for: ${prompt}`}
                  width={image.width ?? undefined}
                  height={image.height ?? undefined}
                  data-testid="result-image"
                  className="h-auto max-h-[70vh] w-auto max-w-full rounded-lg border border-zinc-200 object-contain shadow dark:border-zinc-800"
                />
                <figcaption className="flex items-center gap-3 text-xs text-zinc-500">
                  <span>
                    {image.width} × {image.height} · {image.mimeType}
                  </span>
                  <a
                    href={image.url}
                    download={image.fileName}
                    data-testid="download"
                    className="rounded border border-zinc-300 px-2 py-1 font-medium text-zinc-800 hover:bg-zinc-100 dark:border-zinc-700 dark:text-zinc-200 dark:hover:bg-zinc-800"
                  >
                    Download {image.fileName}
                  </a>
                </figcaption>
              </figure>
            ))}
            {result.text && <p className="text-sm whitespace-pre-wrap">{result.text}</p>}
            {result.warnings.map((warning) => (
              <p key={warning} className="text-xs text-amber-700 dark:text-amber-400">
                {warning}
              </p>
            ))}
            <p className="text-xs text-zinc-500">Every image Gemini makes carries an invisible SynthID watermark.</p>
          </div>
        )}
        {!pending && !result && !error && (
          <p className="m-auto text-sm text-zinc-500">Your image appears here.</p>
        )}
      </section>
    </main>
  );
}
