"use client";

import * as DropdownMenu from "@radix-ui/react-dropdown-menu";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { shareSessionAction } from "@/app/gallery/actions";
import type { ShareMode } from "@/lib/storage/types";
import type { ShareChoice } from "./share-schemas";

const LABELS: Record<ShareChoice, { title: string; description: string }> = {
  off: { title: "Not shared", description: "Only you can see this session." },
  view: { title: "Team can view", description: "Everyone on the studio can look, nobody can change it." },
  continue: { title: "Team can continue", description: "Others can branch from its turns into sessions of their own." },
};

/** The session header's share control: not shared, view only, or can continue. */
export function ShareMenu({ sessionId, mode }: { sessionId: string; mode: ShareMode | null }) {
  const router = useRouter();
  const [current, setCurrent] = useState<ShareChoice>(mode ?? "off");
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  function choose(next: string) {
    const choice = next as ShareChoice;
    if (choice === current) return;
    const previous = current;
    setCurrent(choice);
    setError(null);
    startTransition(async () => {
      const result = await shareSessionAction({ sessionId, mode: choice });
      if (!result.ok) {
        setCurrent(previous);
        setError(result.error.message);
        return;
      }
      router.refresh();
    });
  }

  return (
    <div className="flex items-center gap-2">
      {error && (
        <span role="alert" className="text-xs text-red-700 dark:text-red-300">
          {error}
        </span>
      )}
      {/* Non-modal, as every menu of the studio (components/ui/menu.tsx says why). */}
      <DropdownMenu.Root modal={false}>
        <DropdownMenu.Trigger
          data-testid="share-button"
          data-share-mode={current}
          aria-busy={pending}
          className="rounded-md border border-zinc-300 px-3 py-1.5 text-sm hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-amber-500 dark:border-zinc-700 dark:hover:bg-zinc-800"
        >
          {current === "off" ? "Share" : LABELS[current].title}
        </DropdownMenu.Trigger>
        <DropdownMenu.Portal>
          <DropdownMenu.Content
            align="end"
            sideOffset={6}
            className="z-50 w-72 rounded-lg border border-zinc-200 bg-white p-1 text-sm shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
          >
            <DropdownMenu.Label className="px-2 py-1.5 text-xs font-medium text-zinc-500 dark:text-zinc-400">Share with the team</DropdownMenu.Label>
            <DropdownMenu.RadioGroup value={current} onValueChange={choose}>
              {(Object.keys(LABELS) as ShareChoice[]).map((choice) => (
                <DropdownMenu.RadioItem
                  key={choice}
                  value={choice}
                  data-testid={`share-${choice}`}
                  className="flex cursor-default flex-col rounded-md px-2 py-1.5 outline-none data-[highlighted]:bg-amber-100 data-[state=checked]:font-semibold dark:data-[highlighted]:bg-amber-900/40"
                >
                  <span>
                    <DropdownMenu.ItemIndicator className="mr-1">✓</DropdownMenu.ItemIndicator>
                    {LABELS[choice].title}
                  </span>
                  <span className="text-xs font-normal text-zinc-500 dark:text-zinc-400">{LABELS[choice].description}</span>
                </DropdownMenu.RadioItem>
              ))}
            </DropdownMenu.RadioGroup>
          </DropdownMenu.Content>
        </DropdownMenu.Portal>
      </DropdownMenu.Root>
    </div>
  );
}
