"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useState } from "react";
import { messageOf } from "~/trpc/errors";
import { useTRPC } from "~/trpc/react";
import { AuthCard } from "./auth-card";
import { FormError } from "./form-error";

export function SetupForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.auth.setupStatus.queryOptions());
  const setup = useMutation(
    trpc.auth.setup.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries();
        router.replace("/");
      },
    }),
  );
  const [mismatch, setMismatch] = useState(false);
  const setupDone = status.data?.needsSetup === false;
  const me = useQuery({ ...trpc.auth.me.queryOptions(), enabled: setupDone, retry: false });

  useEffect(() => {
    // Setup happens once; afterwards this page points a signed-in admin home, anyone else to the login.
    if (!setupDone || setup.isSuccess || me.isPending) return;
    router.replace(me.data ? "/" : "/login");
  }, [setupDone, setup.isSuccess, me.isPending, me.data, router]);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get("password") ?? "");
    const matches = password === String(form.get("confirm") ?? "");
    setMismatch(!matches);
    if (matches) setup.mutate({ username: String(form.get("username") ?? "").trim(), password });
  }

  if (status.isPending || setupDone) {
    return (
      <AuthCard title="Welcome">
        <p className="muted">Loading…</p>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title="Create the first admin"
      intro="This account manages RedFlag. You can add more users later."
    >
      <FormError message={status.error ? messageOf(status.error) : null} />
      <form className="form" onSubmit={submit} onInvalid={() => setup.reset()}>
        <label>
          Username
          <input name="username" autoComplete="username" required minLength={3} maxLength={64} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="new-password" required minLength={10} />
          <span className="hint">At least 10 characters.</span>
        </label>
        <label>
          Confirm password
          <input name="confirm" type="password" autoComplete="new-password" required minLength={10} />
        </label>
        <FormError
          message={mismatch ? "The two passwords differ." : setup.error ? messageOf(setup.error) : null}
        />
        <button type="submit" className="button primary" disabled={setup.isPending || setup.isSuccess}>
          {setup.isPending ? "Creating…" : "Create admin and sign in"}
        </button>
      </form>
    </AuthCard>
  );
}
