"use client";

import { type FormEvent, type ReactNode, useEffect, useState } from "react";

/** A setting that is on or off, saved as soon as it is switched. */
export function Toggle({
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

/** A number the server keeps: edited here, saved with its own button, explained beside it. */
export function NumberSetting({
  label,
  saveLabel,
  min,
  max,
  current,
  canChange,
  pending,
  onSave,
  children,
}: {
  label: string;
  saveLabel: string;
  min: number;
  max: number;
  current: number;
  canChange: boolean;
  pending: boolean;
  onSave: (value: number) => void;
  children: ReactNode;
}) {
  const [text, setText] = useState(String(current));
  useEffect(() => setText(String(current)), [current]);
  function submit(event: FormEvent) {
    event.preventDefault();
    onSave(Number(text));
  }
  return (
    <form className="setting" onSubmit={submit}>
      <label className="field">
        <span>{label}</span>
        <input
          type="number"
          min={min}
          max={max}
          required
          value={text}
          disabled={!canChange}
          onChange={(event) => setText(event.target.value)}
        />
      </label>
      <span className="muted">{children}</span>
      {canChange ? (
        <button type="submit" className="button" disabled={pending}>
          {saveLabel}
        </button>
      ) : null}
    </form>
  );
}
