"use client";

import { useRef } from "react";
import { Menu, MenuContent, MenuItem, MenuTrigger } from "@/components/ui/menu";

interface CompareMenuProps {
  candidates: Array<{ id: string; label: string }>;
  onCompare(otherTurnId: string): void;
}

/**
 * "Compare with…": a menu button, so the arrow keys browse the other versions and only Enter (or a
 * click) starts a comparison. A native select fired its change event on ArrowDown, opening the
 * comparison before the user had chosen.
 */
export function CompareMenu({ candidates, onCompare }: CompareMenuProps) {
  const trigger = useRef<HTMLButtonElement>(null);
  const picked = useRef<string | null>(null);
  return (
    <Menu>
      <MenuTrigger
        ref={trigger}
        data-testid="compare-with"
        className="max-w-48 truncate rounded-lg border border-zinc-300 bg-white px-2 py-1.5 hover:bg-zinc-100 data-[state=open]:bg-zinc-100 dark:border-zinc-700 dark:bg-zinc-900 dark:hover:bg-zinc-800 dark:data-[state=open]:bg-zinc-800"
      >
        Compare with… <span aria-hidden>▾</span>
      </MenuTrigger>
      <MenuContent
        align="end"
        aria-label="Compare with"
        className="w-72"
        onCloseAutoFocus={(event) => {
          const id = picked.current;
          if (id === null) return;
          picked.current = null;
          // The comparison opens once focus is back on this button, so the dialog returns it here when it closes.
          event.preventDefault();
          trigger.current?.focus();
          onCompare(id);
        }}
      >
        {candidates.map((candidate) => (
          <MenuItem
            key={candidate.id}
            data-testid="compare-candidate"
            onSelect={() => {
              picked.current = candidate.id;
            }}
          >
            <span className="w-full truncate text-sm">{candidate.label}</span>
          </MenuItem>
        ))}
      </MenuContent>
    </Menu>
  );
}
