import { type HostFacts, newId } from "@redflag/contracts";
import { agents, type DatabaseOrTransaction, registrationTokens } from "@redflag/db";
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { hashToken } from "../../auth/tokens.ts";
import { AppError } from "../../errors.ts";
import { recordAuditEvents } from "../audit/record-audit-events.ts";
import { getSettings } from "../settings/get-settings.ts";
import { issueAgentTokens } from "./issue-agent-tokens.ts";

/** Registers a new agent with a registration token, taking one of its seats. */
export async function registerAgent(
  db: DatabaseOrTransaction,
  options: { registrationToken: string; host: HostFacts; secret: string },
) {
  const now = new Date();
  const tokenHash = hashToken(options.registrationToken);
  return db.transaction(async (tx) => {
    const [seat] = await tx
      .update(registrationTokens)
      .set({ seatsUsed: sql`${registrationTokens.seatsUsed} + 1` })
      .where(
        and(
          eq(registrationTokens.tokenHash, tokenHash),
          isNull(registrationTokens.revokedAt),
          gt(registrationTokens.expiresAt, now),
          lt(registrationTokens.seatsUsed, registrationTokens.seats),
        ),
      )
      .returning({ id: registrationTokens.id });
    if (!seat) throw await refusal(tx, tokenHash, now);
    const agentId = newId("agent");
    const [agent] = await tx
      .insert(agents)
      .values({
        id: agentId,
        hostname: options.host.hostname,
        osType: options.host.osType,
        osName: options.host.osName,
        osVersion: options.host.osVersion,
        architecture: options.host.architecture,
        agentVersion: options.host.agentVersion,
        machineId: options.host.machineId,
        registrationTokenId: seat.id,
      })
      .returning({ tokenGeneration: agents.tokenGeneration });
    if (!agent) throw new Error("Inserting the agent returned no row");
    const tokens = await issueAgentTokens(tx, {
      agentId,
      generation: agent.tokenGeneration,
      familyId: newId("refreshToken"),
      secret: options.secret,
      now,
    });
    await recordAuditEvents(tx, {
      actor: { type: "agent", agentId },
      entries: [
        {
          action: "agent.register",
          entityType: "agent",
          entityId: agentId,
          after: { ...options.host, registrationTokenId: seat.id },
        },
      ],
    });
    const { defaultPollIntervalSeconds } = await getSettings(tx);
    return { agentId, ...tokens, pollIntervalSeconds: defaultPollIntervalSeconds };
  });
}

async function refusal(tx: DatabaseOrTransaction, tokenHash: string, now: Date): Promise<AppError> {
  const [token] = await tx
    .select()
    .from(registrationTokens)
    .where(eq(registrationTokens.tokenHash, tokenHash));
  if (!token) return new AppError("UNAUTHORIZED", "Registration token not recognised");
  if (token.revokedAt) return new AppError("UNAUTHORIZED", "Registration token was revoked");
  if (token.expiresAt <= now) return new AppError("UNAUTHORIZED", "Registration token has expired");
  return new AppError("UNAUTHORIZED", `Registration token has no seats left (${token.seats} used)`);
}
