"use client";

import { useId } from "react";
import { UNVERIFIED_LABELS, outputPixelSize, tokensPerImage, type ModelProfile } from "@/lib/gemini/catalog";
import { describeModelOptions, type OptionAvailability } from "@/lib/gemini/settings";
import type { AspectRatio, AspectRatioSetting, ImageSize, ThinkingLevel } from "@/lib/gemini/types";
import { imagePriceEstimate } from "@/lib/studio/price-estimate";
import type { ReferenceRoleCounts } from "@/lib/studio/reference-limits";
import { useComposer, useModels } from "./studio-provider";
import { formatInteger } from "@/lib/format/integer";

const SIZE_LABELS: Record<ImageSize, string> = { "512": "512", "1K": "1K", "2K": "2K", "4K": "4K" };

function stageLabel(profile: ModelProfile): string | null {
  if (!profile.verified) return "capabilities not verified";
  if (profile.status.stage === "stable") return null;
  return profile.status.stage;
}

function Toggle({
  label,
  description,
  option,
  checked,
  onChange,
  testId,
}: {
  label: string;
  description?: string;
  option: OptionAvailability<boolean>;
  checked: boolean;
  onChange(checked: boolean): void;
  testId: string;
}) {
  const id = useId();
  return (
    <div className="flex items-start gap-2">
      <input
        id={id}
        type="checkbox"
        data-testid={testId}
        checked={checked && option.enabled}
        disabled={!option.enabled}
        aria-describedby={`${id}-reason`}
        onChange={(event) => onChange(event.target.checked)}
        className="mt-0.5 size-4 accent-banana-500 disabled:opacity-40"
      />
      <label htmlFor={id} className={`text-sm ${option.enabled ? "" : "text-zinc-400 dark:text-zinc-600"}`}>
        {label}
        <span id={`${id}-reason`} className="block text-xs text-zinc-500 dark:text-zinc-400">
          {option.enabled ? description : option.reason}
        </span>
      </label>
    </div>
  );
}

export function ModelControls({ editing, referenceCounts }: { editing: boolean; referenceCounts?: ReferenceRoleCounts }) {
  const models = useModels();
  const settings = useComposer((state) => state.settings);
  const updateSettings = useComposer((state) => state.updateSettings);
  const selectModel = useComposer((state) => state.selectModel);
  const changes = useComposer((state) => state.modelSwitchChanges);
  const dismissChanges = useComposer((state) => state.dismissModelSwitchChanges);
  const ids = { model: useId(), ratio: useId(), size: useId(), thinking: useId() };

  const profile = models.find((model) => model.id === settings.model);
  if (!profile) {
    return (
      <p role="alert" className="text-sm text-red-700 dark:text-red-400">
        No image model is available to this API key.
      </p>
    );
  }
  const options = describeModelOptions(profile);
  const replacement = profile.status.replacement ? models.find((model) => model.id === profile.status.replacement) : undefined;
  const stage = stageLabel(profile);
  const ratioLabel = (ratio: AspectRatio) => {
    const pixels = outputPixelSize(profile, settings.imageSize, ratio);
    return pixels ? `${ratio} · ${pixels.width}×${pixels.height}` : ratio;
  };
  // "Match input" needs an input image: the result being edited or a reference in the tray.
  const hasInputImage = editing || (referenceCounts?.total ?? 0) > 0;
  const aspect: AspectRatioSetting = settings.aspectRatio === "match-input" && !hasInputImage ? profile.defaultAspectRatio : settings.aspectRatio;
  const pixels = aspect === "match-input" ? null : outputPixelSize(profile, settings.imageSize, aspect);
  const tokens = tokensPerImage(profile, settings.imageSize);
  const price = imagePriceEstimate(profile, settings.imageSize);

  return (
    <div className="flex flex-col gap-4" data-testid="model-controls">
      <div className="flex flex-col gap-1.5">
        <label htmlFor={ids.model} className="text-sm font-medium">
          Model
        </label>
        <select
          id={ids.model}
          data-testid="model"
          value={profile.id}
          onChange={(event) => {
            const next = models.find((model) => model.id === event.target.value);
            if (next) selectModel(next, referenceCounts);
          }}
          className="w-full min-w-0 truncate rounded-lg border border-zinc-300 bg-white p-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
        >
          {models.map((model) => {
            const label = stageLabel(model);
            return (
              <option key={model.id} value={model.id}>
                {model.displayName}
                {model.nickname && model.nickname !== model.displayName ? ` — ${model.nickname}` : ""}
                {label ? ` (${label})` : ""}
              </option>
            );
          })}
        </select>
        <div className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="model-info">
          {stage && (
            <span className="mr-1 rounded bg-amber-100 px-1.5 py-0.5 font-medium text-amber-900 uppercase dark:bg-amber-900 dark:text-amber-100">
              {stage}
            </span>
          )}
          {profile.notes[0]}
          {profile.unverified && profile.unverified.length > 0 && (
            <span className="block" data-testid="model-unverified">
              Not verified (third-party reports): {profile.unverified.map((capability) => UNVERIFIED_LABELS[capability]).join(", ")}.
            </span>
          )}
          {profile.status.stage === "deprecated" && (
            <span className="block text-amber-700 dark:text-amber-400">
              {profile.status.shutdownOn ? `Shuts down from ${profile.status.shutdownOn}. ` : ""}
              {replacement && (
                <button
                  type="button"
                  className="underline"
                  data-testid="use-replacement"
                  onClick={() => selectModel(replacement, referenceCounts)}
                >
                  Switch to {replacement.displayName}
                </button>
              )}
            </span>
          )}
        </div>
        {changes.length > 0 && (
          <div
            role="status"
            data-testid="model-switch-changes"
            className="rounded-md border border-sky-200 bg-sky-50 p-2 text-xs text-sky-900 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100"
          >
            <p className="font-medium">Adjusted for {profile.displayName}:</p>
            <ul className="list-disc pl-4">
              {changes.map((change) => (
                <li key={change}>{change}</li>
              ))}
            </ul>
            <button type="button" className="mt-1 underline" onClick={dismissChanges}>
              OK
            </button>
          </div>
        )}
      </div>

      <fieldset className="flex flex-col gap-1.5">
        <legend id={ids.size} className="mb-1.5 text-sm font-medium">
          Output size
        </legend>
        <div role="radiogroup" aria-labelledby={ids.size} className="grid grid-cols-4 gap-1 rounded-lg bg-zinc-100 p-1 dark:bg-zinc-800">
          {options.imageSizes.map((option) => (
            <label
              key={option.value}
              title={option.reason ?? undefined}
              className={`relative flex cursor-pointer items-center justify-center rounded-md py-1.5 text-sm has-checked:bg-white has-checked:font-semibold has-checked:shadow-sm has-focus-visible:outline-2 has-focus-visible:outline-banana-500 has-disabled:cursor-not-allowed has-disabled:text-zinc-400 dark:has-checked:bg-zinc-950 dark:has-disabled:text-zinc-600`}
            >
              <input
                type="radio"
                name="image-size"
                value={option.value}
                data-testid={`size-${option.value}`}
                checked={settings.imageSize === option.value}
                disabled={!option.enabled}
                onChange={() => updateSettings({ imageSize: option.value })}
                className="sr-only"
              />
              {SIZE_LABELS[option.value]}
            </label>
          ))}
        </div>
        {options.imageSizes.some((option) => !option.enabled) && (
          <p className="text-xs text-zinc-500 dark:text-zinc-400">{options.imageSizes.find((option) => !option.enabled)?.reason}</p>
        )}
      </fieldset>

      <div className="flex flex-col gap-1.5">
        <label htmlFor={ids.ratio} className="text-sm font-medium">
          Aspect ratio
        </label>
        <select
          id={ids.ratio}
          data-testid="aspect-ratio"
          value={aspect}
          onChange={(event) => updateSettings({ aspectRatio: event.target.value as AspectRatioSetting })}
          className="w-full min-w-0 truncate rounded-lg border border-zinc-300 bg-white p-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
        >
          {hasInputImage && <option value="match-input">Match input image</option>}
          {options.aspectRatios.map((option) => (
            <option key={option.value} value={option.value} disabled={!option.enabled}>
              {option.enabled ? ratioLabel(option.value) : `${option.value} — not on ${profile.displayName}`}
            </option>
          ))}
        </select>
        <p className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="pixel-size">
          {pixels ? `Output ${pixels.width} × ${pixels.height} px` : "Output follows the input image's shape"}
        </p>
      </div>

      {(options.thinkingLevels.some((option) => option.enabled) || profile.thinking.alwaysOn) && (
        <fieldset className="flex flex-col gap-1.5">
          <legend id={ids.thinking} className="mb-1.5 text-sm font-medium">
            Thinking
          </legend>
          {options.thinkingLevels.some((option) => option.enabled) ? (
            <div role="radiogroup" aria-labelledby={ids.thinking} className="flex gap-3">
              {options.thinkingLevels.map((option) => (
                <label key={option.value} className="flex items-center gap-1.5 text-sm">
                  <input
                    type="radio"
                    name="thinking-level"
                    data-testid={`thinking-${option.value}`}
                    value={option.value}
                    disabled={!option.enabled}
                    checked={settings.thinkingLevel === option.value}
                    onChange={() => updateSettings({ thinkingLevel: option.value as ThinkingLevel })}
                    className="accent-banana-500"
                  />
                  {option.value === "minimal" ? "Minimal (faster)" : option.value === "medium" ? "Medium" : "High (better composition)"}
                </label>
              ))}
            </div>
          ) : (
            <p className="text-xs text-zinc-500 dark:text-zinc-400">{profile.displayName} always thinks before drawing, at its own level.</p>
          )}
        </fieldset>
      )}

      <div className="flex flex-col gap-2">
        <Toggle
          label="Show thoughts"
          description="Watch thought summaries and draft images while the model works."
          option={options.showThoughts}
          checked={settings.showThoughts}
          onChange={(showThoughts) => updateSettings({ showThoughts })}
          testId="show-thoughts"
        />
        <Toggle
          label="Google Search grounding"
          description="Ground the image in live web results; sources are shown with it."
          option={options.webSearch}
          checked={settings.webSearch}
          onChange={(webSearch) => updateSettings({ webSearch })}
          testId="web-search"
        />
        <Toggle
          label="Image Search"
          description="Also use Google Image Search results as visual references."
          option={options.imageSearch}
          checked={settings.imageSearch}
          onChange={(imageSearch) => updateSettings({ imageSearch })}
          testId="image-search"
        />
        <Toggle
          label="Image only"
          description="Ask for the image without accompanying text."
          option={{ value: true, enabled: true, reason: null }}
          checked={settings.imageOnly}
          onChange={(imageOnly) => updateSettings({ imageOnly })}
          testId="image-only"
        />
      </div>

      <p className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="estimate">
        Estimate: {tokens ? `${formatInteger(tokens)} output tokens` : "tokens unknown"}
        {price ? (
          <span title={`${price.source}${price.thirdParty ? "; reported by third parties, not seen on Google's pricing page" : ""}`}>
            {` · ≈ $${price.usd.toFixed(3)} per image (price read ${price.readOn})`}
          </span>
        ) : (
          " · price not published"
        )}
        {profile.thinking.alwaysOn || settings.thinkingLevel === "high" ? " + thinking tokens" : ""}
      </p>
    </div>
  );
}
