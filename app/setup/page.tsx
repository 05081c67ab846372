import { redirect } from "next/navigation";
import { AuthCard } from "@/components/account/auth-card";
import { SetupForm } from "./setup-form";
import { countUsers } from "@/lib/server/auth/runtime";

export const dynamic = "force-dynamic";

/** First run: the studio has nobody yet, and the first account becomes its admin. */
export default async function SetupPage() {
  if ((await countUsers()) > 0) redirect("/sign-in");
  return (
    <AuthCard
      title="Set up the studio"
      intro={
        <p>
          Nobody has an account here yet. The account you create now becomes the <strong>admin</strong>: you can then invite your
          team and manage who may use the studio. Sessions made before accounts existed become yours.
        </p>
      }
    >
      <SetupForm />
    </AuthCard>
  );
}
