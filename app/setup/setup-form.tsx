"use client";

import { AccountForm } from "@/components/account/account-form";
import { createFirstAdminAction } from "@/app/auth-actions";

export function SetupForm() {
  return <AccountForm submitLabel="Create the admin account" submit={createFirstAdminAction} />;
}
