import Link from "next/link";
import { PageFrame } from "@/components/usage/page-frame";
import { peopleNames } from "@/lib/server/auth/accounts";
import { viewerOrRedirect } from "@/lib/server/auth/page-guard";
import { getStorage } from "@/lib/storage";

export const dynamic = "force-dynamic";

const GALLERY_SIZE = 200;

/** The team gallery: every shared session with its latest image, newest activity first. */
export default async function GalleryPage() {
  const viewer = await viewerOrRedirect();
  const [shared, names] = await Promise.all([(await getStorage()).shares.list({ limit: GALLERY_SIZE }), peopleNames()]);
  return (
    <PageFrame title="Gallery">
      <h1 className="text-lg font-semibold">Shared with the team</h1>
      {shared.length === 0 ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400" data-testid="gallery-empty">
          Nothing is shared yet. Open one of your sessions and choose Share in its header.
        </p>
      ) : (
        <ul className="grid grid-cols-[repeat(auto-fill,minmax(14rem,1fr))] gap-4" data-testid="gallery">
          {shared.map(({ session, share }) => (
            <li key={session.id} data-testid="gallery-item" data-session-id={session.id} data-share-mode={share.mode}>
              <Link href={`/s/${session.id}`} className="block overflow-hidden rounded-lg border border-zinc-200 hover:border-amber-400 dark:border-zinc-800">
                <div className="flex aspect-square items-center justify-center bg-zinc-100 dark:bg-zinc-900">
                  {session.coverImageHash ? (
                    // eslint-disable-next-line @next/next/no-img-element -- served by the studio's own thumbnail route
                    <img
                      src={`/api/images/${session.coverImageHash}/thumbnail?w=384`}
                      alt={session.lastPrompt?.slice(0, 120) || session.title}
                      className="h-full w-full object-cover"
                      loading="lazy"
                    />
                  ) : (
                    <span className="text-xs text-zinc-500 dark:text-zinc-400">No image yet</span>
                  )}
                </div>
                <div className="p-3">
                  <p className="truncate text-sm font-medium">{session.title}</p>
                  <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">
                    <span data-testid="gallery-owner">{session.ownerId === viewer.userId ? "You" : (names.get(session.ownerId) ?? "Someone no longer in the team")}</span> ·{" "}
                    {share.mode === "view" ? "view only" : "can continue"} · {new Date(session.updatedAt).toLocaleDateString("en-GB", { timeZone: "UTC" })}
                  </p>
                </div>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </PageFrame>
  );
}
