"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useSettled } from "~/lib/use-settled";
import { useTRPC } from "~/trpc/react";
import { QueryError } from "./ui/basics";
import type { WindowFormState } from "./window-draft";

/** "2026-12-06 02:00" — the instant in UTC, beside the window's own zone. */
function utcTime(at: Date): string {
  return at.toISOString().slice(0, 16).replace("T", " ");
}

/** The next three openings of the schedule being typed, as the server's window job will read it. */
export function WindowSchedulePreview({ form }: { form: WindowFormState }) {
  const trpc = useTRPC();
  const settled = useSettled(
    {
      schedule: form.schedule,
      timeZone: form.timeZone.trim(),
      durationMinutes: Number(form.durationMinutes),
    },
    300,
  );
  const preview = useQuery({
    ...trpc.maintenanceWindows.previewSchedule.queryOptions({ ...settled, count: 3 }),
    placeholderData: keepPreviousData,
    retry: false,
  });
  return (
    <section aria-labelledby="window-preview-title" aria-busy={preview.isFetching}>
      <h3 id="window-preview-title">Next openings</h3>
      {preview.isError ? <QueryError error={preview.error} /> : null}
      {preview.data && !preview.isError ? (
        <>
          {preview.data.description ? <p>Opens {preview.data.description}.</p> : null}
          <ol className="plain-list" data-testid="window-openings">
            {preview.data.openings.map((opening) => (
              <li key={opening.opensAt.toISOString()}>
                <span className="strong">{opening.local}</span>{" "}
                <span className="muted small-text">({utcTime(opening.opensAt)} UTC)</span>
              </li>
            ))}
          </ol>
        </>
      ) : preview.isPending ? (
        <p className="muted">Asking the server…</p>
      ) : null}
    </section>
  );
}
