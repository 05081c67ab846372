import { describe, expect, it } from "vitest";
import { NON_PAGE_CONTENT_SECURITY_POLICY, createNonce, pageContentSecurityPolicy } from "./csp";

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((directive) => {
      const [name = "", ...sources] = directive.trim().split(/\s+/);
      return [name, sources] as [string, string[]];
    }),
  );
}

describe("pageContentSecurityPolicy", () => {
  it("allows scripts only by nonce (and what they load), never inline or eval in production", () => {
    const policy = directives(pageContentSecurityPolicy({ nonce: "abc123==" }));
    expect(policy.get("script-src")).toEqual(["'self'", "'nonce-abc123=='", "'strict-dynamic'"]);
    expect(policy.get("object-src")).toEqual(["'none'"]);
    expect(policy.get("base-uri")).toEqual(["'none'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(policy.get("form-action")).toEqual(["'self'"]);
  });

  it("lets the sandboxed search widget's inline <style> and grounding thumbnails in", () => {
    const policy = directives(pageContentSecurityPolicy({ nonce: "n" }));
    // A nonce in style-src would make browsers ignore 'unsafe-inline', and the widget's <style> has none.
    expect(policy.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
    expect(policy.get("img-src")).toEqual(["'self'", "https:", "data:", "blob:"]);
  });

  it("adds eval and HMR sockets in development only", () => {
    const dev = directives(pageContentSecurityPolicy({ nonce: "n", dev: true }));
    expect(dev.get("script-src")).toContain("'unsafe-eval'");
    expect(dev.get("connect-src")).toEqual(["'self'", "ws:", "wss:"]);
    expect(directives(pageContentSecurityPolicy({ nonce: "n" })).get("connect-src")).toEqual(["'self'"]);
  });

  it("never upgrades requests: self-hosted studios often run on plain HTTP", () => {
    expect(pageContentSecurityPolicy({ nonce: "n" })).not.toContain("upgrade-insecure-requests");
  });
});

describe("NON_PAGE_CONTENT_SECURITY_POLICY", () => {
  it("lets nothing run and sandboxes whatever is opened directly", () => {
    const policy = directives(NON_PAGE_CONTENT_SECURITY_POLICY);
    expect(policy.get("default-src")).toEqual(["'none'"]);
    expect(policy.has("sandbox")).toBe(true);
    expect(policy.has("script-src")).toBe(false);
  });
});

describe("createNonce", () => {
  it("is 128 random bits in base64, new every time", () => {
    const nonces = new Set(Array.from({ length: 100 }, createNonce));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });
});
