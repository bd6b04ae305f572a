"use client";

import { useId } from "react";
import type { TargetField } from "./notification-draft";

/**
 * One field of a target's form. A secret field never shows its saved value: once one is set, it says
 * so and an empty field keeps it.
 */
export function NotificationField({
  field,
  value,
  saved = false,
  onChange,
}: {
  field: TargetField;
  value: string;
  saved?: boolean;
  onChange: (value: string) => void;
}) {
  const id = useId();
  const common = {
    id,
    value,
    name: field.name,
    required: field.required && !saved,
    placeholder: saved ? "saved; leave empty to keep" : field.placeholder,
    onChange: (event: { target: { value: string } }) => onChange(event.target.value),
  };
  return (
    <div className="form-field" style={{ display: "grid", gap: "0.25rem" }}>
      <label htmlFor={id}>{field.label}</label>
      {field.type === "select" ? (
        <select {...common}>
          {field.options?.map((option) => (
            <option key={option} value={option}>
              {option === "starttls" ? "STARTTLS" : option === "tls" ? "TLS from the start" : "None"}
            </option>
          ))}
        </select>
      ) : field.type === "textarea" ? (
        <textarea {...common} rows={4} />
      ) : (
        <input
          {...common}
          type={field.type === "password" ? "password" : field.type === "number" ? "number" : "text"}
          inputMode={field.type === "url" ? "url" : undefined}
          autoComplete={field.type === "password" ? "new-password" : "off"}
        />
      )}
      {saved ? <span className="hint">Saved; leave empty to keep it.</span> : null}
      {field.hint ? <span className="hint">{field.hint}</span> : null}
    </div>
  );
}
