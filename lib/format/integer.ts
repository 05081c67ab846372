/**
 * "12,345": an integer with en-US digit grouping, as `toLocaleString("en-US")` writes it, without
 * Intl. A page's first Intl call loads the browser's ICU data (40–90 ms of main thread on the bench
 * machine), and the composer's character count alone would make that part of every page's
 * hydration.
 */
export function formatInteger(value: number): string {
  if (!Number.isSafeInteger(value)) return value.toLocaleString("en-US");
  const digits = String(Math.abs(value)).replace(/\B(?=(\d{3})+$)/g, ",");
  return value < 0 ? `-${digits}` : digits;
}
