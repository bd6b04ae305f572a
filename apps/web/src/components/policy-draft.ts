import type { PackageType, PolicyAction, PolicyDraft, Severity } from "@redflag/contracts";

/** The policy form as typed: lists as text, numbers as text, until they are sent. */
export type PolicyFormState = {
  name: string;
  action: PolicyAction;
  packageTypes: PackageType[];
  severities: Severity[];
  securityOnly: boolean;
  packagePatterns: string;
  excludePatterns: string;
  tags: string;
  agentIds: string;
  minAgeHours: string;
  stages: { tags: string; soakMinutes: string }[];
};

export const emptyPolicyForm: PolicyFormState = {
  name: "",
  action: "approve",
  packageTypes: [],
  severities: [],
  securityOnly: false,
  packagePatterns: "",
  excludePatterns: "",
  tags: "",
  agentIds: "",
  minAgeHours: "0",
  stages: [],
};

/** Words separated by commas or white space: patterns, tags, agent ids. */
export function wordsOf(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

function numberOf(text: string): number {
  const value = Number(text.trim() === "" ? "0" : text);
  return Number.isFinite(value) ? value : Number.NaN;
}

/** What the server validates (and answers with a message naming the field when it refuses). */
export function draftOf(form: PolicyFormState): PolicyDraft {
  return {
    name: form.name,
    action: form.action,
    packageTypes: form.packageTypes,
    severities: form.severities,
    securityOnly: form.securityOnly,
    packagePatterns: wordsOf(form.packagePatterns),
    excludePatterns: wordsOf(form.excludePatterns),
    tags: wordsOf(form.tags),
    agentIds: wordsOf(form.agentIds) as PolicyDraft["agentIds"],
    minAgeHours: numberOf(form.minAgeHours),
    stages:
      form.action === "approve"
        ? form.stages.map((stage) => ({
            tags: wordsOf(stage.tags),
            soakMinutes: numberOf(stage.soakMinutes),
          }))
        : [],
  };
}

export function formOf(policy: PolicyDraft): PolicyFormState {
  return {
    name: policy.name,
    action: policy.action,
    packageTypes: policy.packageTypes,
    severities: policy.severities,
    securityOnly: policy.securityOnly,
    packagePatterns: policy.packagePatterns.join(", "),
    excludePatterns: policy.excludePatterns.join(", "),
    tags: policy.tags.join(", "),
    agentIds: policy.agentIds.join(", "),
    minAgeHours: String(policy.minAgeHours),
    stages: policy.stages.map((stage) => ({
      tags: stage.tags.join(", "),
      soakMinutes: String(stage.soakMinutes),
    })),
  };
}

/** "security, critical or important, linux-image-* except …, on tags web": what a policy matches, in a line. */
export function matchSummary(policy: PolicyDraft): string {
  const parts: string[] = [];
  if (policy.securityOnly) parts.push("security");
  if (policy.severities.length > 0) parts.push(policy.severities.join(" or "));
  if (policy.packageTypes.length > 0) parts.push(policy.packageTypes.join(" or "));
  parts.push(policy.packagePatterns.length > 0 ? policy.packagePatterns.join(", ") : "any package");
  if (policy.excludePatterns.length > 0) parts.push(`except ${policy.excludePatterns.join(", ")}`);
  const scope = [
    ...(policy.tags.length > 0 ? [`tags ${policy.tags.join(", ")}`] : []),
    ...(policy.agentIds.length > 0 ? [`${policy.agentIds.length} named agents`] : []),
  ];
  parts.push(scope.length > 0 ? `on ${scope.join(" or ")}` : "on every agent");
  if (policy.minAgeHours > 0) parts.push(`after ${policy.minAgeHours} h`);
  if (policy.stages.length > 0) parts.push(`in ${policy.stages.length} stages`);
  return parts.join(", ");
}
