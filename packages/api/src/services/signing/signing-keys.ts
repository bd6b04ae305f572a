import { type DatabaseOrTransaction, settings } from "@redflag/db";
import { eq } from "drizzle-orm";
import {
  type KeyRing,
  keyRingFromEnvironment,
  keyRingOf,
  newStoredKey,
  parseSigningKeySeed,
  type StoredKeySet,
  storedKeySetSchema,
} from "./key-ring.ts";

/** Kept outside the admin-visible settings: `settingKeys` never includes it. */
export const signingKeysSettingKey = "internal.signingKeys";

/**
 * How long a server instance keeps the key ring it read. Instances share one database, so a rotation
 * made on one reaches the others within this; a check-in costs no extra query in between.
 */
export const keyRingCacheMs = 5_000;

/** Reads the stored key set, creating the first active key when there is none. */
export async function ensureSigningKeys(db: DatabaseOrTransaction, now = new Date()): Promise<StoredKeySet> {
  const initial: StoredKeySet = { version: 1, keys: [newStoredKey("active", now)] };
  await db
    .insert(settings)
    .values({ key: signingKeysSettingKey, value: initial })
    .onConflictDoNothing({ target: settings.key });
  return readSigningKeys(db);
}

export async function readSigningKeys(db: DatabaseOrTransaction, options?: { forUpdate?: boolean }) {
  const query = db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, signingKeysSettingKey));
  const [row] = options?.forUpdate ? await query.for("update") : await query;
  const parsed = storedKeySetSchema.safeParse(row?.value);
  if (!parsed.success)
    throw new Error(
      `The signing keys in the settings table (${signingKeysSettingKey}) are missing or invalid`,
      {
        cause: parsed.error,
      },
    );
  return parsed.data;
}

/** The key ring requests sign with: from REDFLAG_SIGNING_KEY, or from the database with a short cache. */
export class SigningKeys {
  private cached: { ring: KeyRing; until: number } | null = null;
  private loading: Promise<KeyRing> | null = null;

  private constructor(
    private readonly db: DatabaseOrTransaction,
    private readonly fixed: KeyRing | null,
  ) {}

  /** Loads (or creates) the keys at start, so a broken key set stops the server there. */
  static async start(
    db: DatabaseOrTransaction,
    environmentSeed: string | null | undefined,
  ): Promise<SigningKeys> {
    if (environmentSeed)
      return new SigningKeys(db, keyRingFromEnvironment(parseSigningKeySeed(environmentSeed)));
    const keys = new SigningKeys(db, null);
    const now = new Date();
    keys.cached = {
      ring: keyRingOf(await ensureSigningKeys(db, now), now),
      until: now.getTime() + keyRingCacheMs,
    };
    return keys;
  }

  get fromEnvironment(): boolean {
    return this.fixed !== null;
  }

  async current(): Promise<KeyRing> {
    if (this.fixed) return this.fixed;
    const now = Date.now();
    if (this.cached && this.cached.until > now) return this.cached.ring;
    this.loading ??= readSigningKeys(this.db)
      .then((set) => {
        const ring = keyRingOf(set, new Date());
        this.cached = { ring, until: Date.now() + keyRingCacheMs };
        return ring;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  /** Called after this instance changed the keys, so it signs with them at once. */
  forget() {
    this.cached = null;
  }
}
