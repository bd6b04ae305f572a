"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDateTime, formatRelative } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { useCan } from "./session";
import { EmptyState, MutationStatus, StatusBadge } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";
import { RevokeButton } from "./ui/revoke-button";
import { Untrusted } from "./ui/text";

export function RegistrationTokens() {
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
