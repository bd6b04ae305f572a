import { z } from "zod";
import { policyActionSchema, rolloutStatusSchema } from "./automation.ts";
import { packageTypeSchema, severitySchema } from "./enums.ts";
import { idSchema } from "./ids.ts";
import { int32, nameText } from "./primitives.ts";

/**
 * A package name pattern: `*` any run of characters (`/` and `.` included, so `library/*` matches an
 * image and `*` every name), `?` exactly one character, everything else itself, case-sensitive.
 * Brackets, braces and backslashes are refused rather than taken literally, so a pattern written for
 * another glob dialect (`linux-image-[0-9]*`, `{a,b}`) never silently means something else.
 */
export const packagePatternSchema = nameText(200)
  .min(1, { message: "must not be empty" })
  .refine((pattern) => !/[[\]{}\\]/.test(pattern), {
    message: "may use only * and ? as wildcards ([ ] { } and \\ are not supported)",
  })
  .refine((pattern) => pattern.trim() === pattern, {
    message: "must not start or end with spaces",
  });

/** An agent tag as agents carry them. */
export const policyTagSchema = nameText(64)
  .min(1)
  .regex(/^[a-zA-Z0-9._:-]+$/, { message: "may contain only letters, digits and . _ : -" });

export const rolloutStageSchema = z.object({
  /** Agents carrying any of these tags; empty on the last stage only: every matched agent left. */
  tags: z.array(policyTagSchema).max(20),
  /** How long after the stage's last install finished before the next stage starts. */
  soakMinutes: int32()
    .min(0)
    .max(60 * 24 * 30),
});
export type RolloutStageInput = z.infer<typeof rolloutStageSchema>;

const policyFields = {
  name: nameText(100, { trim: true }).min(1, { message: "must not be empty" }),
  action: policyActionSchema,
  packageTypes: z.array(packageTypeSchema).max(5).default([]),
  severities: z.array(severitySchema).max(5).default([]),
  securityOnly: z.boolean().default(false),
  packagePatterns: z.array(packagePatternSchema).max(50).default([]),
  excludePatterns: z.array(packagePatternSchema).max(50).default([]),
  tags: z.array(policyTagSchema).max(50).default([]),
  agentIds: z.array(idSchema("agent")).max(1000).default([]),
  minAgeHours: int32()
    .min(0)
    .max(24 * 365)
    .default(0),
  stages: z.array(rolloutStageSchema).max(10).default([]),
};

/** A policy as written in the form: saved or not yet. Stage rules are checked across fields. */
export const policyDraftSchema = z.object(policyFields).superRefine((draft, context) => {
  if (draft.stages.length > 0 && draft.action !== "approve") {
    context.addIssue({ code: "custom", path: ["stages"], message: "only an approve policy has stages" });
  }
  draft.stages.forEach((stage, index) => {
    if (stage.tags.length === 0 && index !== draft.stages.length - 1) {
      context.addIssue({
        code: "custom",
        path: ["stages", index, "tags"],
        message: "only the last stage may have no tags (every other matched agent)",
      });
    }
  });
});
export type PolicyDraft = z.infer<typeof policyDraftSchema>;

export const createPolicyInput = z.object({ policy: policyDraftSchema, enabled: z.boolean().default(false) });
export const updatePolicyInput = z.object({ policyId: idSchema("policy"), policy: policyDraftSchema });
export const policyIdInput = z.object({ policyId: idSchema("policy") });
export const setPolicyEnabledInput = z.object({ policyId: idSchema("policy"), enabled: z.boolean() });

export const policySchema = z.object({
  id: idSchema("policy"),
  name: z.string(),
  enabled: z.boolean(),
  action: policyActionSchema,
  packageTypes: z.array(packageTypeSchema),
  severities: z.array(severitySchema),
  securityOnly: z.boolean(),
  packagePatterns: z.array(z.string()),
  excludePatterns: z.array(z.string()),
  tags: z.array(z.string()),
  agentIds: z.array(idSchema("agent")),
  minAgeHours: z.number().int(),
  stages: z.array(z.object({ tags: z.array(z.string()), soakMinutes: z.number().int() })),
  lastRunAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export const policySummarySchema = policySchema.extend({
  /** Updates this hold policy holds now. */
  heldCount: z.number().int(),
  /** Updates this approve policy approved in the last seven days. */
  approvedRecently: z.number().int(),
});
export const listPoliciesOutput = z.array(policySummarySchema);

/** "Would approve N updates on M hosts now", with the first rows. Same query as the policy run. */
export const previewPolicyInput = z.object({ policy: policyDraftSchema });
export const policyPreviewRowSchema = z.object({
  updateId: idSchema("update"),
  agentId: idSchema("agent"),
  hostname: z.string(),
  packageType: packageTypeSchema,
  packageName: z.string(),
  currentVersion: z.string().nullable(),
  availableVersion: z.string(),
  severity: severitySchema,
  security: z.boolean(),
});
export const previewPolicyOutput = z.object({
  action: policyActionSchema,
  total: z.number().int(),
  hosts: z.number().int(),
  rows: z.array(policyPreviewRowSchema),
  /** For a staged policy: how many of `total` the first stage would approve now. */
  firstStage: z.number().int().nullable(),
});
export type PolicyPreview = z.infer<typeof previewPolicyOutput>;

export const listRolloutsInput = z.object({
  policyId: idSchema("policy").optional(),
  status: rolloutStatusSchema.optional(),
});
export const rolloutSummarySchema = z.object({
  id: idSchema("rollout"),
  policyId: idSchema("policy"),
  policyName: z.string(),
  packageType: packageTypeSchema,
  packageName: z.string(),
  availableVersion: z.string(),
  stage: z.number().int(),
  stageCount: z.number().int(),
  stageStartedAt: z.date(),
  status: rolloutStatusSchema,
  stoppedReason: z.string().nullable(),
  updatedAt: z.date(),
});
export const listRolloutsOutput = z.array(rolloutSummarySchema);
export const rolloutIdInput = z.object({ rolloutId: idSchema("rollout") });
