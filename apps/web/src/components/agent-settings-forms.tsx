"use client";

import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "~/trpc/react";
import type { AgentDetail } from "./agent-facts";
import { MutationStatus } from "./ui/basics";

/** How often the agent checks in (rapid mode, its own interval) and its tags. */
export function AgentSettingsForms({ agent, onSaved }: { agent: AgentDetail; onSaved: () => void }) {
  const trpc = useTRPC();
  const agentId = agent.id;
  const configure = useMutation(trpc.agents.configure.mutationOptions({ onSuccess: onSaved }));
  const [minutes, setMinutes] = useState(15);
  const [pollInterval, setPollInterval] = useState("");
  const [tags, setTags] = useState(agent.tags.join(", "));
  const rapidActive = agent.rapidModeUntil !== null && agent.rapidModeUntil.getTime() > Date.now();
  const submit = (change: Omit<Parameters<typeof configure.mutate>[0], "agentId">) => (event: FormEvent) => {
    event.preventDefault();
    configure.mutate({ agentId, ...change });
  };

  return (
    <>
      <div className="action-row">
        <form className="inline-form" onSubmit={submit({ rapidModeMinutes: minutes })}>
          <label className="field inline">
            <span>Rapid mode for</span>
            <input
              type="number"
              min={1}
              max={240}
              value={minutes}
              onChange={(event) => setMinutes(Number(event.target.value))}
              aria-label="Rapid mode minutes"
            />
            <span>min</span>
          </label>
          <button type="submit" className="button" disabled={configure.isPending}>
            Start rapid mode
          </button>
          {rapidActive ? (
            <button type="button" className="button" onClick={submit({ rapidModeMinutes: 0 })}>
              Stop rapid mode
            </button>
          ) : null}
        </form>
        <form
          className="inline-form"
          onSubmit={submit({ pollIntervalSeconds: pollInterval.trim() === "" ? null : Number(pollInterval) })}
        >
          <label className="field inline">
            <span>Poll interval</span>
            <input
              type="number"
              min={5}
              max={86_400}
              placeholder="default"
              value={pollInterval}
              onChange={(event) => setPollInterval(event.target.value)}
              aria-label="Poll interval in seconds (empty for the server default)"
            />
            <span>s</span>
          </label>
          <button type="submit" className="button" disabled={configure.isPending}>
            Set interval
          </button>
        </form>
        <form className="inline-form" aria-label="Tags" onSubmit={submit({ tags: tagsOf(tags) })}>
          <label className="field inline">
            <span>Tags</span>
            <input
              className="tags-input"
              value={tags}
              placeholder="e.g. web, production"
              onChange={(event) => setTags(event.target.value)}
              aria-label="Tags, separated by commas"
            />
          </label>
          <button type="submit" className="button" disabled={configure.isPending}>
            Save tags
          </button>
        </form>
      </div>
      <MutationStatus error={configure.error} success={configure.isSuccess} />
    </>
  );
}

function tagsOf(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}
