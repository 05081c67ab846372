import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthCard } from "@/components/account/auth-card";
import { getAuthRuntime } from "@/lib/server/auth/runtime";
import { log } from "@/lib/server/log";
import { getStorage } from "@/lib/storage";
import { STORAGE_FAILED_ACTION } from "@/lib/studio/result";

export const dynamic = "force-dynamic";

/**
 * Where pages send everyone while the studio cannot open its data (accounts included): nobody can
 * be signed in, so instead of a bare 500 the page says what the operator must fix. It names no
 * path or error text (a stranger may read it); the server log has the details. Once the data
 * opens again it goes back to the studio.
 */
export default async function UnavailablePage() {
  try {
    await getStorage();
    await getAuthRuntime();
  } catch (error) {
    log.error("studio.unavailable", { error: error instanceof Error ? error.message : String(error) });
    return (
      <AuthCard title="The studio can't open its data" intro={<p>Nothing can be shown or made until it can. Nothing was lost by this.</p>}>
        <div role="alert" data-testid="unavailable" className="flex flex-col gap-3 text-sm">
          <p>{STORAGE_FAILED_ACTION}</p>
          <p className="text-zinc-500 dark:text-zinc-400">The server log says what went wrong. After fixing it, restart the studio or try again.</p>
          <Link href="/" className="self-start rounded-md bg-zinc-900 px-3 py-1.5 font-medium text-white dark:bg-zinc-100 dark:text-zinc-900">
            Try again
          </Link>
        </div>
      </AuthCard>
    );
  }
  redirect("/");
}
