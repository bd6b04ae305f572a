/** What the API needs from the deployable's validated environment; built once at start. */
export type ServerConfig = {
  version: string;
  /** Signs agent access tokens; from REDFLAG_SECRET or generated once and kept in the database. */
  secret: string;
  /** REDFLAG_SIGNING_KEY (base64 of a 32-byte Ed25519 seed); unset: generated once and kept in the database. */
  signingKey?: string | null;
  debug: boolean;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  migrationsFolder: string;
  rateLimits: RateLimitConfig;
  /** Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy in front of the server. */
  trustProxy: boolean;
  /** Where the agent binaries and their manifest.json are (dist/agents); null or unset: none. */
  agentsDirectory?: string | null;
  /** Longest hold of a long-poll check-in in seconds (REDFLAG_LONG_POLL_SECONDS); 0 turns long polls off. */
  longPollSeconds?: number;
};

/**
 * A fixed window allows `limit` attempts per `windowSeconds`. A login backoff allows `limit` failures,
 * then makes each next attempt wait 1 s, 2 s, 4 s, … after the last failure, at most `windowSeconds`.
 */
export type RateLimitRule = { limit: number; windowSeconds: number };
/** Every key is the caller's address or includes it: no one can spend a limit that guards another. */
export type RateLimitConfig = {
  /** Backoff on failed logins of one username from one address. */
  loginFailuresPerUserAndAddress: RateLimitRule;
  /** Backoff on failed logins from one address, whatever the username (password spraying). */
  loginFailuresPerAddress: RateLimitRule;
  setupPerAddress: RateLimitRule;
  registerPerAddress: RateLimitRule;
  renewPerAddress: RateLimitRule;
};

export const defaultRateLimits: RateLimitConfig = {
  loginFailuresPerUserAndAddress: { limit: 5, windowSeconds: 900 },
  loginFailuresPerAddress: { limit: 30, windowSeconds: 900 },
  setupPerAddress: { limit: 20, windowSeconds: 300 },
  registerPerAddress: { limit: 60, windowSeconds: 60 },
  // Many agents may renew through one NAT address; a renewal is a day apart per agent.
  renewPerAddress: { limit: 120, windowSeconds: 300 },
};

export const agentAccessTokenSeconds = 24 * 60 * 60;
export const refreshTokenSeconds = 90 * 24 * 60 * 60;
export const defaultPollIntervalSeconds = 300;
export const commandLeaseSeconds = 15 * 60;
/** When a lease extended at `now` (the agent holds the command) runs out. */
export function leaseExpiryFrom(now: Date): Date {
  return new Date(now.getTime() + commandLeaseSeconds * 1000);
}
/**
 * A command handed out at `now` is held this long for the agent to confirm it has it (its next
 * check-in lists it, or it reports on it); unconfirmed, it is offered again without spending an attempt.
 */
export const commandAcknowledgementSeconds = 60;
export function acknowledgementExpiryFrom(now: Date): Date {
  return new Date(now.getTime() + commandAcknowledgementSeconds * 1000);
}
/** Offers that may run out unacknowledged before running out spends attempts again (a broken agent). */
export const maxUnacknowledgedOffers = 5;
/** How long a server holds a long-poll check-in by default: under the 60 s idle timeout of common proxies. */
export const defaultLongPollSeconds = 50;
export const defaultMaxAttempts = 3;
/** An agent silent for this many poll intervals shows as offline. */
export const offlineAfterPollIntervals = 3;
