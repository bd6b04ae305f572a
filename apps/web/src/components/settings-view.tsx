"use client";

import { ApiTokensCard } from "./api-tokens-card";
import { DownloadProfilesCard } from "./download-profiles-card";
import { GeneralSettings } from "./general-settings";
import { MetricsTokenCard } from "./metrics-token-card";
import { useCan } from "./session";
import { SigningKeysCard } from "./signing-keys-card";
import { SnapshotSettingsCard } from "./snapshot-settings-card";
import { PageHeader } from "./ui/basics";
import { UsersCard } from "./users-card";

export function SettingsView() {
  const isAdmin = useCan("admin");
  return (
    <>
      <PageHeader
        title="Settings"
        description={
          isAdmin
            ? "Server-wide settings, API tokens and users."
            : "Server-wide settings (read only: changing them needs the admin role)."
        }
      />
      <GeneralSettings />
      {isAdmin ? <SigningKeysCard /> : null}
      {isAdmin ? <ApiTokensCard /> : null}
      {isAdmin ? <MetricsTokenCard /> : null}
      <DownloadProfilesCard />
      <SnapshotSettingsCard />
      {isAdmin ? <UsersCard /> : null}
    </>
  );
}
