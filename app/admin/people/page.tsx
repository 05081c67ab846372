import { listPeople } from "@/lib/server/auth/accounts";
import { listPendingInvitations } from "@/lib/server/auth/invitations";
import { getAuthRuntime } from "@/lib/server/auth/runtime";
import { requireViewer } from "@/lib/server/auth/viewer";
import { InviteCreator, PersonActions, WithdrawInvitation } from "./people-controls";

export const dynamic = "force-dynamic";

export default async function PeoplePage() {
  const viewer = await requireViewer();
  const [people, invitations] = await Promise.all([listPeople(), getAuthRuntime().then((runtime) => listPendingInvitations(runtime.database.kysely))]);
  return (
    <>
      <section className="space-y-4">
        <h1 className="text-xl font-semibold">People</h1>
        <div className="overflow-x-auto rounded-md border border-zinc-200 dark:border-zinc-800">
          <table className="w-full text-left text-sm" data-testid="people-table">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500 dark:text-zinc-400 dark:bg-zinc-900">
              <tr>
                <th className="px-3 py-2">Name</th>
                <th className="px-3 py-2">Email</th>
                <th className="px-3 py-2">Role</th>
                <th className="px-3 py-2">Status</th>
                <th className="px-3 py-2" />
              </tr>
            </thead>
            <tbody>
              {people.map((person) => (
                <tr key={person.id} className="border-t border-zinc-200 dark:border-zinc-800" data-testid="person-row" data-email={person.email}>
                  <td className="px-3 py-2">{person.name}</td>
                  <td className="px-3 py-2">{person.email}</td>
                  <td className="px-3 py-2">{person.role}</td>
                  <td className="px-3 py-2">{person.disabled ? "Disabled" : "Active"}</td>
                  <td className="px-3 py-2">{person.id !== viewer.userId && <PersonActions person={person} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className="space-y-4">
        <h2 className="text-lg font-semibold">Invite someone</h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          An invitation is a link that works once, for 7 days. Send it to the person yourself.
        </p>
        <InviteCreator />
        {invitations.length > 0 && (
          <ul className="space-y-1 text-sm" data-testid="pending-invitations">
            {invitations.map((invitation) => (
              <li key={invitation.id} className="flex items-center gap-3">
                <span>
                  {invitation.email ?? "Anyone with the link"} · {invitation.role} · expires {invitation.expiresAt.slice(0, 10)}
                </span>
                <WithdrawInvitation invitationId={invitation.id} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
