"use client";

import type { createdRegistrationTokenSchema } from "@redflag/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import type { z } from "zod";
import { formatDateTime, formatRelative } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { CopyButton } from "./copy-button";
import { useCan } from "./session";
import { EmptyState, MutationStatus, PageHeader, StatusBadge } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";
import { RevokeButton } from "./ui/revoke-button";
import { Untrusted } from "./ui/text";

type CreatedToken = z.infer<typeof createdRegistrationTokenSchema>;

export const agentDownloads = [
  { file: "redflag-agent-linux-x64", label: "Linux x64" },
  { file: "redflag-agent-linux-arm64", label: "Linux arm64" },
  { file: "redflag-agent-windows-x64.exe", label: "Windows x64" },
] as const;

const expiryChoices = [
  { hours: 1, label: "1 hour" },
  { hours: 24, label: "1 day" },
  { hours: 24 * 7, label: "7 days" },
  { hours: 24 * 30, label: "30 days" },
];

export function linuxInstallCommand(server: string, token: string): string {
  return [
    `arch=$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')`,
    `curl -fsSL -o redflag-agent "${server}/downloads/redflag-agent-linux-$arch"`,
    "sudo install -m 0755 redflag-agent /usr/local/bin/redflag-agent",
    `sudo redflag-agent --register --server "${server}" --token "${token}"`,
  ].join("\n");
}

export function windowsInstallCommand(server: string, token: string): string {
  return [
    `New-Item -ItemType Directory -Force "$env:ProgramFiles\\RedFlag" | Out-Null`,
    `Invoke-WebRequest -UseBasicParsing -Uri "${server}/downloads/redflag-agent-windows-x64.exe" -OutFile "$env:ProgramFiles\\RedFlag\\redflag-agent.exe"`,
    `& "$env:ProgramFiles\\RedFlag\\redflag-agent.exe" --register --server "${server}" --token "${token}"`,
  ].join("\n");
}

export function AddAgentView() {
  const canCreate = useCan("operator");
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [server, setServer] = useState("");
  useEffect(() => setServer(window.location.origin), []);

  return (
    <>
      <PageHeader
        title="Add agent"
        description="Create a registration token, then run the install command on the machine. The agent only ever connects out to this server."
      />
      {canCreate ? (
        <CreateTokenForm onCreated={setCreated} />
      ) : (
        <p className="muted">Creating registration tokens needs the operator role.</p>
      )}
      {created ? <InstallCommands token={created} server={server} /> : null}
      <section className="card" aria-labelledby="downloads-title">
        <h2 id="downloads-title">Agent downloads</h2>
        <p className="muted">
          Single-file binaries served by this server; nothing is fetched from elsewhere.
        </p>
        <ul className="downloads">
          {agentDownloads.map((download) => (
            <li key={download.file}>
              <a href={`/downloads/${download.file}`} download>
                {download.label}
              </a>{" "}
              <span className="mono muted">
                {server}/downloads/{download.file}
              </span>
            </li>
          ))}
        </ul>
      </section>
      <RegistrationTokens />
    </>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.registrationTokens.create.mutationOptions({
      onSuccess: async (token) => {
        onCreated(token);
        await queryClient.invalidateQueries({ queryKey: trpc.registrationTokens.list.queryKey() });
      },
    }),
  );
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    create.mutate({
      label: String(form.get("label") ?? "").trim(),
      seats: Number(form.get("seats") ?? 1),
      expiresInHours: Number(form.get("expiry") ?? 24),
    });
  }
  return (
    <section className="card" aria-labelledby="token-title">
      <h2 id="token-title">New registration token</h2>
      <form className="form-row" onSubmit={submit} onInvalid={() => create.reset()}>
        <label className="field">
          <span>Label</span>
          <input name="label" required maxLength={100} placeholder="e.g. web servers" />
        </label>
        <label className="field">
          <span>Expires in</span>
          <select name="expiry" defaultValue="24">
            {expiryChoices.map((choice) => (
              <option key={choice.hours} value={choice.hours}>
                {choice.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Seats (machines)</span>
          <input name="seats" type="number" min={1} max={10_000} defaultValue={1} required />
        </label>
        <button type="submit" className="button primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create token"}
        </button>
      </form>
      <MutationStatus error={create.error} success={false} />
    </section>
  );
}

function InstallCommands({ token, server }: { token: CreatedToken; server: string }) {
  const linux = linuxInstallCommand(server, token.token);
  const windows = windowsInstallCommand(server, token.token);
  return (
    <section className="card highlight" aria-labelledby="install-title">
      <h2 id="install-title">Install commands for “{token.label}”</h2>
      <p>
        This token is shown once. It registers up to {token.seats} machine{token.seats === 1 ? "" : "s"} until{" "}
        {formatDateTime(token.expiresAt)} ({formatRelative(token.expiresAt)}).
      </p>
      <div className="token-line">
        <span>Token</span>
        <code data-testid="registration-token">{token.token}</code>
        <CopyButton text={token.token} label="Copy token" />
      </div>
      <h3>Linux (x64 or arm64), as root</h3>
      <div className="code-block">
        <pre data-testid="linux-install">{linux}</pre>
        <CopyButton text={linux} label="Copy Linux command" />
      </div>
      <h3>Windows (PowerShell as Administrator)</h3>
      <div className="code-block">
        <pre data-testid="windows-install">{windows}</pre>
        <CopyButton text={windows} label="Copy Windows command" />
      </div>
    </section>
  );
}

function RegistrationTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canRevoke = useCan("operator");
  const tokens = useQuery({ ...trpc.registrationTokens.list.queryOptions(), refetchInterval: 15_000 });
  const revoke = useMutation(
    trpc.registrationTokens.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.registrationTokens.list.queryKey() }),
    }),
  );
  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Registration tokens</h2>
      <QueryState query={tokens} what="tokens">
        {(data) =>
          data.length === 0 ? (
            <EmptyState title="No registration tokens yet" />
          ) : (
            <DataTable
              rows={data}
              rowKey={(token) => token.id}
              columns={[
                { key: "label", header: "Label", cell: (token) => <Untrusted text={token.label} /> },
                { key: "token", header: "Token", className: "mono", cell: (token) => token.displayPrefix },
                {
                  key: "seats",
                  header: "Seats used",
                  cell: (token) => `${token.seatsUsed} / ${token.seats}`,
                },
                {
                  key: "expires",
                  header: "Expires",
                  className: "nowrap",
                  cell: (token) => (
                    <span title={formatDateTime(token.expiresAt)}>{formatRelative(token.expiresAt)}</span>
                  ),
                },
                { key: "state", header: "State", cell: TokenState },
                canRevoke && {
                  key: "actions",
                  header: <span className="visually-hidden">Actions</span>,
                  cell: (token) =>
                    token.revokedAt ? null : (
                      <RevokeButton
                        revokedAt={null}
                        pending={revoke.isPending}
                        onRevoke={() => revoke.mutate({ tokenId: token.id })}
                      />
                    ),
                },
              ]}
            />
          )
        }
      </QueryState>
      <MutationStatus error={revoke.error} success={false} />
    </section>
  );
}

function TokenState(token: { revokedAt: Date | null; usable: boolean }) {
  if (token.revokedAt) return <StatusBadge value="cancelled" label="Revoked" />;
  return token.usable ? (
    <StatusBadge value="succeeded" label="Usable" />
  ) : (
    <StatusBadge value="rejected" label="Used up or expired" />
  );
}
