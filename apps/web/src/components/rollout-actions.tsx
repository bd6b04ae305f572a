"use client";

import type { listRolloutsOutput } from "@redflag/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { z } from "zod";
import { useTRPC } from "~/trpc/react";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { Untrusted } from "./ui/text";

type Rollout = z.infer<typeof listRolloutsOutput>[number];

/** Resume a stopped rollout (it approves on hosts again) or cancel one: both ask first. */
export function RolloutActions({ rollout }: { rollout: Rollout }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState<"resume" | "cancel" | null>(null);
  const refresh = {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.policies.rollouts.queryKey() }),
  };
  const resume = useMutation(trpc.policies.resumeRollout.mutationOptions(refresh));
  const cancel = useMutation(trpc.policies.cancelRollout.mutationOptions(refresh));
  const pending = asking === "resume" ? resume : cancel;
  if (rollout.status !== "running" && rollout.status !== "stopped") return null;
  return (
    <div className="action-row">
      {rollout.status === "stopped" ? (
        <button type="button" className="button small" onClick={() => setAsking("resume")}>
          Resume
        </button>
      ) : null}
      <button type="button" className="button small" onClick={() => setAsking("cancel")}>
        Cancel rollout
      </button>
      {asking ? (
        <ConfirmDialog
          title={asking === "resume" ? "Resume this rollout?" : "Cancel this rollout?"}
          confirmLabel={asking === "resume" ? "Resume rollout" : "Cancel rollout"}
          tone={asking === "resume" ? "primary" : "danger"}
          pending={pending.isPending}
          error={pending.error}
          done={pending.isSuccess ? <p>Done.</p> : undefined}
          onConfirm={() => pending.mutate({ rolloutId: rollout.id })}
          onCancel={() => {
            pending.reset();
            setAsking(null);
          }}
        >
          <p>
            <Untrusted className="strong" text={rollout.packageName} /> {rollout.availableVersion}, stage{" "}
            {rollout.stage + 1} of {rollout.stageCount}.
          </p>
          <p>
            {asking === "resume"
              ? "The failures so far are accepted: the policy approves this version on the stage's hosts again (installed in their maintenance windows), and moves on once the stage is done and soaked. A new failure stops it again."
              : "The policy approves nothing more of this version. Updates it already approved stay approved."}
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
