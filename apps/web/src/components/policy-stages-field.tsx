"use client";

import { policyFieldsetStyle } from "./policy-check-option";
import type { PolicyFormState } from "./policy-draft";

type Stage = PolicyFormState["stages"][number];

/**
 * The stages of a staged rollout: each package version is approved on the first stage's agents, and
 * on the next stage's only once every install of the stage succeeded and its soak time passed.
 */
export function PolicyStagesField({
  stages,
  onChange,
}: {
  stages: Stage[];
  onChange: (stages: Stage[]) => void;
}) {
  const set = (index: number, patch: Partial<Stage>) =>
    onChange(stages.map((stage, at) => (at === index ? { ...stage, ...patch } : stage)));
  return (
    <fieldset style={policyFieldsetStyle}>
      <legend className="strong">Staged rollout</legend>
      <p className="hint">
        {stages.length === 0
          ? "No stages: everything matched is approved at once."
          : "A failed install stops the version's rollout until an admin resumes it. The last stage may have no tags: every other matched agent."}
      </p>
      {stages.map((stage, index) => (
        // Stages have no identity of their own but their place.
        // biome-ignore lint/suspicious/noArrayIndexKey: a stage is its position in the list
        <div className="action-row" key={index}>
          <label className="field">
            <span>Stage {index + 1} tags</span>
            <input
              value={stage.tags}
              placeholder={index === stages.length - 1 ? "empty: everyone else" : "e.g. canary"}
              onChange={(event) => set(index, { tags: event.target.value })}
            />
          </label>
          <label className="field">
            <span>Soak (minutes)</span>
            <input
              type="number"
              min={0}
              value={stage.soakMinutes}
              onChange={(event) => set(index, { soakMinutes: event.target.value })}
            />
          </label>
          <button
            type="button"
            className="button small"
            onClick={() => onChange(stages.filter((_, at) => at !== index))}
            aria-label={`Remove stage ${index + 1}`}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="button small"
        onClick={() => onChange([...stages, { tags: "", soakMinutes: "60" }])}
      >
        Add stage
      </button>
    </fieldset>
  );
}
