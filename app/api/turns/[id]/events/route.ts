import { viewerOrUnauthorized } from "@/lib/server/auth/route-guard";
import { openTurnEventStream } from "@/lib/server/jobs/event-stream";
import { storageIdSchema } from "@/lib/studio/session-schemas";
import { getJobRunner } from "@/lib/server/sessions";

/**
 * A turn's progress as server-sent events. Event names are the JobEvent types (started, queued,
 * attempt, retry, phase, thought, text, image, done, failed, cancelled, interrupted); each data
 * line is the whole JobEvent as JSON and each live event's id is its seq, so a reconnecting
 * EventSource resumes after Last-Event-ID. A turn waiting for a free slot gets `started` (turn
 * queued) and `queued` with its place in line, then `started` again when it runs. The stream ends
 * after the terminal event; a turn that is no longer running here gets its stored final state as
 * one event. Comments every 15 s keep proxies from closing an idle connection while the model
 * thinks or the turn waits.
 */

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  // nginx buffers proxied responses unless told not to, which would hold events back.
  "x-accel-buffering": "no",
};

function notFound(): Response {
  return Response.json({ error: { code: "not_found", message: "No such turn." } }, { status: 404 });
}

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const viewer = await viewerOrUnauthorized();
  if (viewer instanceof Response) return viewer;
  const parsed = storageIdSchema.safeParse((await params).id);
  // A malformed id matches no turn; saying so the same way keeps ids unguessable by their errors.
  if (!parsed.success) return notFound();
  const id = parsed.data;
  const lastEventId = request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("after");
  const afterSeq = lastEventId !== null && /^\d{1,9}$/.test(lastEventId) ? Number(lastEventId) : 0;

  let runner;
  try {
    runner = await getJobRunner();
  } catch {
    return Response.json(
      { error: { code: "storage_failed", message: "The studio's storage could not be opened." } },
      { status: 503 },
    );
  }
  const stream = await openTurnEventStream(runner, { ownerId: viewer.userId, turnId: id, afterSeq, signal: request.signal });
  if (!stream) return notFound();
  return new Response(stream, { headers: SSE_HEADERS });
}
