"use client";

import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { LocalTime } from "@/components/ui/local-time";
import type { SessionListItem } from "@/lib/studio/session-list";
import { distinguishingSuffixes } from "@/lib/studio/session-titles";

interface SessionsSidebarProps {
  sessions: SessionListItem[];
  activeId: string | null;
  /** Older sessions exist beyond the ones listed. */
  hasMore: boolean;
  onLoadMore(): Promise<void>;
  onSearch(query: string): Promise<SessionListItem[]>;
  onRename(id: string, title: string): Promise<void>;
  onDelete(id: string): Promise<void>;
}

function SessionItem({
  session,
  active,
  suffix,
  tabbable,
  onRename,
  onDelete,
}: {
  session: SessionListItem;
  active: boolean;
  /** The words that tell this title from a similar one, when another listed title reads alike. */
  suffix: string | undefined;
  /** The list's one tab stop (roving tabindex): the others are reached with the arrow keys. */
  tabbable: boolean;
  onRename(title: string): Promise<void>;
  onDelete(): Promise<void>;
}) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [title, setTitle] = useState(session.title);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (editing) input.current?.select();
  }, [editing]);

  async function commit() {
    setEditing(false);
    const next = title.trim();
    if (next && next !== session.title) await onRename(next);
    else setTitle(session.title);
  }

  return (
    <li data-testid="session-item" data-session-id={session.id} className="group">
      {editing ? (
        <input
          ref={input}
          aria-label="Session name"
          data-testid="session-title-input"
          value={title}
          maxLength={120}
          onChange={(event) => setTitle(event.target.value)}
          onBlur={() => void commit()}
          onKeyDown={(event) => {
            if (event.key === "Enter") void commit();
            if (event.key === "Escape") {
              setTitle(session.title);
              setEditing(false);
            }
          }}
          className="w-full rounded-md border border-banana-500 bg-white px-2 py-1.5 text-sm dark:bg-zinc-900"
        />
      ) : (
        <div
          className={`flex items-center rounded-md ${active ? "bg-zinc-200 dark:bg-zinc-800" : "hover:bg-zinc-100 dark:hover:bg-zinc-900"}`}
        >
          <Link
            href={`/s/${session.id}`}
            // Session pages are rendered per request, so a prefetch fetches little that a click can
            // reuse, and re-running it for every listed session after each change costs more.
            prefetch={false}
            aria-current={active ? "page" : undefined}
            className="min-w-0 flex-1 px-2 py-1.5"
            data-testid="session-link"
            data-roving=""
            tabIndex={tabbable ? 0 : -1}
            title={session.title}
          >
            <span className="block truncate text-sm">{session.title}</span>
            {suffix && (
              <span className="block truncate text-xs text-zinc-700 dark:text-zinc-300" data-testid="session-title-suffix">
                {suffix}
              </span>
            )}
            <span className="block truncate text-[11px] text-zinc-600 dark:text-zinc-400">
              {session.turnCount} turn{session.turnCount === 1 ? "" : "s"} · <LocalTime iso={session.updatedAt} />
            </span>
          </Link>
          <div className="flex shrink-0 opacity-0 group-focus-within:opacity-100 group-hover:opacity-100">
            <button
              type="button"
              aria-label={`Rename ${session.title}`}
              data-testid="session-rename"
              tabIndex={-1}
              onClick={() => setEditing(true)}
              className="rounded p-1 text-xs text-zinc-500 dark:text-zinc-400 hover:text-zinc-900 dark:hover:text-zinc-100"
            >
              ✎
            </button>
            <button
              type="button"
              aria-label={`Delete ${session.title}`}
              data-testid="session-delete"
              tabIndex={-1}
              onClick={() => setConfirming(true)}
              className="rounded p-1 text-xs text-zinc-500 dark:text-zinc-400 hover:text-red-700 dark:hover:text-red-400"
            >
              ✕
            </button>
          </div>
        </div>
      )}
      {/* Mounted while asked only: a closed dialog per listed session is work for every hydration. */}
      {confirming && (
        <ConfirmDialog
          open
          onOpenChange={setConfirming}
          title="Delete session"
          confirmLabel="Delete"
          confirmTestId="session-delete-confirm"
          onConfirm={() => void onDelete()}
        >
          Delete &ldquo;{session.title}&rdquo; and its {session.turnCount} turns? Exported files stay in the data directory.
        </ConfirmDialog>
      )}
    </li>
  );
}

export function SessionsSidebar({ sessions, activeId, hasMore, onLoadMore, onSearch, onRename, onDelete }: SessionsSidebarProps) {
  const searchId = useId();
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<SessionListItem[] | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const list = useRef<HTMLUListElement>(null);
  // The button goes away with the last page: keyboard focus moves on to the first session added.
  const focusAfterLoad = useRef<number | null>(null);

  useEffect(() => {
    const index = focusAfterLoad.current;
    if (index === null) return;
    focusAfterLoad.current = null;
    list.current?.querySelectorAll<HTMLElement>('[data-testid="session-link"]')[index]?.focus();
  }, [sessions]);

  async function loadMore() {
    setLoadingMore(true);
    focusAfterLoad.current = sessions.length;
    try {
      await onLoadMore();
    } finally {
      setLoadingMore(false);
    }
  }

  useEffect(() => {
    if (query.trim() === "") return;
    let stale = false;
    const timer = setTimeout(() => {
      void onSearch(query.trim()).then((found) => {
        if (!stale) setResults(found);
      });
    }, 200);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [query, onSearch]);

  const searching = query.trim() !== "";
  const shown = searching ? (results ?? sessions) : sessions;
  const suffixes = distinguishingSuffixes(shown);
  // Roving tabindex: the list is one tab stop (the current session, else the first). ArrowUp/Down,
  // Home and End move between sessions; ArrowRight/Left reach a session's Rename and Delete.
  const [rovingId, setRovingId] = useState<string | null>(null);
  const tabStopId = shown.some((session) => session.id === rovingId) ? rovingId : (shown.find((session) => session.id === activeId) ?? shown[0])?.id;

  function onListKeyDown(event: React.KeyboardEvent<HTMLUListElement>) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const target = event.target as HTMLElement;
    if (target.tagName === "INPUT") return;
    const row = target.closest<HTMLElement>("li");
    const rows = [...(list.current?.querySelectorAll<HTMLElement>(":scope > li") ?? [])].filter((item) =>
      item.querySelector("[data-roving], [data-testid='sessions-more']"),
    );
    const index = row ? rows.indexOf(row) : -1;
    const focusRow = (next: number) => {
      const item = rows[Math.min(rows.length - 1, Math.max(0, next))];
      const focusable = item?.querySelector<HTMLElement>("[data-roving], [data-testid='sessions-more']");
      if (!item || !focusable) return;
      const id = item.getAttribute("data-session-id");
      if (id) setRovingId(id);
      focusable.focus();
    };
    const moves: Record<string, () => void> = {
      ArrowDown: () => focusRow(index + 1),
      ArrowUp: () => focusRow(index - 1),
      Home: () => focusRow(0),
      End: () => focusRow(rows.length - 1),
      ArrowRight: () => {
        const controls = row ? [...row.querySelectorAll<HTMLElement>("a, button")] : [];
        controls[controls.indexOf(target) + 1]?.focus();
      },
      ArrowLeft: () => {
        const controls = row ? [...row.querySelectorAll<HTMLElement>("a, button")] : [];
        controls[controls.indexOf(target) - 1]?.focus();
      },
    };
    const move = moves[event.key];
    if (!move || index === -1) return;
    event.preventDefault();
    move();
  }
  return (
    <nav aria-label="Sessions" className="flex min-h-0 flex-col gap-2" data-testid="sessions">
      <Link
        href="/"
        data-testid="new-session"
        className="rounded-lg border border-zinc-300 px-3 py-2 text-center text-sm font-medium hover:bg-white dark:border-zinc-700 dark:hover:bg-zinc-900"
      >
        + New session
      </Link>
      <label htmlFor={searchId} className="sr-only">
        Search sessions by prompt
      </label>
      <input
        id={searchId}
        type="search"
        data-testid="session-search"
        placeholder="Search prompts…"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        className="rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm dark:border-zinc-700 dark:bg-zinc-900"
      />
      <ul
        ref={list}
        aria-label="Sessions, newest first (arrow keys move between them)"
        data-testid="session-list"
        onKeyDown={onListKeyDown}
        onFocus={(event) => {
          // Wherever focus lands in the list (a click, Show older sessions), Tab comes back there.
          const id = event.target.hasAttribute("data-roving") ? event.target.closest("li")?.getAttribute("data-session-id") : null;
          if (id) setRovingId(id);
        }}
        className="flex min-h-0 flex-col gap-0.5 overflow-y-auto"
      >
        {shown.length === 0 && <li className="px-2 py-1 text-xs text-zinc-500 dark:text-zinc-400">{searching ? "No session matches." : "No sessions yet."}</li>}
        {shown.map((session) => (
          <SessionItem
            key={session.id}
            session={session}
            active={session.id === activeId}
            suffix={suffixes.get(session.id)}
            tabbable={session.id === tabStopId}
            onRename={(title) => onRename(session.id, title)}
            onDelete={() => onDelete(session.id)}
          />
        ))}
        {!searching && hasMore && (
          <li>
            <button
              type="button"
              data-testid="sessions-more"
              tabIndex={-1}
              disabled={loadingMore}
              aria-busy={loadingMore}
              onClick={() => void loadMore()}
              className="w-full rounded-md px-2 py-1.5 text-left text-xs text-zinc-600 outline-offset-[-2px] hover:bg-zinc-100 disabled:opacity-60 dark:text-zinc-400 dark:hover:bg-zinc-900"
            >
              {loadingMore ? "Loading older sessions…" : "Show older sessions"}
            </button>
          </li>
        )}
      </ul>
    </nav>
  );
}
