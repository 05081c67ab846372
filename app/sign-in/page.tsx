import { redirect } from "next/navigation";
import { headers } from "next/headers";
import { AuthCard } from "@/components/account/auth-card";
import { SignInForm } from "@/components/account/sign-in-form";
import { getEnv } from "@/lib/env";
import { offlineAutoSignInAllowed } from "@/lib/server/auth/offline";
import { safeReturnTo, withReturnTo } from "@/lib/server/auth/return-to";
import { countUsers } from "@/lib/server/auth/runtime";
import { getViewer } from "@/lib/server/auth/viewer";

export const dynamic = "force-dynamic";

const SSO_ERRORS: Record<string, string> = {
  domain_not_allowed: "Your email domain may not join this studio. Ask an admin for an invitation.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ error?: string | string[]; next?: string | string[] }> }) {
  const { error, next } = await searchParams;
  const returnTo = safeReturnTo(typeof next === "string" ? next : null);
  // An unusable data directory or database: say so instead of a bare error page.
  const viewer = await getViewer().catch(() => redirect("/unavailable"));
  if (viewer) redirect(returnTo);
  if (offlineAutoSignInAllowed((await headers()).get("host"))) redirect(withReturnTo("/sign-in/local", returnTo));
  if ((await countUsers()) === 0) redirect("/setup");
  const code = typeof error === "string" ? error : null;
  const message = code ? (SSO_ERRORS[code] ?? "Single sign-on did not complete. Try again, or use your password.") : null;
  return (
    <AuthCard title="Sign in" intro={<p>New here? Ask an admin of the studio for an invitation link.</p>}>
      <SignInForm sso={getEnv().auth.oidc !== undefined} initialError={message} returnTo={returnTo} />
    </AuthCard>
  );
}
