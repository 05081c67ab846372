import { LOCAL_OWNER_ID, type OwnerId } from "@/lib/storage";
import { handleUpload } from "./handle-upload";

/**
 * Who uploads, for the quota. One local owner until accounts arrive; then this returns the
 * signed-in user's id (getViewer() in lib/server/auth/viewer.ts). See handle-upload.ts for the rest.
 */
function uploader(): OwnerId {
  return LOCAL_OWNER_ID;
}

export async function POST(request: Request): Promise<Response> {
  return handleUpload(request, { ownerId: uploader() });
}
