import { Fragment } from "react";

export type FinishMessagePiece = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

// Markdown links as Google writes them: [label](url). Nothing else of markdown is interpreted.
const MARKDOWN_LINK = /\[([^\]\n]{1,300})\]\(([^()\s]{1,2000})\)/g;
const BARE_URL = /\bhttps?:\/\/[^\s<>()"']+[^\s<>()"'.,;:!?]/g;

function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

function splitBareUrls(text: string): FinishMessagePiece[] {
  const pieces: FinishMessagePiece[] = [];
  let last = 0;
  for (const match of text.matchAll(BARE_URL)) {
    const href = safeHref(match[0]);
    if (!href) continue;
    if (match.index > last) pieces.push({ kind: "text", text: text.slice(last, match.index) });
    pieces.push({ kind: "link", text: match[0], href });
    last = match.index + match[0].length;
  }
  if (last < text.length) pieces.push({ kind: "text", text: text.slice(last) });
  return pieces;
}

/**
 * Google's finishMessage split into text and links. Only http(s) links become links; any other
 * scheme (javascript:, data:) stays visible as the text it was. The pieces are rendered as React
 * text, so markup in the message is shown, never interpreted.
 */
export function parseFinishMessage(message: string): FinishMessagePiece[] {
  const pieces: FinishMessagePiece[] = [];
  let last = 0;
  for (const match of message.matchAll(MARKDOWN_LINK)) {
    const href = safeHref(match[2] ?? "");
    if (!href) continue;
    if (match.index > last) pieces.push(...splitBareUrls(message.slice(last, match.index)));
    pieces.push({ kind: "link", text: match[1] ?? href, href });
    last = match.index + match[0].length;
  }
  if (last < message.length) pieces.push(...splitBareUrls(message.slice(last)));
  return pieces;
}

/** Google's own explanation, verbatim, beside the studio's summary. */
export function FinishMessage({ message }: { message: string }) {
  return (
    <figure data-testid="finish-message" className="mt-2 rounded-lg border border-current/20 bg-white/50 p-2 text-xs dark:bg-black/20">
      <figcaption className="mb-1 font-semibold">Google&apos;s explanation</figcaption>
      <blockquote className="whitespace-pre-wrap">
        {parseFinishMessage(message).map((piece, index) => (
          <Fragment key={index}>
            {piece.kind === "link" ? (
              <a href={piece.href} target="_blank" rel="noopener noreferrer" className="underline">
                {piece.text}
              </a>
            ) : (
              piece.text
            )}
          </Fragment>
        ))}
      </blockquote>
    </figure>
  );
}
