"use client";

/** A checkbox beside its words (the form's labels otherwise stack a field under its name). */
export function PolicyCheckOption({
  label,
  checked,
  onChange,
}: {
  label: string;
  checked: boolean;
  onChange: (on: boolean) => void;
}) {
  return (
    <label
      style={{
        display: "inline-flex",
        alignItems: "center",
        gap: "0.4rem",
        fontWeight: 400,
        marginRight: "1rem",
      }}
    >
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} />
      {label}
    </label>
  );
}

/** A group of options without the browser's frame around it. */
export const policyFieldsetStyle = { border: "none", padding: 0, margin: 0, display: "grid", gap: "0.35rem" };
