import type { StudioMode } from "@/lib/env";

/** Says plainly when images are not coming from Google, and how to change that. */
export function ModeBanner({ mode }: { mode: StudioMode }) {
  if (mode === "live") return null;
  const offline = mode === "offline-preview";
  return (
    <div
      role="status"
      data-testid={offline ? "offline-banner" : "setup-banner"}
      className="border-b border-amber-300 bg-amber-50 px-4 py-2 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
    >
      {offline ? (
        <>
          <strong className="font-semibold">Offline preview.</strong> Images are placeholders drawn by the bundled Gemini
          emulator, not by Google. To generate real images, restart with your key:{" "}
          <code className="rounded bg-amber-100 px-1 font-mono dark:bg-amber-900">GEMINI_API_KEY=your-key npm start</code>{" "}
          (get one at{" "}
          <a className="underline" href="https://aistudio.google.com/apikey" target="_blank" rel="noopener noreferrer">
            aistudio.google.com/apikey
          </a>
          ).
        </>
      ) : (
        <>
          <strong className="font-semibold">No API key configured.</strong> Set <code className="font-mono">GEMINI_API_KEY</code>{" "}
          on the server and restart, or run <code className="font-mono">npm start</code> without a key for the offline preview.
        </>
      )}
    </div>
  );
}
