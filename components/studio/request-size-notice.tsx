import Link from "next/link";
import {
  CONTINUE_IN_NEW_SESSION,
  GEMINI_REQUEST_LIMIT_BYTES,
  MB,
  formatRequestSize,
  turnsThatFit,
  type RequestSizeEstimate,
} from "@/lib/studio/request-size";

/** Where "Continue in a new session from this image" goes: the home page with the image as a reference. */
export function continueHref(imageHash: string): string {
  return `/?from=${encodeURIComponent(imageHash)}`;
}

/**
 * The one way on from a conversation too large to continue. A link (it opens a page), styled as
 * the composer's main button, since Generate is what it stands in for.
 */
export function ContinueInNewSession({ imageHash }: { imageHash: string }) {
  return (
    <Link
      href={continueHref(imageHash)}
      data-testid="continue-in-new-session"
      className="self-start rounded-lg bg-banana-400 px-3 py-2 text-sm font-semibold text-zinc-950 shadow-sm hover:bg-banana-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 dark:focus-visible:outline-banana-300"
    >
      {CONTINUE_IN_NEW_SESSION}
    </Link>
  );
}

/**
 * Shown above 50 MB: how large the next request will be, how many more turns fit, and (as a plain
 * link, not a second main button) the way to start over from the image before the studio refuses.
 */
export function RequestSizeNotice({ estimate, imageHash }: { estimate: RequestSizeEstimate; imageHash: string | null }) {
  const left = turnsThatFit(estimate.bytes, estimate.replayedTurns);
  return (
    <div
      role="status"
      data-testid="request-size-notice"
      data-bytes={estimate.bytes}
      className="mb-3 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
    >
      <p>
        <span className="font-semibold">Large conversation:</span> the next request will be about{" "}
        <span data-testid="request-size">{formatRequestSize(estimate.bytes)}</span> of the {GEMINI_REQUEST_LIMIT_BYTES / MB} MB Google accepts, as every turn
        sends each earlier image again.
        {left !== null && (left === 0 ? " The next turn is about the last that fits." : ` About ${left} more ${left === 1 ? "turn fits" : "turns fit"}.`)}
      </p>
      {imageHash && (
        <Link href={continueHref(imageHash)} data-testid="continue-in-new-session" className="mt-1 inline-block font-medium underline underline-offset-2">
          {CONTINUE_IN_NEW_SESSION}
        </Link>
      )}
    </div>
  );
}
