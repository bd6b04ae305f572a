"use client";

import { roles } from "@redflag/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { formatDateTime, formatDuration, formatRelative } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { CopyButton } from "./copy-button";
import { useCan, useSession } from "./session";
import { EmptyState, Loading, MutationStatus, PageHeader, QueryError, StatusBadge } from "./ui";

export function SettingsView() {
  const isAdmin = useCan("admin");
  return (
    <>
      <PageHeader
        title="Settings"
        description={
          isAdmin
            ? "Server-wide settings, API tokens and users."
            : "Server-wide settings (read only: changing them needs the admin role)."
        }
      />
      <GeneralSettings />
      {isAdmin ? <ApiTokens /> : null}
      {isAdmin ? <Users /> : null}
    </>
  );
}

function GeneralSettings() {
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

function ApiTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.apiTokens.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiTokens.list.queryKey() });
  const create = useMutation(trpc.apiTokens.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.apiTokens.revoke.mutationOptions({ onSuccess: refresh }));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const days = String(form.get("days") ?? "90");
    create.mutate({
      name: String(form.get("name") ?? "").trim(),
      role: form.get("role") as (typeof roles)[number],
      expiresInDays: days === "never" ? null : Number(days),
    });
    event.currentTarget.reset();
  }

  return (
    <section className="card" aria-labelledby="api-tokens-title">
      <h2 id="api-tokens-title">API tokens</h2>
      <p className="muted">
        For scripts: send as “Authorization: Bearer rf_pat_…”. A token never outranks its owner.
      </p>
      <form className="form-row" onSubmit={submit}>
        <label className="field">
          <span>Name</span>
          <input name="name" required maxLength={100} placeholder="e.g. nightly report" />
        </label>
        <label className="field">
          <span>Role</span>
          <select name="role" defaultValue="viewer">
            {roles.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Expires</span>
          <select name="days" defaultValue="90">
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="365">in a year</option>
            <option value="never">never</option>
          </select>
        </label>
        <button type="submit" className="button primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {create.data ? (
        <div className="token-line highlight" role="status">
          <span>Shown once:</span>
          <code data-testid="api-token">{create.data.token}</code>
          <CopyButton text={create.data.token} label="Copy" />
        </div>
      ) : null}
      <MutationStatus error={create.error ?? revoke.error} success={false} />
      {tokens.isPending ? <Loading what="API tokens" /> : null}
      {tokens.isError ? <QueryError error={tokens.error} retry={() => tokens.refetch()} /> : null}
      {tokens.data && tokens.data.length === 0 ? <EmptyState title="No API tokens" /> : null}
      {tokens.data && tokens.data.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Token</th>
                <th scope="col">Role</th>
                <th scope="col">Owner</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((token) => (
                <tr key={token.id}>
                  <td>{token.name}</td>
                  <td className="mono">{token.displayPrefix}</td>
                  <td>{token.role}</td>
                  <td>{token.owner}</td>
                  <td>{formatRelative(token.lastUsedAt)}</td>
                  <td className="nowrap" title={formatDateTime(token.expiresAt)}>
                    {token.expiresAt ? formatRelative(token.expiresAt) : "never"}
                  </td>
                  <td>
                    {token.revokedAt ? (
                      <StatusBadge value="cancelled" label="Revoked" />
                    ) : (
                      <button
                        type="button"
                        className="button small"
                        disabled={revoke.isPending}
                        onClick={() => revoke.mutate({ tokenId: token.id })}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function Users() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useSession();
  const users = useQuery(trpc.users.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const create = useMutation(trpc.users.create.mutationOptions({ onSuccess: refresh }));
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: refresh }));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    create.mutate(
      {
        username: String(form.get("username") ?? "").trim(),
        password: String(form.get("password") ?? ""),
        role: form.get("role") as (typeof roles)[number],
      },
      { onSuccess: () => formElement.reset() },
    );
  }

  return (
    <section className="card" aria-labelledby="users-title">
      <h2 id="users-title">Users and roles</h2>
      <p className="muted">
        Viewers see everything and change nothing; operators approve and install; admins also manage users and
        settings.
      </p>
      <form className="form-row" onSubmit={submit} aria-label="New user">
        <label className="field">
          <span>Username</span>
          <input name="username" required minLength={3} maxLength={64} autoComplete="off" />
        </label>
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" required minLength={10} autoComplete="new-password" />
        </label>
        <label className="field">
          <span>Role</span>
          <select name="role" defaultValue="viewer">
            {roles.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button primary" disabled={create.isPending}>
          Add user
        </button>
      </form>
      <MutationStatus
        error={create.error ?? update.error}
        success={create.isSuccess}
        successText={create.data ? `Added ${create.data.username}.` : "Saved."}
      />
      {users.isPending ? <Loading what="users" /> : null}
      {users.isError ? <QueryError error={users.error} retry={() => users.refetch()} /> : null}
      {users.data ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <tr key={user.id}>
                  <td>
                    {user.username}
                    {user.id === me.id ? <span className="muted"> (you)</span> : null}
                  </td>
                  <td>
                    <select
                      aria-label={`Role of ${user.username}`}
                      value={user.role}
                      disabled={update.isPending || user.id === me.id}
                      onChange={(event) =>
                        update.mutate({ userId: user.id, role: event.target.value as (typeof roles)[number] })
                      }
                    >
                      {roles.map((role) => (
                        <option key={role} value={role}>
                          {role}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{formatDateTime(user.createdAt)}</td>
                  <td>
                    {user.id === me.id ? (
                      <StatusBadge value="succeeded" label="Active" />
                    ) : (
                      <button
                        type="button"
                        className="button small"
                        disabled={update.isPending}
                        onClick={() => update.mutate({ userId: user.id, disabled: user.disabledAt === null })}
                      >
                        {user.disabledAt ? "Enable" : "Disable"}
                      </button>
                    )}
                    {user.disabledAt ? <StatusBadge value="cancelled" label="Disabled" /> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
