"use client";

import type { createdRegistrationTokenSchema } from "@redflag/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import type { z } from "zod";
import { useTRPC } from "~/trpc/react";
import { MutationStatus } from "./ui/basics";

export type CreatedToken = z.infer<typeof createdRegistrationTokenSchema>;

const expiryChoices = [
  { hours: 1, label: "1 hour" },
  { hours: 24, label: "1 day" },
  { hours: 24 * 7, label: "7 days" },
  { hours: 24 * 30, label: "30 days" },
];

export function CreateTokenForm({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
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
