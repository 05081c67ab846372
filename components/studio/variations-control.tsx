"use client";

import { useId } from "react";
import { MAX_SET_SIZE } from "@/lib/studio/turn-set-limits";
import { useComposer } from "./studio-provider";

const COUNTS = Array.from({ length: MAX_SET_SIZE }, (_, index) => index + 1);

/**
 * "×N": how many images Generate asks for at once, each its own turn. Native radio buttons, so the
 * group is one tab stop and the arrow keys move the choice, as a radio group should.
 */
export function VariationsControl() {
  const count = useComposer((state) => state.variations);
  const setVariations = useComposer((state) => state.setVariations);
  const labelId = useId();
  const name = useId();
  return (
    <div className="flex items-center">
      {/* Named for assistive technology; on screen the ×N choices speak for themselves beside Generate. */}
      <span id={labelId} className="sr-only">
        Variations
      </span>
      <div
        role="radiogroup"
        aria-labelledby={labelId}
        title="Variations: how many images Generate makes at once"
        data-testid="variations"
        className="flex h-full gap-0.5 rounded-lg bg-zinc-100 p-0.5 dark:bg-zinc-800"
      >
        {COUNTS.map((value) => (
          <label
            key={value}
            className="relative flex cursor-pointer items-center justify-center rounded-md px-1.5 text-xs tabular-nums sm:px-2 has-checked:bg-white has-checked:font-semibold has-checked:shadow-sm has-focus-visible:outline-2 has-focus-visible:outline-banana-500 dark:has-checked:bg-zinc-950"
          >
            <input
              type="radio"
              name={name}
              value={value}
              data-testid={`variations-${value}`}
              aria-label={value === 1 ? "One image" : `${value} variations`}
              checked={count === value}
              onChange={() => setVariations(value)}
              className="sr-only"
            />
            <span aria-hidden>×{value}</span>
          </label>
        ))}
      </div>
    </div>
  );
}

/**
 * "Cheaper, slower": Generate sends the ×N request as one Gemini Batch API job, billed at half
 * price and answered within 24 hours, usually much sooner.
 */
export function BatchModeToggle() {
  const batch = useComposer((state) => state.batch);
  const setBatch = useComposer((state) => state.setBatch);
  return (
    <label className="flex items-center gap-2 text-xs text-zinc-700 dark:text-zinc-300" title="Google answers within 24 hours, usually sooner, at half the price">
      <input type="checkbox" data-testid="batch-mode" checked={batch} onChange={(event) => setBatch(event.target.checked)} className="accent-banana-500" />
      Cheaper, slower (Batch, half price)
    </label>
  );
}
