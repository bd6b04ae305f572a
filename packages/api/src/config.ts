/** What the API needs from the deployable's validated environment; built once at start. */
export type ServerConfig = {
  version: string;
  /** Signs agent access tokens; from REDFLAG_SECRET or generated once and kept in the database. */
  secret: string;
  debug: boolean;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  migrationsFolder: string;
  rateLimits: RateLimitConfig;
  /** Trust X-Forwarded-For / X-Forwarded-Proto from a reverse proxy in front of the server. */
  trustProxy: boolean;
};

export type RateLimitRule = { limit: number; windowSeconds: number };
export type RateLimitConfig = {
  loginPerUser: RateLimitRule;
  loginPerAddress: RateLimitRule;
  setupPerAddress: RateLimitRule;
  registerPerAddress: RateLimitRule;
  renewPerAgent: RateLimitRule;
};

export const defaultRateLimits: RateLimitConfig = {
  loginPerUser: { limit: 10, windowSeconds: 300 },
  loginPerAddress: { limit: 50, windowSeconds: 300 },
  setupPerAddress: { limit: 20, windowSeconds: 300 },
  registerPerAddress: { limit: 60, windowSeconds: 60 },
  renewPerAgent: { limit: 30, windowSeconds: 300 },
};

export const agentAccessTokenSeconds = 24 * 60 * 60;
export const refreshTokenSeconds = 90 * 24 * 60 * 60;
export const defaultPollIntervalSeconds = 300;
export const commandLeaseSeconds = 15 * 60;
export const defaultMaxAttempts = 3;
/** An agent silent for this many poll intervals shows as offline. */
export const offlineAfterPollIntervals = 3;
