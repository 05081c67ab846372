/**
 * A keyboard shortcut shown inside a button. Hidden from assistive technology: the button's name
 * stays its action ("Generate", not "GenerateCtrl+Enter"), and the button announces the shortcut
 * through aria-keyshortcuts instead.
 */
export function ShortcutHint({ children, className = "" }: { children: React.ReactNode; className?: string }) {
  return (
    <kbd aria-hidden className={`font-sans text-xs font-normal opacity-70 ${className}`}>
      {children}
    </kbd>
  );
}
