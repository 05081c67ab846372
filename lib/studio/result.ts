/** What every server action returns: a typed result, never a thrown error across the boundary. */
export type ActionResult<T, Code extends string = string> =
  | { ok: true; data: T }
  | { ok: false; error: { code: Code; message: string; action?: string; detail?: string; retryAfterMs?: number } };
