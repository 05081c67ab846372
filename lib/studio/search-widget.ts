/**
 * Google's search-suggestions widget (`searchEntryPoint.renderedContent`) as an isolated frame.
 *
 * Google's terms require the widget to be shown, as provided, with every grounded result. Its HTML
 * and CSS come from outside the studio, so it is rendered in a sandboxed `srcdoc` frame rather than
 * injected into the page: its styles cannot leak into the studio (nor the studio's into it), and
 * with neither `allow-scripts` nor `allow-same-origin` the frame has an opaque origin and no
 * scripts, so it cannot read the studio's cookies, storage or DOM even if the HTML carried script.
 */

/**
 * `allow-popups` lets the chips open Google Search in a new tab; `allow-popups-to-escape-sandbox`
 * keeps that tab a normal page instead of an opaque, script-less one. Nothing else is allowed.
 */
export const SEARCH_WIDGET_SANDBOX = "allow-popups allow-popups-to-escape-sandbox";

/**
 * The frame is cross-origin and runs no script, so it cannot report its size; its height is fixed
 * to the widget's layout, which is one row by design (chips scroll sideways inside the carousel).
 * Measured in Chromium 150 on the recorded widget at 320, 480 and 720 px wide, light and dark:
 * `.container` is 48 px (8 px padding + 32 px chip: 20 px line + 2x5 px padding + 2x1 px border,
 * + 8 px padding) at every width. The two extra pixels are the body's 1 px margin, which keeps
 * the container's 1 px `box-shadow` ring inside the frame instead of clipped at its edges.
 */
export const SEARCH_WIDGET_HEIGHT_PX = 50;

export const SEARCH_WIDGET_TITLE = "Google Search suggestions";

/**
 * The `srcdoc` document for the widget. Google's markup goes in byte for byte; the wrapper only
 * supplies what a document around a fragment needs and changes nothing Google styles:
 * - `charset`: chip labels can be any language.
 * - `<base target="_blank">`: chips are plain links; inside a frame they would otherwise navigate
 *   the frame itself. This is how an embedder says "open links in a new tab" without editing them.
 * - `referrer` no-referrer: the frame has no URL worth sending, and the studio's never leaks.
 * - `color-scheme: light dark`: declares the document supports both schemes. Without it, a frame
 *   whose element is dark gets an opaque white backdrop behind the widget's rounded corners (CSS
 *   Color Adjust: mismatched schemes make the embedded canvas opaque). Google's CSS picks its
 *   colors with `prefers-color-scheme`, which in a frame follows the frame element's
 *   `color-scheme` (see `searchWidgetSchemeClass`).
 * - body `margin:1px`: the default 8 px margin would shift the widget; 1 px (not 0) leaves room
 *   for the container's 1 px outline shadow, so the widget looks exactly as Google draws it.
 */
export function buildSearchWidgetDocument(renderedContent: string): string {
  return (
    '<!doctype html><html><head><meta charset="utf-8"><base target="_blank">' +
    '<meta name="referrer" content="no-referrer"><meta name="color-scheme" content="light dark">' +
    `</head><body style="margin:1px">${renderedContent}</body></html>`
  );
}

export type StudioTheme = "light" | "dark";

/**
 * The Tailwind class that pins the frame's `color-scheme`, and with it the widget's
 * `prefers-color-scheme` rules, to a theme. A class rather than an inline `style` keeps the
 * studio's markup free of style attributes. With no theme the frame inherits `color-scheme` from
 * the page (html[data-theme] sets it: light, dark, or "light dark" which follows the OS), so the
 * widget already tracks the studio's theme toggle, live; verified in Chromium 150.
 */
export function searchWidgetSchemeClass(theme: StudioTheme | undefined): string {
  if (theme === "dark") return "scheme-dark";
  if (theme === "light") return "scheme-light";
  return "";
}

/** Whether there is a widget to show; Google sends it with every grounded response it applies to. */
export function hasSearchWidget(renderedContent: string | null | undefined): renderedContent is string {
  return typeof renderedContent === "string" && renderedContent.trim() !== "";
}
