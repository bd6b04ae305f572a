"use client";

import { packageTypes, severities } from "@redflag/contracts";
import { humanize, packageTypeLabel } from "~/lib/format";
import { PolicyCheckOption, policyFieldsetStyle } from "./policy-check-option";
import type { PolicyFormState } from "./policy-draft";

function toggled<Value>(list: Value[], value: Value, on: boolean): Value[] {
  return on ? [...list, value] : list.filter((item) => item !== value);
}

/** What a policy matches: each list left empty matches everything. */
export function PolicyMatchFields({
  form,
  onChange,
}: {
  form: PolicyFormState;
  onChange: (patch: Partial<PolicyFormState>) => void;
}) {
  return (
    <>
      <fieldset style={policyFieldsetStyle}>
        <legend className="strong">Package types (none: all)</legend>
        <div>
          {packageTypes.map((type) => (
            <PolicyCheckOption
              key={type}
              label={packageTypeLabel(type)}
              checked={form.packageTypes.includes(type)}
              onChange={(on) => onChange({ packageTypes: toggled(form.packageTypes, type, on) })}
            />
          ))}
        </div>
      </fieldset>
      <fieldset style={policyFieldsetStyle}>
        <legend className="strong">Severities (none: all)</legend>
        <div>
          {severities.map((severity) => (
            <PolicyCheckOption
              key={severity}
              label={humanize(severity)}
              checked={form.severities.includes(severity)}
              onChange={(on) => onChange({ severities: toggled(form.severities, severity, on) })}
            />
          ))}
        </div>
      </fieldset>
      <PolicyCheckOption
        label="Security updates only"
        checked={form.securityOnly}
        onChange={(on) => onChange({ securityOnly: on })}
      />
      <label>
        Package names
        <input
          value={form.packagePatterns}
          placeholder="e.g. openssl, linux-image-*"
          onChange={(event) => onChange({ packagePatterns: event.target.value })}
        />
        <span className="hint">
          Comma-separated; * any characters, ? one character; case-sensitive. Empty: every package.
        </span>
      </label>
      <label>
        Except
        <input
          value={form.excludePatterns}
          placeholder="e.g. postgresql-*"
          onChange={(event) => onChange({ excludePatterns: event.target.value })}
        />
      </label>
      <label>
        Agent tags
        <input
          value={form.tags}
          placeholder="e.g. web, staging"
          onChange={(event) => onChange({ tags: event.target.value })}
        />
      </label>
      <label>
        Agent ids
        <input
          value={form.agentIds}
          placeholder="agt_…"
          onChange={(event) => onChange({ agentIds: event.target.value })}
        />
        <span className="hint">Agents carrying any of the tags or named here; both empty: every agent.</span>
      </label>
      <label>
        Minimum age (hours)
        <input
          type="number"
          min={0}
          max={8760}
          value={form.minAgeHours}
          onChange={(event) => onChange({ minAgeHours: event.target.value })}
        />
        <span className="hint">An update is matched only this long after it was first seen (soak time).</span>
      </label>
    </>
  );
}
