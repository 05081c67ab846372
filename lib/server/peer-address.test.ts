import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { installPeerAddressHeader, peerAddressHeader } from "./peer-address";

describe("installPeerAddressHeader", () => {
  it("stamps every request with the socket's address under a name no client can know, overwriting any copy", async () => {
    const name = installPeerAddressHeader();
    expect(name).toMatch(/^x-studio-peer-[a-f0-9]{24}$/);
    expect(installPeerAddressHeader()).toBe(name);
    expect(peerAddressHeader()).toBe(name);
    const seen: Array<string | string[] | undefined> = [];
    const server = http.createServer((request, response) => {
      seen.push(request.headers[name]);
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await fetch(`http://127.0.0.1:${port}/`, { headers: { [name]: "203.0.113.66", "x-forwarded-for": "203.0.113.66" } });
      expect(seen).toEqual(["127.0.0.1"]);
    } finally {
      server.close();
    }
  });
});
