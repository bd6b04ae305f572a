"use client";

import { type ReactNode, useEffect, useRef } from "react";
import { messageOf } from "~/trpc/errors";

/**
 * Asks before an action that changes a machine: names the host and what will happen. The one
 * confirmation of the dashboard; Escape and "Cancel" leave everything as it was.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  tone = "primary",
  pending = false,
  error,
  done,
  onConfirm,
  onCancel,
}: {
  title: ReactNode;
  children: ReactNode;
  confirmLabel: string;
  tone?: "primary" | "danger";
  pending?: boolean;
  error?: unknown;
  /** Once the action is done: what came of it, and only a way to close. */
  done?: ReactNode;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      className="dialog confirm-dialog"
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h2 id="confirm-title">{title}</h2>
      <div className="dialog-body">{done ?? children}</div>
      {error ? (
        <p className="form-error" role="alert">
          {messageOf(error)}
        </p>
      ) : null}
      <div className="dialog-actions">
        {done ? (
          <button type="button" className="button primary" onClick={onCancel}>
            Close
          </button>
        ) : (
          <>
            <button type="button" className="button" onClick={onCancel}>
              Cancel
            </button>
            <button
              type="button"
              className={`button ${tone === "danger" ? "danger" : "primary"}`}
              disabled={pending}
              onClick={onConfirm}
            >
              {confirmLabel}
            </button>
          </>
        )}
      </div>
    </dialog>
  );
}
