"use client";

import type { RebootPolicy } from "@redflag/contracts";
import type { WindowFormState } from "./window-draft";

type Change = (patch: Partial<WindowFormState>) => void;

function TextField({
  label,
  hint,
  value,
  onChange,
  inputMode,
}: {
  label: string;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
  inputMode?: "numeric";
}) {
  return (
    <label>
      {label}
      <input value={value} inputMode={inputMode} onChange={(event) => onChange(event.target.value)} />
      {hint ? <span className="hint">{hint}</span> : null}
    </label>
  );
}

/** When the window opens and for whom. */
export function WindowTimingFields({ form, onChange }: { form: WindowFormState; onChange: Change }) {
  return (
    <>
      <TextField
        label="Schedule (cron)"
        hint="Five fields: minute hour day-of-month month day-of-week. 0 3 * * 0 opens every Sunday at 03:00."
        value={form.schedule}
        onChange={(schedule) => onChange({ schedule })}
      />
      <TextField
        label="Time zone"
        hint="An IANA name such as Europe/Berlin or UTC; daylight saving is followed (a skipped or repeated hour opens once)."
        value={form.timeZone}
        onChange={(timeZone) => onChange({ timeZone })}
      />
      <TextField
        label="Duration (minutes)"
        inputMode="numeric"
        value={form.durationMinutes}
        onChange={(durationMinutes) => onChange({ durationMinutes })}
      />
      <TextField
        label="Agent tags"
        hint="Agents carrying any of these tags (comma separated)."
        value={form.tags}
        onChange={(tags) => onChange({ tags })}
      />
      <TextField
        label="Agent ids"
        hint="Or these agents. Leave both empty for every agent."
        value={form.agentIds}
        onChange={(agentIds) => onChange({ agentIds })}
      />
    </>
  );
}

/** What the window does on each host. */
export function WindowActionFields({ form, onChange }: { form: WindowFormState; onChange: Change }) {
  return (
    <>
      <fieldset className="action-row">
        <legend>At each opening</legend>
        <label className="field inline">
          <input
            type="checkbox"
            checked={form.scan}
            onChange={(event) => onChange({ scan: event.target.checked })}
          />
          <span>Scan at opening</span>
        </label>
        <label className="field inline">
          <input
            type="checkbox"
            checked={form.installApproved}
            onChange={(event) => onChange({ installApproved: event.target.checked })}
          />
          <span>Install approved updates</span>
        </label>
      </fieldset>
      <label>
        Reboot
        <select
          value={form.reboot}
          onChange={(event) => onChange({ reboot: event.target.value as RebootPolicy })}
        >
          <option value="never">Never</option>
          <option value="if_required">If the host reports it needs one after installing</option>
          <option value="always">Always after installing</option>
        </select>
      </label>
      <TextField
        label="Hosts rebooting at once (at most)"
        inputMode="numeric"
        value={form.maxConcurrentReboots}
        onChange={(maxConcurrentReboots) => onChange({ maxConcurrentReboots })}
      />
      <TextField
        label="Catch-up grace (minutes)"
        hint="A host offline through the window does its work this long after it returns; 0 waits for the next window."
        inputMode="numeric"
        value={form.catchUpGraceMinutes}
        onChange={(catchUpGraceMinutes) => onChange({ catchUpGraceMinutes })}
      />
      <TextField
        label="Pre-download (minutes before)"
        hint="Approved apt, dnf and Docker updates are downloaded to the hosts this long before each opening (apt-get install -d, dnf --downloadonly, docker pull), so the window only installs; 0 turns it off."
        inputMode="numeric"
        value={form.preDownloadMinutes}
        onChange={(preDownloadMinutes) => onChange({ preDownloadMinutes })}
      />
    </>
  );
}
