"use client";

import type { PolicyDraft } from "@redflag/contracts";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { plural } from "~/lib/format";
import { useSettled } from "~/lib/use-settled";
import { useTRPC } from "~/trpc/react";
import { draftOf, type PolicyFormState } from "./policy-draft";
import { QueryError, StatusBadge } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { Untrusted } from "./ui/text";

/** What the policy being written would do now: the server's answer from the policy run's own query. */
export function PolicyPreview({ form }: { form: PolicyFormState }) {
  const trpc = useTRPC();
  // Compared as text: a new draft object on every keystroke is the same question when nothing changed.
  const settled = useSettled(
    JSON.stringify(draftOf({ ...form, name: form.name.trim() || "Unsaved policy" })),
    300,
  );
  const draft = useMemo(() => JSON.parse(settled) as PolicyDraft, [settled]);
  const preview = useQuery({
    ...trpc.policies.preview.queryOptions({ policy: draft }),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const verb = draft.action === "approve" ? "approve" : "hold";
  return (
    <section aria-labelledby="policy-preview-title" aria-busy={preview.isFetching} style={{ minWidth: 0 }}>
      <h3 id="policy-preview-title">Preview</h3>
      {preview.isError ? <QueryError error={preview.error} /> : null}
      {preview.data ? (
        <>
          <p role="status" data-testid="policy-preview-count">
            Would {verb} {plural(preview.data.total, "update")} on {plural(preview.data.hosts, "host")} now
            {preview.data.firstStage !== null
              ? `, ${preview.data.firstStage} of them in the first stage`
              : ""}
            .
          </p>
          {preview.data.rows.length > 0 ? (
            <DataTable
              rows={preview.data.rows}
              rowKey={(row) => row.updateId}
              caption="Updates the policy would act on"
              columns={[
                { key: "host", header: "Host", cell: (row) => <Untrusted text={row.hostname} /> },
                {
                  key: "package",
                  header: "Package",
                  className: "wrap",
                  cell: (row) => <Untrusted text={row.packageName} />,
                },
                {
                  key: "versions",
                  header: "Versions",
                  className: "mono wrap",
                  cell: (row) => `${row.currentVersion ?? "—"} → ${row.availableVersion}`,
                },
                { key: "severity", header: "Severity", cell: (row) => <StatusBadge value={row.severity} /> },
              ]}
            />
          ) : null}
          {preview.data.total > preview.data.rows.length ? (
            <p className="muted small-text">The first {preview.data.rows.length} are shown.</p>
          ) : null}
        </>
      ) : preview.isPending ? (
        <p className="muted">Asking the server…</p>
      ) : null}
    </section>
  );
}
