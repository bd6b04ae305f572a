"use client";

import { dryRunResultSchema } from "@redflag/contracts";
import { humanize, packageTypeLabel } from "~/lib/format";

/** What a dry run says an install would change, dependencies included; else the agent's raw output. */
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
  const plans = Object.entries(parsed.data.plans);
  if (plans.length === 0) return <p className="muted">The agent reported no changes.</p>;
  return (
    <div className="dry-run-plans">
      {plans.map(([packageType, plan]) => (
        <div key={packageType}>
          {plans.length > 1 ? <h4>{packageTypeLabel(packageType)}</h4> : null}
          {"error" in plan ? (
            <p className="form-error">{plan.error}</p>
          ) : plan.changes.length === 0 ? (
            <p className="muted">Nothing would change.</p>
          ) : (
            <ul className="dependency-list">
              {plan.changes.map((change) => (
                <li key={`${change.action}-${change.packageName}`}>
                  <span className={`dependency-action ${change.action}`}>{humanize(change.action)}</span>{" "}
                  <strong>{change.packageName}</strong>{" "}
                  <span className="mono">
                    {change.currentVersion ?? ""}
                    {change.currentVersion && change.newVersion ? " → " : ""}
                    {change.newVersion ?? ""}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
    </div>
  );
}
