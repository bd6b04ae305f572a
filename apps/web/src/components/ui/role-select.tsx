"use client";

import { type Role, roles } from "@redflag/contracts";
import { useId } from "react";

/** The role picker of the token and user forms and of each user's row. */
export function RoleSelect({
  label,
  name,
  value,
  defaultValue,
  onChange,
  disabled,
  ariaLabel,
}: {
  /** Shown above the select, as the form's other fields are. */
  label?: string;
  name?: string;
  value?: Role;
  defaultValue?: Role;
  onChange?: (role: Role) => void;
  disabled?: boolean;
  ariaLabel?: string;
}) {
  const id = useId();
  const select = (
    <select
      id={id}
      name={name}
      value={value}
      defaultValue={defaultValue}
      disabled={disabled}
      aria-label={ariaLabel}
      onChange={onChange ? (event) => onChange(event.target.value as Role) : undefined}
    >
      {roles.map((role) => (
        <option key={role} value={role}>
          {role}
        </option>
      ))}
    </select>
  );
  return label ? (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {select}
    </div>
  ) : (
    select
  );
}
