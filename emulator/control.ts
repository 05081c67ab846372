import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { batchSettingsSchema, finishBatchesSchema } from "./batches";
import { EmulatorApiError, invalidArgument } from "./errors";
import { faultListSchema } from "./faults";
import { advanceClockSchema, expireFilesSchema } from "./files";
import { readBody, sendApiError, sendJson } from "./http";
import { liveConfigSchema, type EmulatorState } from "./state";

/**
 * Test-only endpoints under /_emulator. They need no API key, are never logged as model
 * requests, and never consume faults.
 */

async function readJson<T>(request: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const raw = (await readBody(request)).toString("utf8");
  let json: unknown = {};
  if (raw.trim()) {
    try {
      json = JSON.parse(raw);
    } catch {
      throw invalidArgument("Control request body is not valid JSON.");
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw invalidArgument(parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; "));
  }
  return parsed.data;
}

export async function handleControl(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  state: EmulatorState,
): Promise<void> {
  const route = `${request.method ?? "GET"} ${path.replace(/\/+$/, "")}`;
  try {
    switch (route) {
      case "GET /_emulator/health":
        return sendJson(request, response, 200, { ok: true });
      case "GET /_emulator/requests":
        return sendJson(request, response, 200, state.requests.list());
      case "DELETE /_emulator/requests":
        state.requests.clear();
        return sendJson(request, response, 200, { ok: true });
      case "GET /_emulator/faults":
        return sendJson(request, response, 200, { faults: state.faults.list() });
      case "POST /_emulator/faults": {
        const body = await readJson(request, faultListSchema);
        const faults = "faults" in body ? body.faults : [body];
        state.faults.push(faults);
        return sendJson(request, response, 200, { queued: faults.length, faults: state.faults.list() });
      }
      case "DELETE /_emulator/faults":
        state.faults.clear();
        return sendJson(request, response, 200, { ok: true });
      case "DELETE /_emulator/interactions":
        // Every stored interaction is forgotten, as if it had expired at Google.
        return sendJson(request, response, 200, { forgotten: state.interactions.clear() });
      case "GET /_emulator/files":
        return sendJson(request, response, 200, { now: new Date(state.files.now()).toISOString(), files: state.files.summary() });
      case "POST /_emulator/files/expire": {
        // As if their 48 hours were over: every later use of them gets the real 403.
        const { names } = await readJson(request, expireFilesSchema);
        return sendJson(request, response, 200, { expired: state.files.expire(names) });
      }
      case "POST /_emulator/files/advance": {
        const { ms } = await readJson(request, advanceClockSchema);
        return sendJson(request, response, 200, { now: new Date(state.files.advance(ms)).toISOString() });
      }
      case "GET /_emulator/held":
        return sendJson(request, response, 200, { held: state.held.count });
      case "POST /_emulator/release":
        return sendJson(request, response, 200, { released: state.held.releaseAll() });
      case "GET /_emulator/in-flight":
        return sendJson(request, response, 200, { current: state.inFlight.current, peak: state.inFlight.peak });
      case "DELETE /_emulator/in-flight":
        state.inFlight.resetPeak();
        return sendJson(request, response, 200, { current: state.inFlight.current, peak: state.inFlight.peak });
      case "GET /_emulator/config":
        return sendJson(request, response, 200, state.config);
      case "POST /_emulator/config": {
        const changes = await readJson(request, liveConfigSchema);
        return sendJson(request, response, 200, state.updateConfig(changes));
      }
      case "GET /_emulator/batches":
        return sendJson(request, response, 200, { settings: state.batches.current, batches: state.batches.summary() });
      case "POST /_emulator/batches": {
        const changes = await readJson(request, batchSettingsSchema);
        return sendJson(request, response, 200, { settings: state.batches.configure(changes) });
      }
      case "POST /_emulator/batches/finish": {
        const { ending } = await readJson(request, finishBatchesSchema);
        return sendJson(request, response, 200, { finished: state.batches.finishAll(ending) });
      }
      case "POST /_emulator/reset":
        state.reset();
        return sendJson(request, response, 200, { ok: true });
      default:
        return sendJson(request, response, 404, {
          error: { code: 404, message: `No emulator control endpoint ${route}.`, status: "NOT_FOUND" },
        });
    }
  } catch (error) {
    if (error instanceof EmulatorApiError) return sendApiError(request, response, error);
    throw error;
  }
}
