"use client";

import type { SnapshotBeforePatch } from "@redflag/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { plural } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { useCan } from "./session";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { QueryState } from "./ui/query-state";
import { Untrusted } from "./ui/text";

/** Which Proxmox guests their node snapshots before an install (by tag), and how many snapshots stay. */
export function SnapshotSettingsCard() {
  const trpc = useTRPC();
  const settings = useQuery(trpc.settings.get.queryOptions());
  return (
    <section className="card" aria-labelledby="snapshot-title">
      <h2 id="snapshot-title">Snapshot before patch</h2>
      <QueryState query={settings} what="settings">
        {(data) => <SnapshotForm current={data.snapshotBeforePatch} />}
      </QueryState>
    </section>
  );
}

const tagsOf = (text: string) => [
  ...new Set(
    text
      .split(/[\s,]+/)
      .map((tag) => tag.trim())
      .filter(Boolean),
  ),
];

function SnapshotForm({ current }: { current: SnapshotBeforePatch }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canChange = useCan("admin");
  const [tags, setTags] = useState(current.tags.join(", "));
  const [keep, setKeep] = useState(String(current.keep));
  const [asking, setAsking] = useState(false);
  useEffect(() => {
    setTags(current.tags.join(", "));
    setKeep(String(current.keep));
  }, [current]);
  const save = useMutation(
    trpc.settings.set.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.settings.get.queryKey() }),
    }),
  );
  const draft: SnapshotBeforePatch = { tags: tagsOf(tags), agentIds: current.agentIds, keep: Number(keep) };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.reset();
    setAsking(true);
  };
  return (
    <>
      <form className="form" onSubmit={submit} aria-label="Snapshot before patch">
        <p className="muted">
          Before an install on an LXC container or VM with one of these tags, the agent on its Proxmox node
          takes a snapshot (redflag-&lt;command id&gt;); the install runs only once the snapshot succeeded,
          and fails if it does not. Each guest keeps its newest RedFlag snapshots; other snapshots are never
          touched.
          {current.agentIds.length > 0
            ? ` Also ${plural(current.agentIds.length, "agent")} chosen by id (through the API).`
            : ""}
        </p>
        <div className="filters">
          <label className="field">
            <span>Tags (comma separated)</span>
            <input
              value={tags}
              placeholder="snapshot"
              disabled={!canChange}
              onChange={(event) => setTags(event.target.value)}
            />
          </label>
          <label className="field">
            <span>Snapshots kept per guest</span>
            <input
              type="number"
              min={1}
              max={50}
              required
              value={keep}
              disabled={!canChange}
              onChange={(event) => setKeep(event.target.value)}
            />
          </label>
        </div>
        {canChange ? (
          <div className="action-row">
            <button type="submit" className="button">
              Save snapshot setting
            </button>
          </div>
        ) : null}
      </form>
      {asking ? (
        <ConfirmDialog
          title="Save snapshot before patch?"
          confirmLabel="Save"
          pending={save.isPending}
          error={save.error}
          done={save.isSuccess ? <p>Saved.</p> : undefined}
          onConfirm={() => save.mutate({ key: "snapshotBeforePatch", value: draft })}
          onCancel={() => setAsking(false)}
        >
          <p>
            {draft.tags.length === 0 ? (
              "No tag: guests are snapshotted only when chosen by agent id."
            ) : (
              <>
                Guests tagged <Untrusted text={draft.tags.join(", ")} /> are snapshotted by their node before
                each install, keeping the newest {plural(draft.keep, "RedFlag snapshot")}.
              </>
            )}{" "}
            It applies to installs queued from now on.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
