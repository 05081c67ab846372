"use client";

import * as DialogPrimitive from "@radix-ui/react-dialog";
import { useRef } from "react";

/**
 * The studio's modal dialog: Radix's dialog (focus moves in and is trapped, Esc and a click outside
 * close it, the page behind is hidden from assistive technology), styled to match the studio in
 * both themes.
 */
export const Dialog = DialogPrimitive.Root;
export const DialogTitle = DialogPrimitive.Title;
export const DialogDescription = DialogPrimitive.Description;
export const DialogClose = DialogPrimitive.Close;

export function DialogContent({ className = "", children, onOpenAutoFocus, onCloseAutoFocus, ...props }: DialogPrimitive.DialogContentProps) {
  const opener = useRef<HTMLElement | null>(null);
  return (
    <DialogPrimitive.Portal>
      <DialogPrimitive.Overlay className="fixed inset-0 z-50 bg-zinc-950/60" />
      <DialogPrimitive.Content
        {...props}
        onOpenAutoFocus={(event) => {
          opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
          onOpenAutoFocus?.(event);
        }}
        // Radix returns focus only to a Dialog.Trigger. The studio's dialogs open from menus and
        // buttons that are not one, so focus goes back to whatever held it when the dialog opened.
        onCloseAutoFocus={(event) => {
          onCloseAutoFocus?.(event);
          if (event.defaultPrevented) return;
          event.preventDefault();
          if (opener.current?.isConnected) opener.current.focus();
        }}
        className={`fixed z-50 rounded-2xl bg-white text-zinc-900 shadow-2xl outline-none dark:bg-zinc-900 dark:text-zinc-100 ${className}`}
      >
        {children}
      </DialogPrimitive.Content>
    </DialogPrimitive.Portal>
  );
}
