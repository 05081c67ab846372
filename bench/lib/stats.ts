/** Nearest-rank percentile (p in 0..100) of the values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function summarize(values: readonly number[]) {
  return {
    n: values.length,
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
  };
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export const MB = 1024 * 1024;
export const KB = 1024;

/**
 * 95% bootstrap interval of the median (percentile method, fixed seed so a run is reproducible
 * from its samples): how far the p50 of a noisy sample can be trusted.
 */
export function medianInterval(values: readonly number[], resamples = 2_000): [number, number] {
  if (values.length === 0) return [Number.NaN, Number.NaN];
  let state = 0x2545f491;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const medians: number[] = [];
  for (let resample = 0; resample < resamples; resample += 1) {
    const sample = Array.from({ length: values.length }, () => values[Math.floor(random() * values.length)] as number);
    medians.push(percentile(sample, 50));
  }
  return [round(percentile(medians, 2.5)), round(percentile(medians, 97.5))];
}
