import Link from "next/link";
import { Logo } from "@/components/studio/logo";
import { UserMenu } from "@/components/account/user-menu";
import { adminOrNotFound } from "@/lib/server/auth/page-guard";

export const dynamic = "force-dynamic";

export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  await adminOrNotFound();
  return (
    <div className="min-h-screen">
      <header className="flex h-14 items-center gap-4 border-b border-zinc-200 px-4 dark:border-zinc-800">
        <Link href="/" className="flex items-center gap-3">
          <Logo />
          <span className="text-base font-semibold tracking-tight">Nano Banana Studio</span>
        </Link>
        <nav className="flex gap-3 text-sm" aria-label="Admin">
          <Link href="/admin/people" className="hover:underline">
            People
          </Link>
          <Link href="/admin/audit" className="hover:underline">
            Audit log
          </Link>
        </nav>
        <span className="flex-1" />
        <UserMenu />
      </header>
      <main className="mx-auto max-w-5xl space-y-8 px-4 py-8">{children}</main>
    </div>
  );
}
