"use client";

import { humanize } from "~/lib/format";

type Choice<Value extends string> = Value | { value: Value; label: string };

/**
 * A filter select: "Any" (no filter, an empty value) and one entry per allowed value. The one place the
 * dashboard's "Any + enum" selects are written.
 */
export function EnumFilter<Value extends string>({
  label,
  value,
  options,
  onChange,
  anyLabel = "Any",
  labelOf = humanize,
}: {
  label: string;
  value: Value | undefined;
  options: readonly Choice<Value>[];
  onChange: (value: Value | null) => void;
  anyLabel?: string | null;
  labelOf?: (value: Value) => string;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <select
        value={value ?? ""}
        onChange={(event) => onChange(event.target.value === "" ? null : (event.target.value as Value))}
      >
        {anyLabel === null ? null : <option value="">{anyLabel}</option>}
        {options.map((option) => {
          const choice = typeof option === "string" ? { value: option, label: labelOf(option) } : option;
          return (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          );
        })}
      </select>
    </label>
  );
}
