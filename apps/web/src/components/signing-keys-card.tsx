"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { useTRPC } from "~/trpc/react";
import { CopyButton } from "./copy-button";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { QueryState } from "./ui/query-state";

type Step = "rotate" | "promote" | "retire";

/** What each rotation step does, in the words its confirmation uses. */
const steps: Record<Step, { label: string; title: string; body: ReactNode }> = {
  rotate: {
    label: "Start a key rotation",
    title: "Make a new signing key?",
    body: "A new key is made and announced to every agent at its next check-in, signed by the current key. Commands stay signed by the current key until you promote the new one.",
  },
  promote: {
    label: "Sign with the new key",
    title: "Sign commands with the new key?",
    body: "From now on commands and downloads are signed by the new key. Agents still accept the old key until you retire it; an agent that has not checked in since the rotation started learns the new key from the first command it receives.",
  },
  retire: {
    label: "Retire the old key",
    title: "Retire the old key?",
    body: "The old private key is deleted and agents are told to stop trusting it. An agent that has been offline through the whole rotation will refuse new commands and must be registered again with the new fingerprint.",
  },
};

/** The server's command signing key: its fingerprint, and the rotation steps (admin). */
export function SigningKeysCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.signingKeys.current.queryOptions());
  const [asking, setAsking] = useState<Step | null>(null);
  const options = {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.signingKeys.current.queryKey() }),
  };
  const mutations = {
    rotate: useMutation(trpc.signingKeys.rotate.mutationOptions(options)),
    promote: useMutation(trpc.signingKeys.promote.mutationOptions(options)),
    retire: useMutation(trpc.signingKeys.retire.mutationOptions(options)),
  };
  const pending = asking ? mutations[asking] : null;

  return (
    <section className="card" aria-labelledby="signing-keys-title">
      <h2 id="signing-keys-title">Command signing</h2>
      <p className="muted">
        Every command and the agent downloads are signed with this key; agents registered with its fingerprint
        refuse anything else.
      </p>
      <QueryState query={status} what="the signing key">
        {(data) => {
          const next = data.keys.find((key) => key.state === "next");
          const previous = data.keys.find((key) => key.state === "previous");
          const available: Step | null = data.fromEnvironment
            ? null
            : next
              ? "promote"
              : previous
                ? "retire"
                : "rotate";
          return (
            <>
              <div className="token-line">
                <span>Active key:</span>
                <code data-testid="signing-fingerprint">{data.activeFingerprint}</code>
                <CopyButton text={data.activeFingerprint} label="Copy" />
              </div>
              {next ? (
                <p role="status">
                  Rotation started: the new key <code>{next.fingerprint}</code> is being announced to agents.
                </p>
              ) : null}
              {previous ? (
                <p role="status">
                  Overlap: agents still accept the old key <code>{previous.fingerprint}</code> until it is
                  retired.
                </p>
              ) : null}
              {data.fromEnvironment ? (
                <p className="muted">Set by REDFLAG_SIGNING_KEY: rotate it there.</p>
              ) : null}
              {available ? (
                <button type="button" className="button" onClick={() => setAsking(available)}>
                  {steps[available].label}
                </button>
              ) : null}
            </>
          );
        }}
      </QueryState>
      {asking && pending ? (
        <ConfirmDialog
          title={steps[asking].title}
          confirmLabel={steps[asking].label}
          tone={asking === "retire" ? "danger" : "primary"}
          pending={pending.isPending}
          error={pending.error}
          done={pending.isSuccess ? <p>Done.</p> : undefined}
          onConfirm={() => pending.mutate()}
          onCancel={() => {
            pending.reset();
            setAsking(null);
          }}
        >
          <p>{steps[asking].body}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
