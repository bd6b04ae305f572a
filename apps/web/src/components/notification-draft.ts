import {
  type NotificationKind,
  type NotificationTarget,
  type NotificationTargetDraft,
  notificationEvents,
} from "@redflag/contracts";

/** A field of a target's form; `secret` fields are write-only (never shown again once saved). */
export type TargetField = {
  name: string;
  label: string;
  type?: "url" | "text" | "number" | "email-list" | "select" | "textarea" | "password";
  options?: readonly string[];
  placeholder?: string;
  hint?: string;
  required?: boolean;
  initial?: string;
};

export const kindLabels: Record<NotificationKind, string> = {
  ntfy: "ntfy",
  gotify: "Gotify",
  discord: "Discord",
  slack: "Slack (incoming webhook)",
  webhook: "Webhook (signed JSON)",
  email: "E-mail (SMTP)",
};

export const configFields: Record<NotificationKind, TargetField[]> = {
  ntfy: [
    { name: "serverUrl", label: "Server URL", type: "url", required: true, initial: "https://ntfy.sh" },
    { name: "topic", label: "Topic", required: true, placeholder: "redflag-alerts" },
    { name: "priority", label: "Priority (1–5)", type: "number", initial: "3" },
  ],
  gotify: [
    {
      name: "serverUrl",
      label: "Server URL",
      type: "url",
      required: true,
      placeholder: "https://gotify.example.com",
    },
    { name: "priority", label: "Priority (0–10)", type: "number", initial: "5" },
  ],
  discord: [],
  slack: [],
  webhook: [
    {
      name: "url",
      label: "URL",
      type: "url",
      required: true,
      hint: "Signed as docs/notifications.md describes.",
    },
  ],
  email: [
    { name: "host", label: "SMTP server", required: true, placeholder: "smtp.example.com" },
    { name: "port", label: "Port", type: "number", required: true, initial: "587" },
    {
      name: "security",
      label: "Security",
      type: "select",
      options: ["starttls", "tls", "none"],
      initial: "starttls",
    },
    { name: "from", label: "From", required: true, placeholder: "redflag@example.com" },
    { name: "to", label: "To", type: "email-list", required: true, hint: "Comma-separated addresses." },
    { name: "username", label: "User name (optional)" },
    { name: "caCertificate", label: "CA certificate (optional, PEM)", type: "textarea" },
  ],
};

export const secretFields: Record<NotificationKind, TargetField[]> = {
  ntfy: [{ name: "accessToken", label: "Access token (optional)", type: "password" }],
  gotify: [{ name: "appToken", label: "Application token", type: "password", required: true }],
  discord: [{ name: "webhookUrl", label: "Webhook URL", type: "password", required: true }],
  slack: [{ name: "webhookUrl", label: "Webhook URL", type: "password", required: true }],
  webhook: [
    { name: "signingSecret", label: "Signing secret (16+ characters)", type: "password", required: true },
  ],
  email: [{ name: "password", label: "Password (optional)", type: "password" }],
};

/** Events an admin can choose ("test" is only what Send test sends). */
export const choosableEvents = notificationEvents.filter((event) => event !== "test");

export type TargetFormState = {
  kind: NotificationKind;
  name: string;
  enabled: boolean;
  events: string[];
  tags: string;
  config: Record<string, string>;
  secrets: Record<string, string>;
};

export function emptyTargetForm(kind: NotificationKind): TargetFormState {
  const config = Object.fromEntries(configFields[kind].map((field) => [field.name, field.initial ?? ""]));
  return { kind, name: "", enabled: true, events: [], tags: "", config, secrets: {} };
}

export function formOf(target: NotificationTarget): TargetFormState {
  const config = Object.fromEntries(
    configFields[target.kind].map((field) => {
      const value = target.config[field.name];
      return [field.name, Array.isArray(value) ? value.join(", ") : value === undefined ? "" : String(value)];
    }),
  );
  return { ...target, tags: target.tags.join(", "), config, secrets: {} };
}

function list(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** The draft the API validates: empty optional fields left out, empty secrets left out (kept as saved). */
export function draftOf(form: TargetFormState): NotificationTargetDraft {
  const config: Record<string, unknown> = {};
  for (const field of configFields[form.kind]) {
    const value = (form.config[field.name] ?? "").trim();
    if (value === "" && !field.required) continue;
    config[field.name] =
      field.type === "number" ? Number(value) : field.type === "email-list" ? list(value) : value;
  }
  const secrets = Object.fromEntries(Object.entries(form.secrets).filter(([, value]) => value !== ""));
  return {
    kind: form.kind,
    name: form.name,
    enabled: form.enabled,
    events: form.events,
    tags: list(form.tags),
    config,
    secrets,
  } as NotificationTargetDraft;
}
