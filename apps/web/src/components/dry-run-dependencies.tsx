"use client";

import { dryRunResultSchema } from "@redflag/contracts";
import { humanize } from "~/lib/format";

/** The packages a dry run says an install would touch, or the agent's raw output if it said no more. */
export function DryRunDependencies({
  result,
  output,
}: {
  result: Record<string, unknown> | null;
  output: string | null;
}) {
  const parsed = dryRunResultSchema.safeParse(result ?? {});
  if (!parsed.success) {
    return output ? (
      <pre className="output">{output}</pre>
    ) : (
      <p className="muted">The agent reported no details.</p>
    );
  }
  const { dependencies } = parsed.data;
  if (dependencies.length === 0) {
    return <p className="muted">Nothing else would change: no extra packages are pulled in.</p>;
  }
  return (
    <ul className="dependency-list">
      {dependencies.map((dependency) => (
        <li key={`${dependency.packageName}-${dependency.action}`}>
          <span className={`dependency-action ${dependency.action}`}>{humanize(dependency.action)}</span>{" "}
          <strong>{dependency.packageName}</strong>
          {dependency.version ? <span className="mono"> {dependency.version}</span> : null}
          {dependency.requiredBy ? <span className="muted"> (for {dependency.requiredBy})</span> : null}
        </li>
      ))}
    </ul>
  );
}
