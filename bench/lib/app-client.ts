import { performance } from "node:perf_hooks";
import type { Browser } from "@playwright/test";
import type { GenerationSettings } from "../../lib/gemini/types";
import type { Session, Turn } from "../../lib/storage/types";
import type { JobEvent } from "../../lib/studio/job-events";
import { newStudioContext } from "./browser";
import { BENCH_COOKIE } from "./auth";

/**
 * The app's own HTTP surface, driven from Node: its server actions (createSessionAction,
 * startTurnAction) replayed exactly as the browser posts them, and the turn's SSE stream. This is
 * the real request path (router, action decoding, validation, job, storage, SSE) without a
 * browser's rendering in the timing. The action ids are read from one real browser session,
 * so nothing in the app is added for the bench.
 */

export type ActionResult<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export interface ActionIds {
  createSession: string;
  startTurn: string;
}

export interface StartTurnInput {
  sessionId: string;
  parentId: string | null;
  prompt: string;
  references: Array<{ hash: string }>;
  settings: GenerationSettings;
}

/** Finds the server action ids by doing one generation in the browser, as a designer would. */
export async function discoverActionIds(browser: Browser, appUrl: string, prompt: string): Promise<{ ids: ActionIds; sessionId: string; turnId: string }> {
  const context = await newStudioContext(browser);
  const page = await context.newPage();
  const found: Partial<ActionIds> = {};
  page.on("request", (request) => {
    const id = request.headers()["next-action"];
    if (!id || request.method() !== "POST") return;
    const body = request.postData() ?? "";
    if (body.includes('"sessionId"') && body.includes('"settings"')) found.startTurn = id;
    else if (body.includes('"title"')) found.createSession = id;
  });
  await page.goto(appUrl);
  await page.getByTestId("reference-tray").and(page.locator('[data-hydrated="true"]')).waitFor();
  await page.getByTestId("prompt").fill(prompt);
  await page.getByTestId("generate").click();
  await page.locator('[data-testid="turn-view"][data-status="succeeded"]').waitFor({ timeout: 60_000 });
  const turnId = (await page.getByTestId("turn-view").getAttribute("data-turn-id")) ?? "";
  const sessionId = /\/s\/([^/?]+)/.exec(page.url())?.[1] ?? "";
  await context.close();
  if (!found.createSession || !found.startTurn) throw new Error("Could not find the server action ids: the browser posted no createSession/startTurn action.");
  return { ids: found as ActionIds, sessionId, turnId };
}

/** The result object in a server action's RSC answer: the row whose value is `{ ok, ... }`. */
function parseActionResult<T>(text: string): ActionResult<T> {
  for (const line of text.split("\n")) {
    const match = /^[0-9a-f]+:(\{.*\})$/.exec(line);
    if (!match?.[1]) continue;
    try {
      const value = JSON.parse(match[1]) as Record<string, unknown>;
      if (typeof value.ok === "boolean") return value as unknown as ActionResult<T>;
    } catch {
      // Not a JSON row.
    }
  }
  throw new Error(`Unexpected server action answer: ${text.slice(0, 500)}`);
}

export function createAppClient(appUrl: string, ids: ActionIds) {
  async function callAction<T>(id: string, input: unknown): Promise<ActionResult<T>> {
    const response = await fetch(`${appUrl}/`, {
      method: "POST",
      headers: {
        "next-action": id,
        accept: "text/x-component",
        "content-type": "text/plain;charset=UTF-8",
        origin: appUrl,
        cookie: BENCH_COOKIE,
      },
      body: JSON.stringify([input]),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Server action answered HTTP ${response.status}: ${text.slice(0, 300)}`);
    return parseActionResult<T>(text);
  }

  return {
    createSession: (title: string) => callAction<Session>(ids.createSession, { title }),
    startTurn: (input: StartTurnInput) => callAction<Turn>(ids.startTurn, input),
    /** Follows the turn's SSE stream to its terminal event, noting when each event arrived; `onEvent` sees each as it comes. */
    async follow(turnId: string, onEvent?: (event: JobEvent) => void): Promise<{ terminal: JobEvent; events: Array<{ type: string; at: number }> }> {
      const response = await fetch(`${appUrl}/api/turns/${encodeURIComponent(turnId)}/events`, { headers: { accept: "text/event-stream", cookie: BENCH_COOKIE } });
      if (!response.ok || !response.body) throw new Error(`The event stream answered HTTP ${response.status}.`);
      const decoder = new TextDecoder();
      const events: Array<{ type: string; at: number }> = [];
      let buffer = "";
      for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(piece, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split("\n")
            .filter((line) => line.startsWith("data: "))
            .map((line) => line.slice(6))
            .join("\n");
          if (!data) continue;
          const event = JSON.parse(data) as JobEvent;
          events.push({ type: event.type, at: performance.now() });
          onEvent?.(event);
          if (event.type === "done" || event.type === "failed" || event.type === "cancelled" || event.type === "interrupted") {
            await response.body.cancel().catch(() => undefined);
            return { terminal: event, events };
          }
        }
      }
      throw new Error("The event stream ended without a terminal event.");
    },
  };
}

export type AppClient = ReturnType<typeof createAppClient>;
