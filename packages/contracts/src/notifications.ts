import { z } from "zod";
import {
  notificationDeliveryStatusSchema,
  notificationEventSchema,
  notificationKindSchema,
} from "./automation.ts";
import { idSchema } from "./ids.ts";
import { boundedText, int32, nameText, timestamp, tokenText } from "./primitives.ts";

/** A URL a notification is sent to: http or https only (no file:, no javascript:, no credentials in it). */
export const notificationUrlSchema = z
  .string()
  .trim()
  .max(2000)
  .superRefine((value, context) => {
    const url = URL.canParse(value) ? new URL(value) : null;
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
      context.addIssue({ code: "custom", message: "must be an http:// or https:// URL" });
    } else if (url.username || url.password) {
      context.addIssue({
        code: "custom",
        message: "must not carry a user name or password (use the token fields)",
      });
    }
  });

const emailAddressSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: "must be an e-mail address" }));

/** An agent tag as agents carry them. */
const targetTagSchema = nameText(64)
  .min(1)
  .regex(/^[a-zA-Z0-9._:-]+$/, { message: "may contain only letters, digits and . _ : -" });

/** What each kind keeps in the clear (shown again in the form). */
export const notificationConfigSchemas = {
  ntfy: z.strictObject({
    serverUrl: notificationUrlSchema,
    topic: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "must be 1–64 letters, digits, _ or -" }),
    priority: int32().min(1).max(5).default(3),
  }),
  gotify: z.strictObject({
    serverUrl: notificationUrlSchema,
    priority: int32().min(0).max(10).default(5),
  }),
  discord: z.strictObject({}),
  slack: z.strictObject({}),
  webhook: z.strictObject({ url: notificationUrlSchema }),
  email: z.strictObject({
    host: z
      .string()
      .trim()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.:[\]-]+$/, { message: "must be a host name or an IP address" }),
    port: int32().min(1).max(65_535),
    /** `starttls` upgrades a plain connection (port 587), `tls` is TLS from the start (465), `none` neither. */
    security: z.enum(["starttls", "tls", "none"]),
    from: emailAddressSchema,
    to: z.array(emailAddressSchema).min(1, { message: "needs at least one address" }).max(20),
    username: nameText(254, { trim: true }).optional(),
    /** A private CA's certificate (PEM) the mail server's certificate is checked against. */
    caCertificate: boundedText(20_000)
      .refine((value) => value.includes("-----BEGIN CERTIFICATE-----"), {
        message: "must be a PEM certificate",
      })
      .optional(),
  }),
} as const;

const secretText = tokenText(1, 2000);

/** What each kind keeps encrypted and never shows again. A field left out of an update is kept; null clears it. */
export const notificationSecretSchemas = {
  ntfy: z.strictObject({ accessToken: secretText.nullable().optional() }),
  gotify: z.strictObject({ appToken: secretText.optional() }),
  discord: z.strictObject({ webhookUrl: notificationUrlSchema.optional() }),
  slack: z.strictObject({ webhookUrl: notificationUrlSchema.optional() }),
  webhook: z.strictObject({ signingSecret: tokenText(16, 200).optional() }),
  email: z.strictObject({ password: z.string().min(1).max(500).nullable().optional() }),
} as const;

/** Secrets a target cannot work without. */
export const requiredNotificationSecrets = {
  ntfy: [],
  gotify: ["appToken"],
  discord: ["webhookUrl"],
  slack: ["webhookUrl"],
  webhook: ["signingSecret"],
  email: [],
} as const satisfies Record<z.infer<typeof notificationKindSchema>, readonly string[]>;

const commonTargetFields = {
  name: nameText(100, { trim: true }).min(1, { message: "must not be empty" }),
  enabled: z.boolean().default(true),
  events: z.array(notificationEventSchema).max(20).default([]),
  /** Only events about agents carrying one of these tags; empty: every agent. */
  tags: z.array(targetTagSchema).max(50).default([]),
};

/** A target as the form sends it (create, or update by id). */
export const notificationTargetDraftSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("ntfy"),
    ...commonTargetFields,
    config: notificationConfigSchemas.ntfy,
    secrets: notificationSecretSchemas.ntfy.default({}),
  }),
  z.object({
    kind: z.literal("gotify"),
    ...commonTargetFields,
    config: notificationConfigSchemas.gotify,
    secrets: notificationSecretSchemas.gotify.default({}),
  }),
  z.object({
    kind: z.literal("discord"),
    ...commonTargetFields,
    config: notificationConfigSchemas.discord,
    secrets: notificationSecretSchemas.discord.default({}),
  }),
  z.object({
    kind: z.literal("slack"),
    ...commonTargetFields,
    config: notificationConfigSchemas.slack,
    secrets: notificationSecretSchemas.slack.default({}),
  }),
  z.object({
    kind: z.literal("webhook"),
    ...commonTargetFields,
    config: notificationConfigSchemas.webhook,
    secrets: notificationSecretSchemas.webhook.default({}),
  }),
  z.object({
    kind: z.literal("email"),
    ...commonTargetFields,
    config: notificationConfigSchemas.email,
    secrets: notificationSecretSchemas.email.default({}),
  }),
]);
export type NotificationTargetDraft = z.infer<typeof notificationTargetDraftSchema>;

export const createNotificationTargetInput = z.object({ target: notificationTargetDraftSchema });
export const updateNotificationTargetInput = z.object({
  id: idSchema("notificationTarget"),
  target: notificationTargetDraftSchema,
});
export const notificationTargetIdInput = z.object({ id: idSchema("notificationTarget") });

/** A target as the API answers: its secrets only by name, when set. */
export const notificationTargetSchema = z.object({
  id: idSchema("notificationTarget"),
  name: z.string(),
  kind: notificationKindSchema,
  enabled: z.boolean(),
  events: z.array(notificationEventSchema),
  tags: z.array(z.string()),
  config: z.record(z.string(), z.unknown()),
  secretsSet: z.array(z.string()),
  /** The stored secrets no longer open (the server secret changed): they must be entered again. */
  secretsUnreadable: z.boolean(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export type NotificationTarget = z.infer<typeof notificationTargetSchema>;
export const listNotificationTargetsOutput = z.array(notificationTargetSchema);

export const listNotificationDeliveriesInput = z.object({
  status: notificationDeliveryStatusSchema.optional(),
  targetId: idSchema("notificationTarget").optional(),
  page: int32().min(1).max(100_000).default(1),
  pageSize: int32().min(1).max(200).default(50),
});
export const notificationDeliverySchema = z.object({
  id: idSchema("notificationDelivery"),
  targetId: idSchema("notificationTarget"),
  targetName: z.string(),
  event: notificationEventSchema,
  title: z.string(),
  status: notificationDeliveryStatusSchema,
  attempts: z.number().int(),
  nextAttemptAt: timestamp(),
  lastError: z.string().nullable(),
  responseStatus: z.number().int().nullable(),
  createdAt: timestamp(),
  sentAt: timestamp().nullable(),
});
export type NotificationDelivery = z.infer<typeof notificationDeliverySchema>;
export const listNotificationDeliveriesOutput = z.object({
  rows: z.array(notificationDeliverySchema),
  total: z.number().int(),
});

/** What "Send test" answers: sent, or why not (the target's status code or error). */
export const sendTestNotificationOutput = z.object({
  deliveryId: idSchema("notificationDelivery"),
  ok: z.boolean(),
  responseStatus: z.number().int().nullable(),
  error: z.string().nullable(),
});
