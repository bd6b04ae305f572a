import { z } from "zod";
import { idSchema } from "./ids.ts";
import { int32, nameText } from "./primitives.ts";

/**
 * A proxy or mirror address: http or https, a host and maybe a port, nothing else. No user name or
 * password: the agent passes the address in argv (`-o Acquire::http::Proxy=…`, `--setopt=proxy=…`),
 * which every local user can read in /proc, and it is shown in command output and logs.
 */
export const downloadServerUrlSchema = z
  .string()
  .trim()
  .max(500)
  .transform((value, context) => {
    const url = URL.canParse(value) ? new URL(value) : null;
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
      context.addIssue({ code: "custom", message: "must be an http:// or https:// URL" });
      return z.NEVER;
    }
    if (url.username || url.password) {
      context.addIssue({
        code: "custom",
        message: "must not carry a user name or password (agents pass it on the command line)",
      });
      return z.NEVER;
    }
    if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
      context.addIssue({
        code: "custom",
        message: "must be only scheme, host and port, e.g. http://cache:3142",
      });
      return z.NEVER;
    }
    return `${url.protocol}//${url.host}`;
  });

/** The most a profile may allow, in KiB/s (8 GiB/s); the least is 1 KiB/s. */
export const maxDownloadLimitKibPerSecond = 8 * 1024 * 1024;

export const downloadLimitSchema = int32().min(1).max(maxDownloadLimitKibPerSecond);

export const downloadProfileTagSchema = nameText(64)
  .min(1)
  .regex(/^[a-zA-Z0-9._:-]+$/, { message: "may contain only letters, digits and . _ : -" });

export const downloadProfileFields = {
  name: nameText(100, { trim: true }).min(1, { message: "must not be empty" }),
  /** Hosts carrying any of these tags; with `agentIds` empty too, every host. */
  tags: z.array(downloadProfileTagSchema).max(50).default([]),
  agentIds: z.array(idSchema("agent")).max(1000).default([]),
  /** KiB/s for apt (`Acquire::http::Dl-Limit`) and dnf (`throttle`); null: no limit. docker pull has no such knob. */
  limitKibPerSecond: downloadLimitSchema.nullable().default(null),
  /** HTTP proxy for apt, e.g. an apt-cacher-ng (`Acquire::http::Proxy`). */
  aptProxy: downloadServerUrlSchema.nullable().default(null),
  /** Proxy for dnf (`proxy=`). */
  dnfProxy: downloadServerUrlSchema.nullable().default(null),
  /**
   * A Docker Hub registry mirror. Docker applies one only through the engine's own
   * `registry-mirrors` daemon setting, for Docker Hub images only: shown to the admin, never set per pull.
   */
  dockerRegistryMirror: downloadServerUrlSchema.nullable().default(null),
};

export const downloadProfileDraftSchema = z.object(downloadProfileFields);
export type DownloadProfileDraft = z.infer<typeof downloadProfileDraftSchema>;

export const createDownloadProfileInput = downloadProfileDraftSchema;
export const updateDownloadProfileInput = downloadProfileDraftSchema.extend({
  profileId: idSchema("downloadProfile"),
});
export const downloadProfileIdInput = z.object({ profileId: idSchema("downloadProfile") });

export const downloadProfileSchema = z.object({
  id: idSchema("downloadProfile"),
  name: z.string(),
  tags: z.array(z.string()),
  agentIds: z.array(idSchema("agent")),
  limitKibPerSecond: z.number().int().nullable(),
  aptProxy: z.string().nullable(),
  dnfProxy: z.string().nullable(),
  dockerRegistryMirror: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type DownloadProfile = z.infer<typeof downloadProfileSchema>;

/**
 * What an agent applies for one command, carried in the command's signed parameters
 * (`parameters.download`): the host's effective profile when the command was leased.
 */
export const downloadSettingsSchema = z.object({
  profileId: idSchema("downloadProfile"),
  profileName: nameText(100),
  limitKibPerSecond: downloadLimitSchema.nullable(),
  aptProxy: downloadServerUrlSchema.nullable(),
  dnfProxy: downloadServerUrlSchema.nullable(),
  dockerRegistryMirror: downloadServerUrlSchema.nullable(),
});
export type DownloadSettings = z.infer<typeof downloadSettingsSchema>;

/** The parameter key a command carries its download settings under. */
export const downloadSettingsParameter = "download";

export const listDownloadProfilesOutput = z.array(downloadProfileSchema);
export const downloadProfileForAgentInput = z.object({ agentId: idSchema("agent") });
export const downloadProfileForAgentOutput = downloadProfileSchema.nullable();

/** What an agent reports in a `download` command's result: the updates whose packages are now in its cache. */
export const downloadCommandResultSchema = z.object({
  downloaded: z.array(idSchema("update")).max(10_000),
});
export type DownloadCommandResult = z.infer<typeof downloadCommandResultSchema>;
