"use client";

import type { DownloadProfile, DownloadProfileDraft } from "@redflag/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "~/trpc/react";
import { useCan } from "./session";
import { MutationStatus } from "./ui/basics";
import { ConfirmDialog } from "./ui/confirm-dialog";
import { DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";
import { Untrusted } from "./ui/text";

type FormState = {
  name: string;
  tags: string;
  agentIds: string;
  limit: string;
  aptProxy: string;
  dnfProxy: string;
  dockerRegistryMirror: string;
};

const emptyForm: FormState = {
  name: "",
  tags: "",
  agentIds: "",
  limit: "",
  aptProxy: "",
  dnfProxy: "",
  dockerRegistryMirror: "",
};

function wordsOf(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

function formOf(profile: DownloadProfile): FormState {
  return {
    name: profile.name,
    tags: profile.tags.join(", "),
    agentIds: profile.agentIds.join(", "),
    limit: profile.limitKibPerSecond === null ? "" : String(profile.limitKibPerSecond),
    aptProxy: profile.aptProxy ?? "",
    dnfProxy: profile.dnfProxy ?? "",
    dockerRegistryMirror: profile.dockerRegistryMirror ?? "",
  };
}

/** What the server validates (it answers with a message naming the field when it refuses). */
function draftOf(form: FormState): DownloadProfileDraft {
  const limit = form.limit.trim();
  const url = (text: string) => (text.trim() === "" ? null : text.trim());
  return {
    name: form.name,
    tags: wordsOf(form.tags),
    agentIds: wordsOf(form.agentIds) as DownloadProfileDraft["agentIds"],
    limitKibPerSecond: limit === "" ? null : Number(limit),
    aptProxy: url(form.aptProxy),
    dnfProxy: url(form.dnfProxy),
    dockerRegistryMirror: url(form.dockerRegistryMirror),
  };
}

function scopeOf(profile: Pick<DownloadProfile, "tags" | "agentIds">): string {
  if (profile.tags.length === 0 && profile.agentIds.length === 0) return "every host";
  const parts: string[] = [];
  if (profile.tags.length > 0) parts.push(`tags ${profile.tags.join(", ")}`);
  if (profile.agentIds.length > 0)
    parts.push(`${profile.agentIds.length} listed agent${profile.agentIds.length === 1 ? "" : "s"}`);
  return parts.join(" or ");
}

function settingsOf(
  profile: Pick<DownloadProfileDraft, "limitKibPerSecond" | "aptProxy" | "dnfProxy">,
): string {
  const parts: string[] = [];
  parts.push(profile.limitKibPerSecond === null ? "no limit" : `${profile.limitKibPerSecond} KiB/s`);
  if (profile.aptProxy) parts.push(`apt via ${profile.aptProxy}`);
  if (profile.dnfProxy) parts.push(`dnf via ${profile.dnfProxy}`);
  return parts.join(", ");
}

function Field({
  label,
  hint,
  value,
  onChange,
  inputMode,
  name,
}: {
  label: string;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
  inputMode?: "numeric" | "url";
  name: string;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        name={name}
        value={value}
        inputMode={inputMode}
        onChange={(event) => onChange(event.target.value)}
      />
      {hint ? <span className="hint">{hint}</span> : null}
    </label>
  );
}

/**
 * Download profiles (admins): a limit and apt/dnf proxies per tag or host, handed to the agent with
 * each install, rollback or dry run (docs/bandwidth.md). Saving and deleting are confirmed.
 */
export function DownloadProfilesCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const profiles = useQuery(trpc.downloadProfiles.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.downloadProfiles.list.queryKey() });
  const create = useMutation(trpc.downloadProfiles.create.mutationOptions({ onSuccess: refresh }));
  const update = useMutation(trpc.downloadProfiles.update.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.downloadProfiles.delete.mutationOptions({ onSuccess: refresh }));
  const [form, setForm] = useState<FormState>(emptyForm);
  const [editing, setEditing] = useState<DownloadProfile | null>(null);
  const [asking, setAsking] = useState<
    { action: "save" } | { action: "delete"; profile: DownloadProfile } | null
  >(null);
  const change = (patch: Partial<FormState>) => setForm((current) => ({ ...current, ...patch }));
  const saving = editing ? update : create;
  const pending = asking?.action === "delete" ? remove : saving;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    saving.reset();
    setAsking({ action: "save" });
  }

  function close() {
    const succeeded = pending.isSuccess;
    setAsking(null);
    pending.reset();
    if (succeeded && asking?.action === "save") {
      setEditing(null);
      setForm(emptyForm);
    }
  }

  function confirm() {
    if (asking?.action === "delete") {
      remove.mutate({ profileId: asking.profile.id });
    } else if (editing) {
      update.mutate({ profileId: editing.id, ...draftOf(form) });
    } else {
      create.mutate(draftOf(form));
    }
  }

  const draft = draftOf(form);
  return (
    <section className="card" aria-labelledby="download-profiles-title">
      <h2 id="download-profiles-title">Download profiles</h2>
      <p className="muted">
        How hosts download updates: a limit for apt (<code>Acquire::http::Dl-Limit</code>) and dnf (
        <code>throttle</code>), and a proxy or regional cache such as apt-cacher-ng (apt{" "}
        <code>Acquire::http::Proxy</code>, dnf <code>proxy=</code>), passed as options on each install,
        rollback and dry run. One profile applies per host: one listing the host by id, else one matching its
        tags, else one for every host; among those the first by name.
      </p>
      <p className="hint">
        <strong>docker pull has no download limit.</strong> A Docker registry mirror applies only to Docker
        Hub images and only through the engine's own <code>registry-mirrors</code> setting in{" "}
        <code>/etc/docker/daemon.json</code>: RedFlag shows it here as the value to configure on the hosts, it
        does not set it.
      </p>
      {isAdmin ? (
        <form className="form" onSubmit={submit} aria-label="Download profile">
          <Field name="name" label="Name" value={form.name} onChange={(name) => change({ name })} />
          <Field
            name="tags"
            label="Agent tags"
            hint="Hosts carrying any of these tags (comma separated)."
            value={form.tags}
            onChange={(tags) => change({ tags })}
          />
          <Field
            name="agentIds"
            label="Agent ids"
            hint="Or these agents. Leave both empty for every host."
            value={form.agentIds}
            onChange={(agentIds) => change({ agentIds })}
          />
          <Field
            name="limit"
            label="Download limit (KiB/s)"
            hint="apt and dnf only. Empty: no limit."
            inputMode="numeric"
            value={form.limit}
            onChange={(limit) => change({ limit })}
          />
          <Field
            name="aptProxy"
            label="apt proxy"
            hint="e.g. http://apt-cache.branch:3142 (scheme, host and port; no password)."
            inputMode="url"
            value={form.aptProxy}
            onChange={(aptProxy) => change({ aptProxy })}
          />
          <Field
            name="dnfProxy"
            label="dnf proxy"
            inputMode="url"
            value={form.dnfProxy}
            onChange={(dnfProxy) => change({ dnfProxy })}
          />
          <Field
            name="dockerRegistryMirror"
            label="Docker registry mirror (set on the engine, not by RedFlag)"
            inputMode="url"
            value={form.dockerRegistryMirror}
            onChange={(dockerRegistryMirror) => change({ dockerRegistryMirror })}
          />
          <div className="action-row">
            <button type="submit" className="button primary" disabled={saving.isPending}>
              {editing ? "Save profile…" : "Add profile…"}
            </button>
            {editing ? (
              <button
                type="button"
                className="button"
                onClick={() => {
                  setEditing(null);
                  setForm(emptyForm);
                }}
              >
                Cancel edit
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
      <MutationStatus error={null} success={remove.isSuccess && asking === null} successText="Deleted." />
      <QueryState query={profiles} what="download profiles">
        {(data) =>
          data.length === 0 ? (
            <p className="muted">No download profiles: hosts download directly, with no limit.</p>
          ) : (
            <DataTable
              rows={data}
              rowKey={(profile) => profile.id}
              caption="Download profiles"
              columns={[
                { key: "name", header: "Name", cell: (profile) => <Untrusted text={profile.name} /> },
                { key: "scope", header: "Hosts", cell: (profile) => <Untrusted text={scopeOf(profile)} /> },
                {
                  key: "settings",
                  header: "apt / dnf",
                  className: "wrap",
                  cell: (profile) => <Untrusted text={settingsOf(profile)} />,
                },
                {
                  key: "docker",
                  header: "Docker mirror",
                  cell: (profile) =>
                    profile.dockerRegistryMirror ? <Untrusted text={profile.dockerRegistryMirror} /> : "—",
                },
                isAdmin && {
                  key: "actions",
                  header: "Actions",
                  className: "nowrap",
                  cell: (profile) => (
                    <>
                      <button
                        type="button"
                        className="button small"
                        onClick={() => {
                          setEditing(profile);
                          setForm(formOf(profile));
                        }}
                      >
                        Edit
                      </button>{" "}
                      <button
                        type="button"
                        className="button small danger"
                        onClick={() => setAsking({ action: "delete", profile })}
                      >
                        Delete…
                      </button>
                    </>
                  ),
                },
              ]}
            />
          )
        }
      </QueryState>
      {asking ? (
        <ConfirmDialog
          title={
            asking.action === "delete"
              ? "Delete download profile?"
              : editing
                ? "Save download profile?"
                : "Add download profile?"
          }
          confirmLabel={asking.action === "delete" ? "Delete profile" : "Save profile"}
          tone={asking.action === "delete" ? "danger" : "primary"}
          pending={pending.isPending}
          error={pending.error}
          done={pending.isSuccess ? <p>{asking.action === "delete" ? "Deleted." : "Saved."}</p> : undefined}
          onConfirm={confirm}
          onCancel={close}
        >
          {asking.action === "delete" ? (
            <p>
              <Untrusted className="strong" text={asking.profile.name} /> stops applying to{" "}
              <Untrusted text={scopeOf(asking.profile)} />: their next installs download as another profile
              says, or directly with no limit. Commands already handed out keep it.
            </p>
          ) : (
            <p>
              <Untrusted className="strong" text={draft.name || "(no name)"} /> for{" "}
              <Untrusted text={scopeOf(draft)} />: <Untrusted text={settingsOf(draft)} />. It applies from the
              next install, rollback or dry run handed to these hosts.
            </p>
          )}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
