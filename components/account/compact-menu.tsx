"use client";

import Link from "next/link";
import { useRef } from "react";
import { signOutAction } from "@/app/auth-actions";
import { Menu, MenuContent, MenuItem, MenuLabel, MenuTrigger } from "@/components/ui/menu";

/**
 * The header's links and account corner folded into one menu on a phone, where they don't fit on
 * the header's one line beside the logo, the share button and the theme toggle. Wider screens show
 * them in the header itself (UserMenu, the Team navigation).
 */
export function CompactMenu({ name, email, admin }: { name: string; email: string; admin: boolean }) {
  const signOut = useRef<HTMLFormElement>(null);
  const link = (href: string, label: string) => (
    <MenuItem asChild>
      <Link href={href} className="w-full text-sm">
        {label}
      </Link>
    </MenuItem>
  );
  return (
    <>
      <Menu>
        <MenuTrigger
          data-testid="compact-menu"
          aria-label={`Menu for ${name}`}
          className="shrink-0 rounded-md border border-zinc-300 px-2 py-1 text-sm font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
        >
          Menu
        </MenuTrigger>
        <MenuContent align="end" className="w-56">
          <MenuLabel className="normal-case">
            <span className="block truncate text-sm font-medium tracking-normal text-zinc-900 dark:text-zinc-100">{name}</span>
            <span className="block truncate font-normal tracking-normal">{email}</span>
          </MenuLabel>
          {link("/library", "Library")}
          {link("/gallery", "Gallery")}
          {link("/usage", "Usage")}
          {admin && link("/admin/people", "Admin")}
          <MenuItem className="w-full text-sm" onSelect={() => signOut.current?.requestSubmit()} data-testid="compact-sign-out">
            Sign out
          </MenuItem>
        </MenuContent>
      </Menu>
      {/* The menu closes (and unmounts its items) as Sign out is picked: the form lives outside it. */}
      <form ref={signOut} action={signOutAction} hidden />
    </>
  );
}
