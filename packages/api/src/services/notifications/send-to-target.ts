import { notificationConfigSchemas } from "@redflag/contracts";
import type { notificationTargets } from "@redflag/db";
import { createTransport } from "nodemailer";
import { type OutgoingMessage, renderHttpRequest } from "./render-message.ts";
import { openSecrets, SealedSecretError } from "./secret-box.ts";

/** How long one attempt may take before it counts as failed (and is retried). */
export const deliveryTimeoutMs = 10_000;

/** What one attempt came to. `permanent`: retrying the same message cannot help (refused, unreadable secrets). */
export type SendOutcome =
  | { ok: true; responseStatus: number | null }
  | { ok: false; responseStatus: number | null; error: string; permanent: boolean };

type Target = Pick<typeof notificationTargets.$inferSelect, "id" | "kind" | "config" | "secretCiphertext">;

/** Sends one message to one target, within `timeoutMs`. Never throws: a failure is an outcome. */
export async function sendToTarget(
  target: Target,
  message: OutgoingMessage,
  options: { serverSecret: string; timeoutMs?: number },
): Promise<SendOutcome> {
  const timeoutMs = options.timeoutMs ?? deliveryTimeoutMs;
  let secrets: Record<string, string>;
  try {
    secrets = openSecrets(options.serverSecret, target.id, target.secretCiphertext);
  } catch (error) {
    if (!(error instanceof SealedSecretError)) throw error;
    return { ok: false, responseStatus: null, error: error.message, permanent: true };
  }
  // Saved through the same schema; read again here, so a row changed by hand fails with a reason, not a crash.
  const config = notificationConfigSchemas[target.kind].safeParse(target.config);
  if (!config.success) {
    return {
      ok: false,
      responseStatus: null,
      error: `The target's settings are not valid (${config.error.issues.map((issue) => `${issue.path.join(".") || "config"}: ${issue.message}`).join("; ")}); edit the target`,
      permanent: true,
    };
  }
  if (target.kind === "email") return sendEmail(config.data, secrets, message, timeoutMs);
  const request = renderHttpRequest(target.kind, config.data, secrets, message);
  if (!URL.canParse(request.url)) {
    return {
      ok: false,
      responseStatus: null,
      error: "The target has no valid URL; edit the target",
      permanent: true,
    };
  }
  try {
    const response = await fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text().catch(() => "");
    if (response.ok) return { ok: true, responseStatus: response.status };
    const status = response.status;
    return {
      ok: false,
      responseStatus: status,
      error: `HTTP ${status} ${response.statusText}${text ? `: ${text.replace(/\s+/g, " ").trim().slice(0, 300)}` : ""}`,
      // A refusal (bad token, unknown topic, bad request) stays one; overload, rate limits and 5xx pass.
      permanent: status >= 400 && status < 500 && ![408, 425, 429].includes(status),
    };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return {
      ok: false,
      responseStatus: null,
      error: timedOut
        ? `No answer within ${timeoutMs / 1000} s`
        : `Could not reach ${new URL(request.url).host}: ${describe(error)}`,
      permanent: false,
    };
  }
}

async function sendEmail(
  config: Record<string, unknown>,
  secrets: Record<string, string>,
  message: OutgoingMessage,
  timeoutMs: number,
): Promise<SendOutcome> {
  const security = config.security as "starttls" | "tls" | "none";
  const username = typeof config.username === "string" && config.username ? config.username : undefined;
  const transport = createTransport({
    host: String(config.host),
    port: Number(config.port),
    secure: security === "tls",
    requireTLS: security === "starttls",
    ignoreTLS: security === "none",
    auth: username ? { user: username, pass: secrets.password ?? "" } : undefined,
    tls: typeof config.caCertificate === "string" ? { ca: config.caCertificate } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.sendMail({
      from: String(config.from),
      to: (config.to as string[]).join(", "),
      subject: message.title,
      text: `${message.body}\n\n-- \nRedFlag notification: ${message.event}`,
      headers: { "X-RedFlag-Event": message.event, "X-RedFlag-Delivery": message.deliveryId },
    });
    return { ok: true, responseStatus: 250 };
  } catch (error) {
    const code = (error as { responseCode?: unknown }).responseCode;
    const responseStatus = typeof code === "number" ? code : null;
    return {
      ok: false,
      responseStatus,
      error: `SMTP ${String(config.host)}:${String(config.port)}: ${describe(error)}`,
      // 5xx replies are the server's final word (a refused login or address); 4xx and no reply are not.
      permanent: responseStatus !== null && responseStatus >= 500,
    };
  } finally {
    transport.close();
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`.replace(/\s+/g, " ").slice(0, 500);
}
