import { LibraryView } from "@/components/library/library-view";
import { PageFrame } from "@/components/usage/page-frame";
import { viewerOrRedirect } from "@/lib/server/auth/page-guard";
import { getStorage } from "@/lib/storage";

export const dynamic = "force-dynamic";

/** Every result of the signed-in person across their sessions, with favourites and boards. */
export default async function LibraryPage() {
  const viewer = await viewerOrRedirect();
  const storage = await getStorage();
  const [items, boards] = await Promise.all([storage.library.list(viewer.userId), storage.boards.list(viewer.userId)]);
  return (
    <PageFrame title="Library" wide>
      <LibraryView items={items} boards={boards} />
    </PageFrame>
  );
}
