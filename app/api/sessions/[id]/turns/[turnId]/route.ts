import { viewerOrUnauthorized } from "@/lib/server/auth/route-guard";
import { readTurnDetails } from "@/lib/server/turn-details";
import { getStorage } from "@/lib/storage";

/**
 * One turn of a session whole, as JSON `{ turn }`: what the studio shows of a turn the session page
 * sent as a summary (lib/studio/turn-summary.ts), read when the turn is selected. A GET route
 * rather than a server action: Next runs a page's server actions one at a time, and this read
 * should neither wait behind nor hold up the studio's own (the request-size estimate asked for at
 * the same moment, a Generate). Who may read it: lib/server/turn-details.ts.
 */

const HEADERS = { "cache-control": "no-store" };

function error(status: number, code: "not_found" | "storage_failed", message: string): Response {
  return Response.json({ error: { code, message } }, { status, headers: HEADERS });
}

export async function GET(_request: Request, { params }: { params: Promise<{ id: string; turnId: string }> }) {
  const viewer = await viewerOrUnauthorized();
  if (viewer instanceof Response) return viewer;
  const { id, turnId } = await params;
  let storage;
  try {
    storage = await getStorage();
  } catch {
    return error(503, "storage_failed", "The studio's storage could not be opened.");
  }
  let turn;
  try {
    turn = await readTurnDetails(viewer, id, turnId, storage);
  } catch {
    return error(503, "storage_failed", "The turn could not be read.");
  }
  // Malformed, unknown, another session's or not readable by this person: one answer for all.
  if (!turn) return error(404, "not_found", "No such turn.");
  return Response.json({ turn }, { headers: HEADERS });
}
