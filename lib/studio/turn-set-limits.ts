// What the composer and the server agree on about turn sets (variations and comparisons), apart
// from their schemas in ./turn-set-schemas.ts, so the browser's code can use these without loading
// the server's validation (and classic zod) with them.

export const MIN_SET_SIZE = 1;
export const MAX_SET_SIZE = 4;
export const MIN_COMPARE_SIZE = 2;

/** The grid's URL parameter: `?variations=<id,id,…>`. */
export const VARIATIONS_PARAM = "variations";
