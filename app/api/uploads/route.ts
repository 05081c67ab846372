import { getViewer } from "@/lib/server/auth/viewer";
import { handleUpload, refuse } from "./handle-upload";

/**
 * POST /api/uploads for the signed-in viewer: uploads count against their hourly quota
 * (handle-upload.ts has the rest). Nobody signed in, nothing is read.
 */
export async function POST(request: Request): Promise<Response> {
  const viewer = await getViewer();
  if (!viewer) return refuse("unauthenticated", "Sign in to upload reference images.");
  return handleUpload(request, { ownerId: viewer.userId });
}
