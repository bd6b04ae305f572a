"use client";

import { type ReactNode, useState } from "react";
import { ConfirmDialog } from "./ui/confirm-dialog";

export type RowAction = "enable" | "disable" | "delete";

/** What the row needs of a mutation (react-query's result fits). */
type MutationState = { isPending: boolean; isSuccess: boolean; error: unknown; reset: () => void };

/**
 * Enable or disable, edit, delete: the row actions of a policy or a maintenance window. An action that
 * `asks` says so is confirmed first, with `describe(action)` saying what it will change; the others run
 * at once.
 */
export function EntityRowActions({
  noun,
  enabled,
  asks,
  describe,
  setEnabled,
  remove,
  onEdit,
}: {
  /** What the dialog's title and its button call the row: "maintenance window", "window". */
  noun: { title: string; button: string };
  enabled: boolean;
  asks: (action: RowAction) => boolean;
  describe: (action: RowAction) => ReactNode;
  setEnabled: MutationState & { run: (enabled: boolean) => void };
  remove: MutationState & { run: () => void };
  onEdit: () => void;
}) {
  const [asking, setAsking] = useState<RowAction | null>(null);
  const pending = asking === "delete" ? remove : setEnabled;
  const run = (action: RowAction) =>
    action === "delete" ? remove.run() : setEnabled.run(action === "enable");
  const start = (action: RowAction) => (asks(action) ? setAsking(action) : run(action));
  const close = () => {
    pending.reset();
    setAsking(null);
  };
  const verb = { enable: "Enable", disable: "Disable", delete: "Delete" };
  return (
    <div className="action-row">
      <button
        type="button"
        className="button small"
        onClick={() => start(enabled ? "disable" : "enable")}
        disabled={setEnabled.isPending}
      >
        {enabled ? "Disable" : "Enable"}
      </button>
      <button type="button" className="button small" onClick={onEdit}>
        Edit
      </button>
      <button type="button" className="button small danger" onClick={() => start("delete")}>
        Delete
      </button>
      {asking ? (
        <ConfirmDialog
          title={`${verb[asking]} this ${noun.title}?`}
          confirmLabel={`${verb[asking]} ${noun.button}`}
          tone={asking === "enable" ? "primary" : "danger"}
          pending={pending.isPending}
          error={pending.error}
          done={pending.isSuccess ? <p>Done.</p> : undefined}
          onConfirm={() => run(asking)}
          onCancel={close}
        >
          {describe(asking)}
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
