import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import Provider from "oidc-provider";

/**
 * A real OpenID Connect issuer for the SSO e2e test: the `oidc-provider` package (the certified
 * implementation behind many production IdPs), not a mock of the auth library. Its development
 * login form accepts any login; the login is taken as the email, so a test chooses the domain.
 */
export interface OidcIssuer {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

export async function startOidcIssuer({ redirectUri }: { redirectUri: string }): Promise<OidcIssuer> {
  const clientId = "nano-banana-studio";
  const clientSecret = "e2e-client-secret-0123456789";
  // Listen first on a free port, then build the provider for that address.
  const { createServer } = await import("node:http");
  const route: { handler?: (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void } = {};
  const server: Server = createServer((req, res) => route.handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: id, email_verified: true, name: id.split("@")[0] ?? id };
        },
      };
    },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ["e2e-oidc-cookie-key-0123456789"] },
  });
  route.handler = provider.callback();
  return {
    issuer,
    clientId,
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
