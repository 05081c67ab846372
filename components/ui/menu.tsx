"use client";

import * as DropdownMenu from "@radix-ui/react-dropdown-menu";

/**
 * The studio's menu button: Radix's dropdown menu (menu button pattern: Enter, Space and ArrowDown
 * open it with focus on the first item, arrows and Home/End move, typeahead, Enter picks, Esc closes
 * and returns focus to the button), styled to match the studio in both themes.
 */
/**
 * Non-modal: a modal Radix menu hides the rest of the page from assistive technology with
 * aria-hidden while leaving it focusable (axe's serious aria-hidden-focus; radix-ui/primitives#2459).
 * Open non-modally the menu still takes focus and arrow keys, Esc still returns focus to its button,
 * and a click or Tab outside closes it, as the menu button pattern has it.
 */
export function Menu(props: DropdownMenu.DropdownMenuProps) {
  return <DropdownMenu.Root modal={false} {...props} />;
}
export const MenuTrigger = DropdownMenu.Trigger;
export const MenuGroup = DropdownMenu.Group;

export function MenuContent({ className = "", children, ...props }: DropdownMenu.DropdownMenuContentProps) {
  return (
    <DropdownMenu.Portal>
      <DropdownMenu.Content
        sideOffset={4}
        collisionPadding={8}
        // Radix names the menu after its button; an aria-label given here names it instead.
        {...(props["aria-label"] ? { "aria-labelledby": undefined } : {})}
        {...props}
        // Radix puts the space left below the button in this variable: a long menu scrolls inside it.
        className={`z-50 max-h-[min(24rem,var(--radix-dropdown-menu-content-available-height))] overflow-y-auto rounded-lg border border-zinc-200 bg-white p-1 text-zinc-900 shadow-lg outline-none dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 ${className}`}
      >
        {children}
      </DropdownMenu.Content>
    </DropdownMenu.Portal>
  );
}

export function MenuLabel({ className = "", ...props }: DropdownMenu.DropdownMenuLabelProps) {
  return <DropdownMenu.Label {...props} className={`px-2 pt-2 pb-1 text-[11px] font-semibold tracking-wide text-zinc-500 dark:text-zinc-400 uppercase ${className}`} />;
}

export function MenuItem({ className = "", ...props }: DropdownMenu.DropdownMenuItemProps) {
  return (
    <DropdownMenu.Item
      {...props}
      // Radix moves focus onto the highlighted item and marks it data-highlighted, by pointer and by keyboard alike.
      className={`flex cursor-default flex-col items-start rounded-md px-2 py-1.5 text-left outline-none select-none data-disabled:opacity-50 data-highlighted:bg-zinc-100 dark:data-highlighted:bg-zinc-800 ${className}`}
    />
  );
}
