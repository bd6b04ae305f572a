"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { useCan } from "./session";
import { PageHeader } from "./ui/basics";
import { QueryState } from "./ui/query-state";
import { formOf, type WindowSummary } from "./window-draft";
import { WindowFleetLimit } from "./window-fleet-limit";
import { WindowForm } from "./window-form";
import { WindowOccurrences } from "./window-occurrences";
import { WindowTable } from "./window-table";

/** The maintenance windows page: the list, the form with the next openings, recent runs, the fleet limit. */
export function WindowView() {
  const trpc = useTRPC();
  const canChange = useCan("admin");
  const windows = useQuery({ ...trpc.maintenanceWindows.list.queryOptions(), refetchInterval: 15_000 });
  const [editing, setEditing] = useState<WindowSummary | "new" | null>(null);
  return (
    <>
      <PageHeader
        title="Maintenance windows"
        description="When the approved updates of which hosts are installed, with scans and reboots. Approved updates install only inside their hosts' windows: nothing else installs them on its own."
        actions={
          canChange && editing === null ? (
            <button type="button" className="button primary" onClick={() => setEditing("new")}>
              New window
            </button>
          ) : null
        }
      />
      {editing !== null ? (
        <WindowForm
          key={editing === "new" ? "new" : editing.id}
          windowId={editing === "new" ? undefined : editing.id}
          enabled={editing === "new" ? false : editing.enabled}
          initial={editing === "new" ? undefined : formOf(editing)}
          onDone={() => setEditing(null)}
        />
      ) : null}
      <section className="card" aria-labelledby="windows-title">
        <h2 id="windows-title">Windows</h2>
        <QueryState query={windows} what="maintenance windows">
          {({ items }) => <WindowTable windows={items} onEdit={(window) => setEditing(window)} />}
        </QueryState>
      </section>
      <WindowOccurrences />
      <WindowFleetLimit />
    </>
  );
}
