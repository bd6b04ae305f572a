import { createHmac } from "node:crypto";
import type { NotificationEvent, NotificationKind } from "@redflag/contracts";

/** A message as the delivery job hands it to a target. */
export type OutgoingMessage = {
  deliveryId: string;
  event: NotificationEvent;
  title: string;
  body: string;
  payload: Record<string, unknown>;
  createdAt: Date;
};

/** One HTTP request to a notification service. */
export type HttpRequest = { url: string; headers: Record<string, string>; body: string };

/** Events that mean something went wrong: rendered louder (priority, colour, tags). */
const troubleEvents = new Set<NotificationEvent>([
  "install_failed",
  "agent_offline",
  "rollout_stopped",
  "security_updates_found",
]);

/** Cuts text to `max` characters, marking the cut. */
export function cut(text: string, max: number): string {
  const characters = [...text];
  return characters.length <= max ? text : `${characters.slice(0, max - 1).join("")}…`;
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path}`;
}

const json = { "content-type": "application/json" };

/**
 * The request each HTTP kind documents: ntfy's JSON publish to the server root, Gotify's
 * POST /message, a Discord webhook's embed, a Slack incoming webhook's text and blocks, or our signed
 * JSON webhook (docs/notifications.md).
 */
export function renderHttpRequest(
  kind: Exclude<NotificationKind, "email">,
  config: Record<string, unknown>,
  secrets: Record<string, string>,
  message: OutgoingMessage,
): HttpRequest {
  const trouble = troubleEvents.has(message.event);
  switch (kind) {
    case "ntfy": {
      const priority = trouble ? Math.max(Number(config.priority ?? 3), 4) : Number(config.priority ?? 3);
      return {
        url: String(config.serverUrl).replace(/\/+$/, ""),
        headers: {
          ...json,
          ...(secrets.accessToken ? { authorization: `Bearer ${secrets.accessToken}` } : {}),
        },
        body: JSON.stringify({
          topic: config.topic,
          title: cut(message.title, 250),
          message: cut(message.body, 4000),
          tags: [trouble ? "warning" : "information_source", message.event],
          priority,
        }),
      };
    }
    case "gotify":
      return {
        url: joinUrl(String(config.serverUrl), "message"),
        headers: { ...json, "x-gotify-key": secrets.appToken ?? "" },
        body: JSON.stringify({
          title: cut(message.title, 250),
          message: cut(message.body, 10_000),
          priority: trouble ? Math.max(Number(config.priority ?? 5), 8) : Number(config.priority ?? 5),
        }),
      };
    case "discord":
      return {
        url: secrets.webhookUrl ?? "",
        headers: json,
        body: JSON.stringify({
          username: "RedFlag",
          allowed_mentions: { parse: [] },
          embeds: [
            {
              title: cut(message.title, 256),
              description: cut(message.body, 4096),
              color: trouble ? 0xdc2626 : 0x2563eb,
              timestamp: message.createdAt.toISOString(),
              footer: { text: cut(message.event, 2048) },
            },
          ],
        }),
      };
    case "slack":
      return {
        url: secrets.webhookUrl ?? "",
        headers: json,
        body: JSON.stringify({
          // The fallback for notifications and clients without blocks.
          text: cut(`${message.title}\n${message.body}`, 3000),
          blocks: [
            { type: "header", text: { type: "plain_text", text: cut(message.title, 150), emoji: false } },
            {
              type: "section",
              text: { type: "plain_text", text: cut(message.body || "-", 3000), emoji: false },
            },
            { type: "context", elements: [{ type: "plain_text", text: message.event, emoji: false }] },
          ],
        }),
      };
    case "webhook": {
      const body = JSON.stringify({
        id: message.deliveryId,
        event: message.event,
        title: message.title,
        body: message.body,
        payload: message.payload,
        createdAt: message.createdAt.toISOString(),
      });
      const timestamp = String(Math.floor(Date.now() / 1000));
      return {
        url: String(config.url),
        headers: {
          ...json,
          "x-redflag-event": message.event,
          "x-redflag-delivery": message.deliveryId,
          "x-redflag-timestamp": timestamp,
          "x-redflag-signature": `sha256=${signWebhook(secrets.signingSecret ?? "", timestamp, body)}`,
        },
        body,
      };
    }
  }
}

/** The webhook's signature: hex HMAC-SHA256 of `${timestamp}.${body}` under the target's signing secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}
