"use client";

import type { Role } from "@redflag/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { formatDateTime } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { useSession } from "./session";
import { MutationStatus, StatusBadge } from "./ui/basics";
import { DataTable } from "./ui/data-table";
import { QueryState } from "./ui/query-state";
import { RoleSelect } from "./ui/role-select";
import { Untrusted } from "./ui/text";

export function UsersCard() {
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
        role: form.get("role") as Role,
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
      <form className="form-row" onSubmit={submit} onInvalid={() => create.reset()} aria-label="New user">
        <label className="field">
          <span>Username</span>
          <input name="username" required minLength={3} maxLength={64} autoComplete="off" />
        </label>
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" required minLength={10} autoComplete="new-password" />
        </label>
        <RoleSelect label="Role" name="role" defaultValue="viewer" />
        <button type="submit" className="button primary" disabled={create.isPending}>
          Add user
        </button>
      </form>
      <MutationStatus
        error={create.error ?? update.error}
        success={create.isSuccess}
        successText={create.data ? `Added ${create.data.username}.` : "Saved."}
      />
      <QueryState query={users} what="users">
        {(data) => (
          <DataTable
            rows={data}
            rowKey={(user) => user.id}
            columns={[
              {
                key: "user",
                header: "User",
                cell: (user) => (
                  <>
                    <Untrusted text={user.username} />
                    {user.id === me.id ? <span className="muted"> (you)</span> : null}
                  </>
                ),
              },
              {
                key: "role",
                header: "Role",
                cell: (user) => (
                  <RoleSelect
                    ariaLabel={`Role of ${user.username}`}
                    value={user.role}
                    disabled={update.isPending || user.id === me.id}
                    onChange={(role) => update.mutate({ userId: user.id, role })}
                  />
                ),
              },
              { key: "created", header: "Created", cell: (user) => formatDateTime(user.createdAt) },
              {
                key: "state",
                header: "State",
                cell: (user) => (
                  <>
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
                  </>
                ),
              },
            ]}
          />
        )}
      </QueryState>
    </section>
  );
}
