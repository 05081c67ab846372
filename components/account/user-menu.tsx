import Link from "next/link";
import { signOutAction } from "@/app/auth-actions";
import { getViewer } from "@/lib/server/auth/viewer";
import { CompactMenu } from "./compact-menu";

/**
 * The header's account corner: who is signed in, Admin for admins, and Sign out; on a phone, one
 * menu holding those and the Team links (CompactMenu).
 */
export async function UserMenu() {
  const viewer = await getViewer();
  if (!viewer) return null;
  return (
    <>
    <div className="flex items-center gap-3 text-sm max-sm:hidden" data-testid="user-menu">
      <span className="max-w-40 truncate text-zinc-600 dark:text-zinc-400" title={viewer.email} data-testid="user-name">
        {viewer.name}
      </span>
      {viewer.role === "admin" && (
        <Link href="/admin/people" className="hover:underline" data-testid="admin-link">
          Admin
        </Link>
      )}
      <form action={signOutAction}>
        <button type="submit" className="hover:underline" data-testid="sign-out">
          Sign out
        </button>
      </form>
    </div>
    <div className="sm:hidden">
      <CompactMenu name={viewer.name} email={viewer.email} admin={viewer.role === "admin"} />
    </div>
    </>
  );
}
