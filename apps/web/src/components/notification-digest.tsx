"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { useTRPC } from "~/trpc/react";
import { useCan } from "./session";
import { MutationStatus } from "./ui/basics";
import { QueryState } from "./ui/query-state";

/** When the daily digest is sent: a time of day in a time zone (the server's settings). */
export function NotificationDigest() {
  const trpc = useTRPC();
  const settings = useQuery(trpc.settings.get.queryOptions());
  return (
    <section className="card" aria-labelledby="digest-title">
      <h2 id="digest-title">Daily digest</h2>
      <QueryState query={settings} what="settings">
        {(data) => <DigestForm time={data.dailyDigestTime} timeZone={data.dailyDigestTimeZone} />}
      </QueryState>
    </section>
  );
}

function DigestForm({ time, timeZone }: { time: string; timeZone: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canChange = useCan("admin");
  const [draft, setDraft] = useState({ time, timeZone });
  useEffect(() => setDraft({ time, timeZone }), [time, timeZone]);
  const save = useMutation(
    trpc.settings.set.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.settings.get.queryKey() }),
    }),
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await save.mutateAsync({ key: "dailyDigestTimeZone", value: draft.timeZone.trim() });
    await save.mutateAsync({ key: "dailyDigestTime", value: draft.time });
  };
  return (
    <form
      className="form"
      onSubmit={(event) => void submit(event).catch(() => {})}
      aria-label="Daily digest time"
    >
      <p className="muted">
        Targets that want the daily digest get pending updates by severity, security updates, hosts offline
        and the installs of the last 24 hours once a day, at this time.
      </p>
      <div className="filters">
        <label className="field">
          <span>Time</span>
          <input
            type="time"
            required
            value={draft.time}
            disabled={!canChange}
            onChange={(event) => setDraft({ ...draft, time: event.target.value })}
          />
        </label>
        <label className="field">
          <span>Time zone</span>
          <input
            required
            value={draft.timeZone}
            placeholder="Europe/Berlin"
            disabled={!canChange}
            onChange={(event) => setDraft({ ...draft, timeZone: event.target.value })}
          />
        </label>
      </div>
      {canChange ? (
        <div className="action-row">
          <button type="submit" className="button" disabled={save.isPending}>
            Save digest time
          </button>
        </div>
      ) : null}
      <MutationStatus error={save.error} success={save.isSuccess} />
    </form>
  );
}
