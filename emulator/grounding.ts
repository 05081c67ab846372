import { deterministicInt, deterministicToken } from "./random";
import { SEARCH_ENTRY_POINT_HEAD, SEARCH_ENTRY_POINT_TAIL, searchEntryPointChip } from "./search-entry-point";

/**
 * Grounding with Google Search, shaped like grounding/grounding-metadata.json: redirect links as
 * chunk uris, supports whose offsets are UTF-8 BYTE offsets into the model's text (the answer
 * deliberately contains "à", "—" and curly quotes before the cited sentences, so code that slices
 * a JS string with those offsets gets visibly wrong text), and the real search-suggestions widget.
 */

export interface SearchTypes {
  web: boolean;
  image: boolean;
}

export interface WebChunk {
  /** Real chunks sometimes carry only uri and title. */
  web: { uri: string; title: string; domain?: string };
}
export interface ImageChunk {
  image: { sourceUri: string; imageUri: string; title: string; domain: string };
}
export interface GroundingSupport {
  segment: { startIndex?: number; endIndex: number; text: string };
  groundingChunkIndices: number[];
}
export interface GroundingMetadata {
  searchEntryPoint: { renderedContent: string };
  groundingChunks: Array<WebChunk | ImageChunk>;
  groundingSupports?: GroundingSupport[];
  webSearchQueries?: string[];
  imageSearchQueries?: string[];
}

const WEB_SOURCES = [
  "wikipedia.org",
  "britannica.com",
  "nationalgeographic.com",
  "smithsonianmag.com",
  "bbc.com",
  "theguardian.com",
  "reuters.com",
  "nytimes.com",
];

export function redirectUri(seed: string): string {
  return `https://vertexaisearch.cloud.google.com/grounding-api-redirect/AWQVqA${deterministicToken(`redirect:${seed}`, 150)}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Real queries are short rewrites of the prompt; a few leading words is close enough. */
export function searchTopic(prompt: string): string {
  const words = prompt
    .replace(/[^\p{L}\p{N}\s'-]/gu, " ")
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 7);
  return words.join(" ").toLowerCase() || "image ideas";
}

function utf8Offset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), "utf8");
}

function segment(text: string, sentence: string): GroundingSupport["segment"] {
  const start = text.indexOf(sentence);
  const startIndex = utf8Offset(text, start);
  const endIndex = utf8Offset(text, start + sentence.length);
  // proto3 JSON omits zero values, so a segment at the very start has no startIndex.
  return startIndex === 0 ? { endIndex, text: sentence } : { startIndex, endIndex, text: sentence };
}

export function renderSearchEntryPoint(queries: readonly string[]): string {
  const chips = queries.map((query) => searchEntryPointChip(redirectUri(`chip:${query}`), escapeHtml(query))).join("");
  return `${SEARCH_ENTRY_POINT_HEAD}${chips}${SEARCH_ENTRY_POINT_TAIL}`;
}

export interface GroundedAnswer {
  /** The non-thought model text the supports point into; absent for image-only responses. */
  text?: string;
  metadata: GroundingMetadata;
}

export function buildGroundedAnswer(prompt: string, types: SearchTypes, withText: boolean): GroundedAnswer {
  const topic = searchTopic(prompt);
  const first = deterministicInt(`sources:${topic}`, 0, WEB_SOURCES.length - 1);
  const domains = [0, 1, 2].map((offset) => WEB_SOURCES[(first + offset * 3) % WEB_SOURCES.length] ?? "wikipedia.org");

  const webSearchQueries = types.web ? [topic, `${topic} reference details`] : undefined;
  const imageSearchQueries = types.image ? [`${topic} photos`] : undefined;

  const chunks: Array<WebChunk | ImageChunk> = [];
  if (types.web) {
    for (const domain of domains) {
      chunks.push({ web: { uri: redirectUri(`web:${topic}:${domain}`), title: domain, domain } });
    }
  }
  const firstImageChunk = chunks.length;
  if (types.image) {
    for (const [index, domain] of domains.slice(0, 2).entries()) {
      chunks.push({
        image: {
          sourceUri: redirectUri(`image-source:${topic}:${domain}`),
          imageUri: `https://encrypted-tbn0.gstatic.com/images?q=tbn:ANd9Gc${deterministicToken(`image:${topic}:${index}`, 60)}&s`,
          title: `${topic} - ${domain}`,
          domain,
        },
      });
    }
  }

  const metadata: GroundingMetadata = {
    searchEntryPoint: { renderedContent: renderSearchEntryPoint(webSearchQueries ?? imageSearchQueries ?? []) },
    groundingChunks: chunks,
  };

  let text: string | undefined;
  if (withText) {
    const citedFirst = types.web ? [0] : [firstImageChunk];
    const citedSecond = types.web ? [1, 2] : [firstImageChunk + 1];
    const firstSentence = `It follows what ${domains[0]} says about ${topic}.`;
    const secondSentence = types.web
      ? `Colours, names and details were checked against recent results from ${domains[1]} and ${domains[2]}.`
      : `Visual details were matched to reference photos from ${domains[1]}.`;
    text = `Voilà — here is your image of “${topic}”. ${firstSentence} ${secondSentence}`;
    metadata.groundingSupports = [
      { segment: segment(text, firstSentence), groundingChunkIndices: citedFirst },
      { segment: segment(text, secondSentence), groundingChunkIndices: citedSecond },
    ];
  }
  if (webSearchQueries) metadata.webSearchQueries = webSearchQueries;
  if (imageSearchQueries) metadata.imageSearchQueries = imageSearchQueries;
  return { text, metadata };
}
