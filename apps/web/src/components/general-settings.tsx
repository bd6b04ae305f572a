"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { formatDuration } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { useCan } from "./session";
import { Loading, MutationStatus, QueryError } from "./ui/basics";

export function GeneralSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const settings = useQuery({ ...trpc.settings.get.queryOptions(), refetchInterval: 30_000 });
  const save = useMutation(
    trpc.settings.set.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.settings.get.queryKey() }),
    }),
  );
  const [interval, setIntervalText] = useState("");
  const [attempts, setAttempts] = useState("");
  useEffect(() => {
    if (settings.data) {
      setIntervalText(String(settings.data.defaultPollIntervalSeconds));
      setAttempts(String(settings.data.commandMaxAttempts));
    }
  }, [settings.data]);

  if (settings.isPending) return <Loading what="settings" />;
  if (settings.isError) return <QueryError error={settings.error} retry={() => settings.refetch()} />;
  const data = settings.data;

  function submitInterval(event: FormEvent) {
    event.preventDefault();
    save.mutate({ key: "defaultPollIntervalSeconds", value: Number(interval) });
  }
  function submitAttempts(event: FormEvent) {
    event.preventDefault();
    save.mutate({ key: "commandMaxAttempts", value: Number(attempts) });
  }

  return (
    <section className="card" aria-labelledby="general-title">
      <h2 id="general-title">Agents and commands</h2>
      <form className="setting" onSubmit={submitInterval}>
        <label className="field">
          <span>Default poll interval (seconds)</span>
          <input
            type="number"
            min={5}
            max={86_400}
            required
            value={interval}
            disabled={!isAdmin}
            onChange={(event) => setIntervalText(event.target.value)}
          />
        </label>
        <span className="muted">
          Agents check in this often (plus up to 30 s of jitter): now{" "}
          {formatDuration(data.defaultPollIntervalSeconds)}. Set a different interval for one agent on its
          page.
        </span>
        {isAdmin ? (
          <button type="submit" className="button" disabled={save.isPending}>
            Save interval
          </button>
        ) : null}
      </form>
      <form className="setting" onSubmit={submitAttempts}>
        <label className="field">
          <span>Attempts per command</span>
          <input
            type="number"
            min={1}
            max={20}
            required
            value={attempts}
            disabled={!isAdmin}
            onChange={(event) => setAttempts(event.target.value)}
          />
        </label>
        <span className="muted">How often a command is handed out again when its agent goes silent.</span>
        {isAdmin ? (
          <button type="submit" className="button" disabled={save.isPending}>
            Save attempts
          </button>
        ) : null}
      </form>
      <h2>Debug and server health</h2>
      <Toggle
        label="Debug mode"
        description={
          data.debugForcedByEnvironment
            ? "Turned on by REDFLAG_DEBUG=true in the server environment; unset it to control it here."
            : "Logs more detail on the server and asks agents for verbose logs."
        }
        checked={data.debugMode}
        disabled={!isAdmin || save.isPending || data.debugForcedByEnvironment}
        onChange={(value) => save.mutate({ key: "debugMode", value })}
      />
      <Toggle
        label="Warn about offline agents"
        description="The server health page warns when agents stop checking in."
        checked={data.healthWarnOfflineAgents}
        disabled={!isAdmin || save.isPending}
        onChange={(value) => save.mutate({ key: "healthWarnOfflineAgents", value })}
      />
      <Toggle
        label="Warn about stuck commands"
        description="The server health page warns when a command has waited in the queue for over an hour."
        checked={data.healthWarnStuckCommands}
        disabled={!isAdmin || save.isPending}
        onChange={(value) => save.mutate({ key: "healthWarnStuckCommands", value })}
      />
      <MutationStatus error={save.error} success={save.isSuccess} />
    </section>
  );
}

function Toggle({
  label,
  description,
  checked,
  disabled,
  onChange,
}: {
  label: string;
  description: string;
  checked: boolean;
  disabled: boolean;
  onChange: (value: boolean) => void;
}) {
  return (
    <label className="toggle">
      <input
        type="checkbox"
        role="switch"
        aria-checked={checked}
        checked={checked}
        disabled={disabled}
        onChange={(event) => onChange(event.target.checked)}
      />
      <span className="toggle-text">
        <span className="strong">{label}</span>
        <span className="muted small-text">{description}</span>
      </span>
    </label>
  );
}
