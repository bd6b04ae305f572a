"use client";

import type { NotificationTarget } from "@redflag/contracts";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { NotificationDeliveries } from "./notification-deliveries";
import { NotificationDigest } from "./notification-digest";
import { NotificationForm } from "./notification-form";
import { NotificationTargets } from "./notification-targets";
import { useCan } from "./session";
import { PageHeader } from "./ui/basics";
import { QueryState } from "./ui/query-state";

/** The notifications page: targets (with their form), the daily digest's time, the delivery log. */
export function NotificationView() {
  const trpc = useTRPC();
  const canChange = useCan("admin");
  const targets = useQuery({ ...trpc.notifications.targets.queryOptions(), refetchInterval: 30_000 });
  const [editing, setEditing] = useState<NotificationTarget | "new" | null>(null);
  return (
    <>
      <PageHeader
        title="Notifications"
        description="Where RedFlag tells what happened: failed installs, new security updates, hosts going offline, a daily digest."
        actions={
          canChange && editing === null ? (
            <button type="button" className="button primary" onClick={() => setEditing("new")}>
              Add target
            </button>
          ) : null
        }
      />
      {editing !== null ? (
        <NotificationForm
          key={editing === "new" ? "new" : editing.id}
          target={editing === "new" ? undefined : editing}
          onDone={() => setEditing(null)}
        />
      ) : null}
      <section className="card" aria-labelledby="targets-title">
        <h2 id="targets-title">Targets</h2>
        <QueryState query={targets} what="notification targets">
          {(rows) => <NotificationTargets targets={rows} onEdit={(target) => setEditing(target)} />}
        </QueryState>
      </section>
      <NotificationDigest />
      <NotificationDeliveries />
    </>
  );
}
