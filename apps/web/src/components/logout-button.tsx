"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { messageOf } from "~/trpc/errors";
import { useTRPC } from "~/trpc/react";

export function LogoutButton() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSuccess: () => {
        // Nothing fetched for this user may outlive the session.
        queryClient.clear();
        router.replace("/login");
      },
    }),
  );
  return (
    <button
      type="button"
      className="button"
      onClick={() => logout.mutate()}
      disabled={logout.isPending || logout.isSuccess}
      title={logout.error ? messageOf(logout.error) : undefined}
    >
      {logout.isPending ? "Signing out…" : logout.error ? "Sign out failed — retry" : "Sign out"}
    </button>
  );
}
