import { AuthCard } from "@/components/account/auth-card";
import { findUsableInvitation } from "@/lib/server/auth/invitations";
import { getAuthRuntime } from "@/lib/server/auth/runtime";
import { InviteForm } from "./invite-form";

export const dynamic = "force-dynamic";

/** An invitation link: create an account with the role the admin chose. */
export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invitation = await findUsableInvitation((await getAuthRuntime()).database.kysely, token);
  if (!invitation) {
    return (
      <AuthCard title="Invitation not valid">
        <p data-testid="invitation-invalid" className="text-sm">
          This invitation has expired or was already used. Ask an admin of the studio for a new link.
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard
      title="Join the studio"
      intro={<p>You are invited as {invitation.role === "admin" ? "an admin" : "a member"}. Choose your name and password.</p>}
    >
      <InviteForm token={token} email={invitation.email} />
    </AuthCard>
  );
}
