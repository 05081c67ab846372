import { viewerOrUnauthorized } from "@/lib/server/auth/route-guard";
import { formatMonth } from "@/lib/server/budgets";
import { ledgerCsv } from "@/lib/server/ledger";
import { resolveMonth } from "@/lib/server/usage-report";
import { getStorage } from "@/lib/storage";
import { isStorageError } from "@/lib/storage/types";

export const dynamic = "force-dynamic";

/**
 * The month's cost ledger as CSV (?month=YYYY-MM, default the current UTC month): every finished
 * turn of the team for admins, one's own turns for members. Amounts are exact (micro-dollars).
 */
export async function GET(request: Request): Promise<Response> {
  const viewer = await viewerOrUnauthorized();
  if (viewer instanceof Response) return viewer;
  const url = new URL(request.url);
  const requested = url.searchParams.get("month");
  if (requested !== null && !/^\d{4}-(0[1-9]|1[0-2])$/.test(requested)) {
    return Response.json({ error: { code: "invalid_request", message: "month must look like 2026-12." } }, { status: 400 });
  }
  const month = resolveMonth(requested ?? undefined);
  try {
    const storage = await getStorage();
    const entries = await storage.ledger.entries(viewer.role === "admin" ? month : { ...month, ownerId: viewer.userId });
    return new Response(ledgerCsv(entries), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="studio-usage-${formatMonth(month)}.csv"`,
        "cache-control": "private, no-store",
        "x-content-type-options": "nosniff",
      },
    });
  } catch (error) {
    const message = isStorageError(error) ? error.message : "The usage could not be read.";
    return Response.json({ error: { code: "storage_failed", message } }, { status: 500 });
  }
}
