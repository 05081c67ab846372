import { toNextJsHandler } from "better-auth/next-js";
import { getAuth } from "@/lib/server/auth/runtime";

/** better-auth's endpoints: sign-in, sign-out, SSO callbacks, the admin API (checked by role). */
async function handle(request: Request): Promise<Response> {
  const auth = await getAuth();
  const handler = toNextJsHandler(auth);
  return request.method === "GET" ? handler.GET(request) : handler.POST(request);
}

export const GET = handle;
export const POST = handle;
