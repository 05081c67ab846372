import "server-only";

import { log } from "@/lib/server/log";
import { getAuthRuntime } from "@/lib/server/auth/runtime";
import { listAuditIn, recordAuditIn, type AuditEntry, type AuditRecord } from "@/lib/server/auth/audit-store";

export type { AuditAction, AuditEntry, AuditRecord } from "@/lib/server/auth/audit-store";

/**
 * Appends to the audit log admins read at /admin/audit. Never throws: the action it records has
 * already happened, and failing to note it must not make it look as if it had not (the server log
 * keeps the entry instead).
 */
export async function recordAudit(entry: AuditEntry): Promise<void> {
  try {
    const { database } = await getAuthRuntime();
    await recordAuditIn(database.kysely, entry);
  } catch (error) {
    log.error("audit.write_failed", { action: entry.action, target: entry.target ?? null, error: error instanceof Error ? error.message : String(error) });
  }
}

export async function listAudit(options?: { limit?: number; offset?: number }): Promise<AuditRecord[]> {
  const { database } = await getAuthRuntime();
  return listAuditIn(database.kysely, options);
}
