import Link from "next/link";
import { Logo } from "@/components/studio/logo";

/** The frame of the team pages (library, gallery, usage): the studio's header with the page's name. */
export function PageFrame({ title, wide = false, children }: { title: string; wide?: boolean; children: React.ReactNode }) {
  return (
    <div className="min-h-screen">
      <header className="flex h-14 items-center gap-3 border-b border-zinc-200 px-4 dark:border-zinc-800">
        <Logo />
        <Link href="/" className="text-base font-semibold tracking-tight">
          Nano Banana Studio
        </Link>
        <span className="text-sm text-zinc-500 dark:text-zinc-400">/ {title}</span>
        <span className="flex-1" />
        <nav aria-label="Team" className="flex items-center gap-3 text-sm">
          <Link href="/library" className="text-zinc-600 hover:underline dark:text-zinc-300">
            Library
          </Link>
          <Link href="/gallery" className="text-zinc-600 hover:underline dark:text-zinc-300">
            Gallery
          </Link>
          <Link href="/usage" className="text-zinc-600 hover:underline dark:text-zinc-300">
            Usage
          </Link>
        </nav>
      </header>
      <main className={`mx-auto flex flex-col gap-6 p-4 ${wide ? "max-w-7xl" : "max-w-5xl"}`}>{children}</main>
    </div>
  );
}
