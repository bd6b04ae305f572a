"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { isUnauthorized, messageOf } from "~/trpc/errors";
import { useTRPC } from "~/trpc/react";
import { HealthPanel } from "./health-panel";
import { LogoutButton } from "./logout-button";

export function HomeView() {
  const trpc = useTRPC();
  const router = useRouter();
  const me = useQuery(trpc.auth.me.queryOptions());
  const signedOut = isUnauthorized(me.error);

  useEffect(() => {
    if (signedOut) router.replace("/login");
  }, [signedOut, router]);

  if (me.isPending || signedOut) {
    return (
      <main className="page">
        <p className="muted">Loading…</p>
      </main>
    );
  }
  if (me.isError) {
    return (
      <main className="page">
        <p className="form-error" role="alert">
          {messageOf(me.error)}
        </p>
      </main>
    );
  }

  return (
    <>
      <header className="topbar">
        <p className="brand">
          <span className="brand-mark" aria-hidden="true" />
          RedFlag
        </p>
        <div className="topbar-user">
          <span>
            Signed in as <strong>{me.data.username}</strong> <span className="badge">{me.data.role}</span>
          </span>
          <LogoutButton />
        </div>
      </header>
      <main className="page">
        <h1>Overview</h1>
        <HealthPanel />
      </main>
    </>
  );
}
