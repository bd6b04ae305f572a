"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime, formatRelative } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { CopyButton } from "./copy-button";
import { MutationStatus } from "./ui/basics";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { QueryState } from "./ui/query-state";

type Asking = "regenerate" | "revoke";

/** The bearer token Prometheus sends to /metrics (admin): made, regenerated or revoked here. */
export function MetricsTokenCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.metricsToken.get.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.metricsToken.get.queryKey() });
  const create = useMutation(trpc.metricsToken.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.metricsToken.revoke.mutationOptions({ onSuccess: refresh }));
  const [asking, setAsking] = useState<Asking | null>(null);
  const ask = (what: Asking) => {
    create.reset();
    revoke.reset();
    setAsking(what);
  };
  const pending = asking === "revoke" ? revoke : create;
  const shown = create.data && !revoke.isSuccess ? create.data.token : null;

  return (
    <section className="card" aria-labelledby="metrics-token-title">
      <h2 id="metrics-token-title">Prometheus metrics</h2>
      <p className="muted">
        Prometheus scrapes <code>/metrics</code> with this token as “Authorization: Bearer rf_met_…”; without
        it the endpoint answers 401. One token for every server instance on this database.
      </p>
      <QueryState query={current} what="the metrics token">
        {(token) =>
          token ? (
            <>
              <p data-testid="metrics-token-state">
                Token <code>{token.displayPrefix}</code> made{" "}
                <span title={formatDateTime(token.createdAt)}>{formatRelative(token.createdAt)}</span>.
              </p>
              <div className="form-row">
                <button type="button" className="button" onClick={() => ask("regenerate")}>
                  Regenerate token
                </button>
                <button type="button" className="button danger" onClick={() => ask("revoke")}>
                  Revoke token
                </button>
              </div>
            </>
          ) : (
            <>
              <p data-testid="metrics-token-state">No metrics token: /metrics refuses every scrape.</p>
              <button
                type="button"
                className="button primary"
                disabled={create.isPending}
                onClick={() => {
                  revoke.reset();
                  create.mutate();
                }}
              >
                Create token
              </button>
            </>
          )
        }
      </QueryState>
      {shown ? (
        <div className="token-line highlight" role="status">
          <span>Shown once:</span>
          <code data-testid="metrics-token">{shown}</code>
          <CopyButton text={shown} label="Copy" />
        </div>
      ) : null}
      {asking ? null : <MutationStatus error={create.error ?? revoke.error} success={false} />}
      {asking ? (
        <ConfirmDialog
          title={asking === "revoke" ? "Revoke the metrics token?" : "Regenerate the metrics token?"}
          confirmLabel={asking === "revoke" ? "Revoke token" : "Regenerate token"}
          tone={asking === "revoke" ? "danger" : "primary"}
          pending={pending.isPending}
          error={pending.error}
          done={pending.isSuccess ? <p>Done.</p> : undefined}
          onConfirm={() => {
            if (asking === "revoke") revoke.mutate();
            else create.mutate();
          }}
          onCancel={() => setAsking(null)}
        >
          <p>
            {asking === "revoke"
              ? "The token stops working at once: Prometheus gets 401 until you make a new one."
              : "A new token is made and the current one stops working at once: put the new one in Prometheus's scrape configuration."}
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
