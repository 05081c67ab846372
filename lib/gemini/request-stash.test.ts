import { randomBytes } from "node:crypto";
import type { Content } from "@google/genai";
import { describe, expect, it, vi } from "vitest";
import { REQUEST_STASH_MIN_CHARS, createRequestStash, withRequestStash } from "./request-stash";

const base64 = (bytes: number) => randomBytes(bytes).toString("base64");

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** A conversation as a follow-up sends it: prompts with quotes and non-ASCII text, references, signed model turns. */
function conversation(): Content[] {
  return [
    { role: "user", parts: [{ text: 'Make it "golden" — 金色 🍌\n\\ and warm' }, { text: "Image 1 (object reference):" }, { inlineData: { mimeType: "image/jpeg", data: base64(30_000) } }] },
    {
      role: "model",
      parts: [
        { text: "**Composing** the plate", thought: true },
        { text: "Here it is.", thoughtSignature: base64(5_000) },
        { inlineData: { mimeType: "image/jpeg", data: base64(40_000) }, thoughtSignature: base64(20_000) },
        { text: "", thoughtSignature: "c2hvcnQ=" },
      ],
    },
    { role: "user", parts: [{ text: "Now add a logo" }] },
  ];
}

/** What the SDK would send: the contents inside a body with config around them. */
const bodyOf = (contents: Content[]) => JSON.stringify({ contents, generationConfig: { responseModalities: ["TEXT", "IMAGE"], imageConfig: { imageSize: "1K" } } });

describe("request stash", () => {
  it("gives back, byte for byte, the body JSON.stringify would have written with the strings in place", () => {
    for (const contents of [conversation(), deepFreeze(conversation())]) {
      const stash = createRequestStash();
      const stashed = stash.stashContents(contents);
      // Both images and both long signatures; the short signature and all text stay in place.
      expect(stash.size).toBe(4);
      const sdkBody = bodyOf(stashed);
      expect(sdkBody.length).toBeLessThan(2_000);
      const restored = stash.restoreBody(sdkBody);
      expect(restored).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(restored as Uint8Array).equals(Buffer.from(bodyOf(contents), "utf8"))).toBe(true);
    }
  });

  it("works for every attempt of the same request, and never touches the contents it was given", () => {
    const contents = deepFreeze(conversation());
    const before = JSON.stringify(contents);
    const stash = createRequestStash();
    const stashed = stash.stashContents(contents);
    expect(JSON.stringify(contents)).toBe(before);
    // Parts with nothing swapped are passed on as they are.
    expect(stashed[1]?.parts?.[0]).toBe(contents[1]?.parts?.[0]);
    const first = Buffer.from(stash.restoreBody(bodyOf(stashed)) as Uint8Array);
    const second = Buffer.from(stash.restoreBody(bodyOf(stashed)) as Uint8Array);
    expect(second.equals(first)).toBe(true);
  });

  it("leaves in place what JSON would escape or what is short, and then hands the body back as it is", () => {
    const odd = `${"A".repeat(REQUEST_STASH_MIN_CHARS)}"quoted"`;
    const unicode = `${"B".repeat(REQUEST_STASH_MIN_CHARS)}é`;
    const contents: Content[] = [
      { role: "model", parts: [{ text: "x", thoughtSignature: odd }, { inlineData: { mimeType: "image/png", data: unicode } }, { thoughtSignature: "A".repeat(REQUEST_STASH_MIN_CHARS - 1) }] },
    ];
    const stash = createRequestStash();
    const stashed = stash.stashContents(contents);
    expect(stash.size).toBe(0);
    expect(stashed).toEqual(contents);
    const body = bodyOf(stashed);
    expect(stash.restoreBody(body)).toBe(body);
  });

  it("refuses a body in which a stashed value came back changed, instead of sending something else", () => {
    const stash = createRequestStash();
    const stashed = stash.stashContents(conversation());
    const body = bodyOf(stashed);
    const token = /"(nbstash[0-9a-f]+n)0"/.exec(body)?.[1];
    expect(token).toBeDefined();
    // What an SDK that re-encoded inline data would do to the token.
    expect(() => stash.restoreBody(body.replace(`"${token}0"`, `"${token}0=="`))).toThrow(/not sent/);
    expect(() => stash.restoreBody(body.replace(`"${token}0"`, `"${token}99"`))).toThrow(/not sent/);
  });

  it("as fetch: sends the restored bytes, and anything without stashed values as it came", async () => {
    const seen: Array<BodyInit | null | undefined> = [];
    const fetchImpl = vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(init?.body);
      return new Response("{}");
    }) as unknown as typeof fetch;
    const stash = createRequestStash();
    const stashed = stash.stashContents(conversation());
    let current: ReturnType<typeof createRequestStash> | undefined = stash;
    const wrapped = withRequestStash(fetchImpl, () => current);
    await wrapped("http://gemini.test/v1/models/x:streamGenerateContent", { method: "POST", body: bodyOf(stashed) });
    current = undefined;
    await wrapped("http://gemini.test/v1/models", { method: "GET" });
    expect(seen[0]).toBeInstanceOf(Uint8Array);
    expect(seen[1]).toBeUndefined();
  });
});
