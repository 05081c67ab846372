/**
 * Prompt templates from Google's image-generation prompting guide. Each
 * `[placeholder]` is a slot the editor selects in turn with Tab.
 */
export interface PromptTemplate {
  id: string;
  label: string;
  group: "create" | "edit";
  /** When to reach for it, in a few words. */
  hint: string;
  text: string;
  /** Settings the template works best with. */
  suggests?: { webSearch?: boolean; aspectRatio?: string; minReferences?: number };
}

export const PROMPT_TEMPLATES: PromptTemplate[] = [
  {
    id: "photorealistic",
    label: "Photorealistic scene",
    group: "create",
    hint: "Describe the shot like a photographer",
    text:
      "A photorealistic [type of shot] of [subject], [action or expression], set in [environment]. " +
      "Illuminated by [lighting], creating a [mood] atmosphere. Captured with [camera or lens], emphasizing [textures and details].",
  },
  {
    id: "sticker",
    label: "Sticker or icon",
    group: "create",
    hint: "Style, subject, outlines, background",
    text:
      "A [style] sticker of [subject], featuring [characteristics] and a [color palette]. " +
      "Bold, clean outlines, [shading style]. The background must be [background color].",
  },
  {
    id: "text-in-image",
    label: "Text in image or logo",
    group: "create",
    hint: "Quote the exact text; Pro renders text best",
    text:
      'Create a [image type] for [brand or concept] with the text "[exact text]" in a [font style]. ' +
      "The design should be [style description], with a [color scheme] color scheme.",
  },
  {
    id: "product-mockup",
    label: "Product mockup",
    group: "create",
    hint: "Studio lighting and a hero detail",
    text:
      "A high-resolution, studio-lit product photograph of [product] on [surface]. " +
      "The lighting is a [lighting setup] to [lighting purpose]. The camera angle is [angle] to showcase [feature]. " +
      "Ultra-realistic, with sharp focus on [key detail].",
  },
  {
    id: "minimalist",
    label: "Minimalist composition",
    group: "create",
    hint: "Negative space for overlaid text",
    text:
      "A minimalist composition featuring a single [subject] positioned in the [position in frame] of the frame. " +
      "The background is a vast, empty [color] canvas, creating significant negative space. Soft, subtle lighting.",
  },
  {
    id: "comic-panel",
    label: "Comic panel",
    group: "create",
    hint: "Sequential art with a consistent character",
    text: "Make a [number of panels] panel comic in a [art style]. Put the character in a [type of scene]. [Dialogue or captions in quotes].",
  },
  {
    id: "search-grounded",
    label: "Search-grounded graphic",
    group: "create",
    hint: "Live facts: weather, scores, news",
    text: "Using current information from Google Search, create a [graphic type] showing [real-world subject or data] in a [visual style], with clearly labelled [key facts].",
    suggests: { webSearch: true },
  },
  {
    id: "add-remove",
    label: "Add or remove an element",
    group: "edit",
    hint: "Matches the original's style and light",
    text:
      "Using the provided image of [subject], please [add, remove or modify] [element] to/from the scene. " +
      "Ensure the change is [how the change should integrate].",
    suggests: { minReferences: 1 },
  },
  {
    id: "inpainting",
    label: "Change only one element",
    group: "edit",
    hint: "Semantic inpainting: name what changes",
    text:
      "Using the provided image, change only the [specific element] to [new element or description]. " +
      "Keep everything else in the image exactly the same, preserving the original style, lighting, and composition.",
    suggests: { minReferences: 1 },
  },
  {
    id: "style-transfer",
    label: "Style transfer",
    group: "edit",
    hint: "Same composition, new style",
    text:
      "Transform the provided photograph of [subject] into the artistic style of [artist or art style]. " +
      "Preserve the original composition but render it with [stylistic elements].",
    suggests: { minReferences: 1 },
  },
  {
    id: "combine",
    label: "Combine several images",
    group: "edit",
    hint: "Composite scene from references",
    text:
      "Create a new image by combining the elements from the provided images. Take the [element from image 1] " +
      "and place it with/on the [element from image 2]. The final image should be a [description of the final scene].",
    suggests: { minReferences: 2 },
  },
  {
    id: "keep-details",
    label: "Keep details unchanged",
    group: "edit",
    hint: "Protect a face or logo while editing",
    text:
      "Using the provided images, place [element from image 2] onto [element from image 1]. " +
      "Ensure that the features of [element from image 1] remain completely unchanged. The added element should [how it should integrate].",
    suggests: { minReferences: 2 },
  },
  {
    id: "sketch",
    label: "Sketch to finished image",
    group: "edit",
    hint: "Refine a rough drawing",
    text:
      "Turn this rough [medium] sketch of a [subject] into a [style description] photo. " +
      "Keep the [specific features] from the sketch but add [new details or materials].",
    suggests: { minReferences: 1 },
  },
  {
    id: "character",
    label: "Character consistency",
    group: "edit",
    hint: "Same character, new angle or scene",
    text: "A studio portrait of [this character] against [background], [pose or viewing angle]. Keep the face, hair, and outfit exactly as in the reference.",
    suggests: { minReferences: 1 },
  },
];

export interface PlaceholderRange {
  start: number;
  end: number;
}

/** Character ranges of every `[placeholder]`, brackets included, in order. */
export function findPlaceholders(text: string): PlaceholderRange[] {
  const ranges: PlaceholderRange[] = [];
  for (const match of text.matchAll(/\[[^[\]\n]{1,80}\]/g)) {
    ranges.push({ start: match.index, end: match.index + match[0].length });
  }
  return ranges;
}

/** The placeholder Tab (or Shift+Tab) should select next, wrapping around; null when none is left. */
export function nextPlaceholder(text: string, cursor: number, backwards = false): PlaceholderRange | null {
  const ranges = findPlaceholders(text);
  if (ranges.length === 0) return null;
  if (backwards) {
    const before = ranges.filter((range) => range.end < cursor);
    return before.at(-1) ?? ranges.at(-1) ?? null;
  }
  return ranges.find((range) => range.start >= cursor) ?? ranges[0] ?? null;
}

/** Inserts a template at the cursor (replacing a selection), returning the new text and the first slot. */
export function insertTemplate(
  text: string,
  selection: { start: number; end: number },
  template: string,
): { text: string; select: PlaceholderRange | null } {
  const before = text.slice(0, selection.start);
  const after = text.slice(selection.end);
  const separator = before.length > 0 && !/\s$/.test(before) ? " " : "";
  const next = `${before}${separator}${template}${after}`;
  return { text: next, select: nextPlaceholder(next, before.length + separator.length) };
}
