"use client";

import { humanize } from "~/lib/format";
import { choosableEvents, type TargetFormState } from "./notification-draft";
import { PolicyCheckOption, policyFieldsetStyle } from "./policy-check-option";

/** What a target hears: the events it wants, and the agent tags it is limited to. */
export function NotificationAudienceFields({
  form,
  onChange,
}: {
  form: TargetFormState;
  onChange: (patch: Partial<TargetFormState>) => void;
}) {
  return (
    <>
      <fieldset style={policyFieldsetStyle}>
        <legend className="strong">Events</legend>
        <div>
          {choosableEvents.map((event) => (
            <PolicyCheckOption
              key={event}
              label={humanize(event)}
              checked={form.events.includes(event)}
              onChange={(on) =>
                onChange({
                  events: on ? [...form.events, event] : form.events.filter((item) => item !== event),
                })
              }
            />
          ))}
        </div>
      </fieldset>
      <label>
        Agent tags
        <input
          value={form.tags}
          placeholder="e.g. web, production"
          onChange={(event) => onChange({ tags: event.target.value })}
        />
        <span className="hint">
          Comma-separated: only events about agents carrying one of them. Empty: every agent.
        </span>
      </label>
    </>
  );
}
