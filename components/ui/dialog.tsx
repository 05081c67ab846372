"use client";

import * as DialogPrimitive from "@radix-ui/react-dialog";

/**
 * The studio's modal dialog: Radix's dialog (focus moves in and is trapped, Esc and a click outside
 * close it, focus returns to what opened it, the page behind is inert to assistive technology),
 * styled to match the studio in both themes.
 */
export const Dialog = DialogPrimitive.Root;
export const DialogTitle = DialogPrimitive.Title;
export const DialogDescription = DialogPrimitive.Description;
export const DialogClose = DialogPrimitive.Close;

export function DialogContent({ className = "", children, ...props }: DialogPrimitive.DialogContentProps) {
  return (
    <DialogPrimitive.Portal>
      <DialogPrimitive.Overlay className="fixed inset-0 z-50 bg-zinc-950/60" />
      <DialogPrimitive.Content
        {...props}
        className={`fixed z-50 rounded-2xl bg-white text-zinc-900 shadow-2xl outline-none dark:bg-zinc-900 dark:text-zinc-100 ${className}`}
      >
        {children}
      </DialogPrimitive.Content>
    </DialogPrimitive.Portal>
  );
}
