"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useEffect } from "react";
import { messageOf } from "~/trpc/errors";
import { useTRPC } from "~/trpc/react";
import { AuthCard } from "./auth-card";
import { FormError } from "./form-error";

export function LoginForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.auth.setupStatus.queryOptions());
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries();
        router.replace("/");
      },
    }),
  );
  const needsSetup = status.data?.needsSetup === true;

  useEffect(() => {
    if (needsSetup) router.replace("/setup");
  }, [needsSetup, router]);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    login.mutate({
      username: String(form.get("username") ?? "").trim(),
      password: String(form.get("password") ?? ""),
    });
  }

  return (
    <AuthCard title="Sign in">
      <form className="form" onSubmit={submit} onInvalid={() => login.reset()}>
        <label>
          Username
          <input name="username" autoComplete="username" required maxLength={64} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <FormError message={login.error ? messageOf(login.error) : null} />
        <button type="submit" className="button primary" disabled={login.isPending || login.isSuccess}>
          {login.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </AuthCard>
  );
}
