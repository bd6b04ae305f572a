"use client";

import type { Role } from "@redflag/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import type { FormEvent } from "react";
import { formatDateTime, formatRelative } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { CopyButton } from "./copy-button";
import { EmptyState, MutationStatus } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";
import { RevokeButton } from "./ui/revoke-button";
import { RoleSelect } from "./ui/role-select";
import { Untrusted } from "./ui/text";

export function ApiTokensCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.apiTokens.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiTokens.list.queryKey() });
  const create = useMutation(trpc.apiTokens.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.apiTokens.revoke.mutationOptions({ onSuccess: refresh }));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const days = String(form.get("days") ?? "90");
    create.mutate({
      name: String(form.get("name") ?? "").trim(),
      role: form.get("role") as Role,
      expiresInDays: days === "never" ? null : Number(days),
    });
    event.currentTarget.reset();
  }

  return (
    <section className="card" aria-labelledby="api-tokens-title">
      <h2 id="api-tokens-title">API tokens</h2>
      <p className="muted">
        For scripts: send as “Authorization: Bearer rf_pat_…”. A token never outranks its owner.
      </p>
      <p className="muted">
        REST routes under /api/v1: see the <Link href="/api-reference">API reference</Link>.
      </p>
      <form className="form-row" onSubmit={submit} onInvalid={() => create.reset()}>
        <label className="field">
          <span>Name</span>
          <input name="name" required maxLength={100} placeholder="e.g. nightly report" />
        </label>
        <RoleSelect label="Role" name="role" defaultValue="viewer" />
        <label className="field">
          <span>Expires</span>
          <select name="days" defaultValue="90">
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="365">in a year</option>
            <option value="never">never</option>
          </select>
        </label>
        <button type="submit" className="button primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {create.data ? (
        <div className="token-line highlight" role="status">
          <span>Shown once:</span>
          <code data-testid="api-token">{create.data.token}</code>
          <CopyButton text={create.data.token} label="Copy" />
        </div>
      ) : null}
      <MutationStatus error={create.error ?? revoke.error} success={false} />
      <QueryState query={tokens} what="API tokens">
        {(data) =>
          data.length === 0 ? (
            <EmptyState title="No API tokens" />
          ) : (
            <DataTable
              rows={data}
              rowKey={(token) => token.id}
              columns={[
                { key: "name", header: "Name", cell: (token) => <Untrusted text={token.name} /> },
                { key: "token", header: "Token", className: "mono", cell: (token) => token.displayPrefix },
                { key: "role", header: "Role", cell: (token) => token.role },
                { key: "owner", header: "Owner", cell: (token) => <Untrusted text={token.owner} /> },
                { key: "used", header: "Last used", cell: (token) => formatRelative(token.lastUsedAt) },
                {
                  key: "expires",
                  header: "Expires",
                  className: "nowrap",
                  cell: (token) => (
                    <span title={formatDateTime(token.expiresAt)}>
                      {token.expiresAt ? formatRelative(token.expiresAt) : "never"}
                    </span>
                  ),
                },
                {
                  key: "actions",
                  header: <span className="visually-hidden">Actions</span>,
                  cell: (token) => (
                    <RevokeButton
                      revokedAt={token.revokedAt}
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
    </section>
  );
}
