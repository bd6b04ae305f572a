import type { ReactNode } from "react";

/** A labelled value of a record (a host's OS, a command's attempt): wraps long values instead of overflowing. */
export function Fact({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        {typeof value === "string" ? <bdi title={value.length > 40 ? value : undefined}>{value}</bdi> : value}
      </dd>
    </div>
  );
}
