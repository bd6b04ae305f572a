"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDuration } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { useCan } from "./session";
import { Loading, MutationStatus, QueryError } from "./ui/basics";
import { NumberSetting, Toggle } from "./ui/setting-fields";

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
  if (settings.isPending) return <Loading what="settings" />;
  if (settings.isError) return <QueryError error={settings.error} retry={() => settings.refetch()} />;
  const data = settings.data;

  return (
    <section className="card" aria-labelledby="general-title">
      <h2 id="general-title">Agents and commands</h2>
      <NumberSetting
        label="Default poll interval (seconds)"
        saveLabel="Save interval"
        min={5}
        max={86_400}
        current={data.defaultPollIntervalSeconds}
        canChange={isAdmin}
        pending={save.isPending}
        onSave={(value) => save.mutate({ key: "defaultPollIntervalSeconds", value })}
      >
        Agents check in this often (plus up to 30 s of jitter): now{" "}
        {formatDuration(data.defaultPollIntervalSeconds)}. Set a different interval for one agent on its page.
      </NumberSetting>
      <NumberSetting
        label="Attempts per command"
        saveLabel="Save attempts"
        min={1}
        max={20}
        current={data.commandMaxAttempts}
        canChange={isAdmin}
        pending={save.isPending}
        onSave={(value) => save.mutate({ key: "commandMaxAttempts", value })}
      >
        How often a scan or dry run is handed out again when its agent goes silent. Installs, rollbacks,
        reboots and agent updates are handed out once: one whose agent went silent times out, to be retried by
        hand.
      </NumberSetting>
      <h2>Debug and server health</h2>
      <Toggle
        label="Debug mode"
        description={
          data.debugForcedByEnvironment
            ? "Turned on by REDFLAG_DEBUG=true in the server environment: the server logs at debug level (SQL statements with their duration, request bodies with secrets redacted) and agents log at debug level. Unset it to control it here."
            : "The server logs at debug level at once (other servers on the same database within 10 seconds): every SQL statement with its duration, and each API request's body with passwords, tokens and secrets redacted. Agents are told at their next check-in to log at debug level (each call to the server and its answer) until debug mode is turned off. Debug logs are large: turn it off when done."
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
      <Toggle
        label="Keep agents at the server's version"
        description="An agent that checks in with an older version than this server's agent build is updated once (update_agent); an update that failed is not tried again for the same version."
        checked={data.keepAgentsAtServerVersion}
        disabled={!isAdmin || save.isPending}
        onChange={(value) => save.mutate({ key: "keepAgentsAtServerVersion", value })}
      />
      <MutationStatus error={save.error} success={save.isSuccess} />
    </section>
  );
}
