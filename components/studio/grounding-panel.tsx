"use client";

import { useCallback, useId, useMemo, useState } from "react";
import type { Grounding } from "@/lib/gemini/types";
import { describeSource, segmentTextWithCitations, type CitedTextPart, type SourceView } from "@/lib/studio/citations";
import {
  SEARCH_WIDGET_HEIGHT_PX,
  SEARCH_WIDGET_SANDBOX,
  SEARCH_WIDGET_TITLE,
  buildSearchWidgetDocument,
  hasSearchWidget,
  searchWidgetSchemeClass,
  type StudioTheme,
} from "@/lib/studio/search-widget";

interface GroundingPanelProps {
  grounding: Grounding;
  /** The model's answer text the supports' byte offsets point into. */
  text: string;
  /**
   * Pins the search suggestions to a theme. Usually unneeded: the frame inherits the page's
   * `color-scheme`, which html[data-theme] sets, so it follows the theme toggle (and the OS on "system").
   */
  theme?: StudioTheme;
}

const LINK_CLASS = "group rounded-sm text-sky-700 dark:text-sky-300";
// On the title only: an underline set on the link would run through the domain line and the thumbnail's row too.
const LINK_TITLE_CLASS =
  "underline decoration-sky-700/40 underline-offset-2 group-hover:decoration-sky-700 dark:decoration-sky-300/40 dark:group-hover:decoration-sky-300";
const CITATION_CLASS = "rounded-sm px-px font-medium text-sky-700 no-underline hover:underline dark:text-sky-300";
const SUBHEADING_CLASS = "text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400";

/**
 * Everything Google Search contributed to a grounded result: the search-suggestions widget
 * (required by Google's terms, so never hidden or collapsible), the answer with numbered citation
 * markers, the numbered sources and the queries the model ran.
 */
export function GroundingPanel({ grounding, text, theme }: GroundingPanelProps) {
  const headingId = useId();
  const sources = useMemo(() => grounding.sources.map((source, position) => describeSource(source, position + 1)), [grounding.sources]);
  const sourcesByIndex = useMemo(() => new Map(sources.map((source) => [source.index, source])), [sources]);
  const parts = useMemo(
    () => segmentTextWithCitations(text, grounding.supports, grounding.sources),
    [text, grounding.supports, grounding.sources],
  );

  return (
    <section
      aria-labelledby={headingId}
      data-testid="grounding-panel"
      className="flex flex-col gap-4 rounded-lg border border-zinc-200 bg-white p-4 text-sm text-zinc-800 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-200"
    >
      <h2 id={headingId} className="text-sm font-semibold text-zinc-900 dark:text-zinc-100">
        Grounded with Google Search
      </h2>
      {hasSearchWidget(grounding.searchEntryPointHtml) && <SearchSuggestions html={grounding.searchEntryPointHtml} theme={theme} />}
      {sources.some((source) => source.kind === "image") && <ImageResults sources={sources.filter((source) => source.kind === "image")} />}
      {parts.length > 0 && <CitedText parts={parts} sourcesByIndex={sourcesByIndex} />}
      {sources.length > 0 && <SourceList sources={sources} />}
      <SearchQueries webQueries={grounding.webQueries} imageQueries={grounding.imageQueries} />
    </section>
  );
}

/**
 * The images Google Image Search found, as thumbnails that open the page each image is on. A
 * thumbnail that fails to load (offline, or removed by the site) leaves its title and domain, so the
 * source stays readable and reachable.
 */
function ImageResults({ sources }: { sources: SourceView[] }) {
  const headingId = useId();
  return (
    <div className="flex flex-col gap-2">
      <h3 id={headingId} className={SUBHEADING_CLASS}>
        Image results
      </h3>
      <ul aria-labelledby={headingId} data-testid="image-results" className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-2">
        {sources.map((source) => (
          <li key={source.index}>
            <ImageResult source={source} />
          </li>
        ))}
      </ul>
    </div>
  );
}

function ImageResult({ source }: { source: SourceView }) {
  const [broken, setBroken] = useState(false);
  // A server-rendered thumbnail may fail before React hydrates and attaches onError: check once it is mounted.
  const checkLoaded = useCallback((img: HTMLImageElement | null) => {
    if (img?.complete && img.naturalWidth === 0) setBroken(true);
  }, []);
  const caption = source.domain ?? source.title;
  const body = (
    <figure className="flex flex-col gap-1">
      <div className="flex aspect-square items-center justify-center overflow-hidden rounded-md border border-zinc-200 bg-zinc-100 dark:border-zinc-700 dark:bg-zinc-800">
        {source.imageSrc && !broken ? (
          // eslint-disable-next-line @next/next/no-img-element -- a third-party thumbnail shown as is; next/image would fetch it through the studio's server
          <img
            src={source.imageSrc}
            alt={source.title}
            loading="lazy"
            referrerPolicy="no-referrer"
            data-testid="image-result-thumbnail"
            ref={checkLoaded}
            onError={() => setBroken(true)}
            className="size-full object-cover"
          />
        ) : (
          <span data-testid="image-result-missing" className="p-2 text-center text-xs text-zinc-600 dark:text-zinc-400">
            Thumbnail not available
          </span>
        )}
      </div>
      <figcaption className="truncate text-xs text-zinc-600 dark:text-zinc-400">
        [{source.number}] {caption}
      </figcaption>
    </figure>
  );
  if (!source.href) return <div data-testid="image-result">{body}</div>;
  return (
    <a
      href={source.href}
      target="_blank"
      rel="noopener noreferrer"
      data-testid="image-result"
      // Starts with the text shown (WCAG 2.5.3, label in name), then says what the link is.
      aria-label={`${broken || !source.imageSrc ? "Thumbnail not available " : ""}[${source.number}] ${caption}: image result, ${source.title} (opens its page)`}
      className="block rounded-md outline-offset-2 hover:opacity-90 focus-visible:outline-2 focus-visible:outline-sky-600"
    >
      {body}
    </a>
  );
}

function SearchSuggestions({ html, theme }: { html: string; theme: StudioTheme | undefined }) {
  const srcDoc = useMemo(() => buildSearchWidgetDocument(html), [html]);
  return (
    <iframe
      title={SEARCH_WIDGET_TITLE}
      data-testid="search-suggestions"
      srcDoc={srcDoc}
      sandbox={SEARCH_WIDGET_SANDBOX}
      referrerPolicy="no-referrer"
      // An attribute rather than an inline style: the studio's own markup stays free of style attributes.
      height={SEARCH_WIDGET_HEIGHT_PX}
      className={`block w-full border-0 ${searchWidgetSchemeClass(theme)}`}
    />
  );
}

function CitedText({ parts, sourcesByIndex }: { parts: CitedTextPart[]; sourcesByIndex: Map<number, SourceView> }) {
  return (
    <p data-testid="grounded-text" className="leading-relaxed break-words whitespace-pre-wrap">
      {parts.map((part, position) =>
        part.kind === "text" ? (
          <span key={position}>{part.text}</span>
        ) : (
          <span key={position} className="whitespace-nowrap">
            {part.sourceIndices.map((index) => {
              const source = sourcesByIndex.get(index);
              return source ? <CitationMarker key={index} source={source} /> : null;
            })}
          </span>
        ),
      )}
    </p>
  );
}

function CitationMarker({ source }: { source: SourceView }) {
  const label = `Source ${source.number}: ${source.title}`;
  if (!source.href) {
    return (
      <sup data-testid="citation" title={label} className="ml-0.5 text-zinc-500 dark:text-zinc-400">
        [{source.number}]
      </sup>
    );
  }
  return (
    <sup className="ml-0.5">
      <a
        href={source.href}
        target="_blank"
        rel="noopener noreferrer"
        data-testid="citation"
        aria-label={label}
        title={label}
        className={CITATION_CLASS}
      >
        [{source.number}]
      </a>
    </sup>
  );
}

function SourceList({ sources }: { sources: SourceView[] }) {
  const headingId = useId();
  return (
    <div className="flex flex-col gap-2">
      <h3 id={headingId} className={SUBHEADING_CLASS}>
        Sources
      </h3>
      <ol aria-labelledby={headingId} data-testid="grounding-sources" className="flex flex-col gap-2">
        {sources.map((source) => (
          <li key={source.index} data-testid="grounding-source" data-kind={source.kind} className="flex items-start gap-2">
            <span className="w-6 shrink-0 text-right text-zinc-500 tabular-nums dark:text-zinc-400">[{source.number}]</span>
            <SourceEntry source={source} />
          </li>
        ))}
      </ol>
    </div>
  );
}

function SourceEntry({ source }: { source: SourceView }) {
  // Behind redirect links the title is usually the domain itself; saying it twice adds nothing.
  const domain = source.domain && source.domain !== source.title.toLowerCase() ? source.domain : null;
  const details = (
    <span className="flex min-w-0 flex-col">
      <span className={`truncate ${source.href ? LINK_TITLE_CLASS : ""}`}>{source.title}</span>
      {(domain || source.kind === "image") && (
        <span className="truncate text-xs text-zinc-500 dark:text-zinc-400">
          {[source.kind === "image" ? "Image result" : null, domain].filter(Boolean).join(" · ")}
        </span>
      )}
    </span>
  );

  if (!source.href) {
    return (
      <span className="flex min-w-0 items-start gap-2">{details}</span>
    );
  }
  return (
    <a href={source.href} target="_blank" rel="noopener noreferrer" className={`flex min-w-0 items-start gap-2 ${LINK_CLASS}`}>
      {details}
    </a>
  );
}

function SearchQueries({ webQueries, imageQueries }: { webQueries: string[]; imageQueries: string[] }) {
  const webId = useId();
  const imageId = useId();
  if (webQueries.length === 0 && imageQueries.length === 0) return null;
  return (
    <div data-testid="grounding-queries" className="flex flex-col gap-2">
      <h3 className={SUBHEADING_CLASS}>
        Searched for
      </h3>
      {webQueries.length > 0 && <QueryList id={webId} label="Web" queries={webQueries} kind="web" />}
      {imageQueries.length > 0 && <QueryList id={imageId} label="Images" queries={imageQueries} kind="image" />}
    </div>
  );
}

function QueryList({ id, label, queries, kind }: { id: string; label: string; queries: string[]; kind: "web" | "image" }) {
  return (
    <div className="flex flex-wrap items-baseline gap-1.5">
      <span id={id} className="text-xs text-zinc-500 dark:text-zinc-400">
        {label}:
      </span>
      <ul aria-labelledby={id} data-testid={`grounding-queries-${kind}`} className="flex flex-wrap gap-1.5">
        {queries.map((query, position) => (
          <li key={position} className="rounded-full bg-zinc-100 px-2 py-0.5 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
            {query}
          </li>
        ))}
      </ul>
    </div>
  );
}
