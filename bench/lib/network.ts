import type { BrowserContext, CDPSession, Page } from "@playwright/test";

export interface RecordedRequest {
  id: string;
  url: string;
  method: string;
  type: string;
  headers: Record<string, string>;
  status: number | null;
  /** Bytes on the wire (headers + body as transferred, i.e. compressed), from the DevTools protocol. */
  bytes: number;
  bodyBytes: number;
  done: boolean;
}

/**
 * Records every request of a page through the DevTools protocol, with the bytes that crossed the
 * network for each (encodedDataLength), including streams that never "finish" (EventSource).
 */
export async function recordNetwork(context: BrowserContext, page: Page) {
  const cdp: CDPSession = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  // The browser cache is part of what is measured: a second request for the same image is free.
  const requests = new Map<string, RecordedRequest>();
  let recording = false;
  cdp.on("Network.requestWillBeSent", (event) => {
    if (!recording) return;
    const existing = requests.get(event.requestId);
    if (existing) return;
    requests.set(event.requestId, {
      id: event.requestId,
      url: event.request.url,
      method: event.request.method,
      type: event.type ?? "Other",
      headers: Object.fromEntries(Object.entries(event.request.headers).map(([key, value]) => [key.toLowerCase(), String(value)])),
      status: null,
      bytes: 0,
      bodyBytes: 0,
      done: false,
    });
  });
  cdp.on("Network.responseReceived", (event) => {
    const request = requests.get(event.requestId);
    if (request) request.status = event.response.status;
  });
  cdp.on("Network.dataReceived", (event) => {
    const request = requests.get(event.requestId);
    if (!request) return;
    request.bytes += event.encodedDataLength;
    request.bodyBytes += event.dataLength;
  });
  cdp.on("Network.loadingFinished", (event) => {
    const request = requests.get(event.requestId);
    if (!request) return;
    // The final figure includes the headers; it replaces the running sum.
    request.bytes = Math.max(request.bytes, event.encodedDataLength);
    request.done = true;
  });
  cdp.on("Network.loadingFailed", (event) => {
    const request = requests.get(event.requestId);
    if (request) request.done = true;
  });
  return {
    start() {
      requests.clear();
      recording = true;
    },
    stop(): RecordedRequest[] {
      recording = false;
      return [...requests.values()];
    },
    inFlight(): number {
      return [...requests.values()].filter((request) => !request.done && request.type !== "EventSource").length;
    },
    /** Resolves once no request (streams aside) has been in flight for `quietMs`. */
    async idle(quietMs = 750, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let quietSince = Date.now();
      while (Date.now() < deadline) {
        if (this.inFlight() > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= quietMs) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    detach: () => cdp.detach(),
  };
}
