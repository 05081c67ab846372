/** Limits shared by the composer and the server's validation. */
export const MAX_PROMPT_LENGTH = 8_000;
