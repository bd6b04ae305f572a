import { signingKeyFingerprintSchema } from "@redflag/contracts/signing";
import { z } from "zod";
import { ExitError, exitCodes } from "../errors.ts";
import { applyKeyStatements, type ServerKey, type TrustedKey, toServerKey, trustedKey } from "./keys.ts";

export const fingerprintArgumentSchema = signingKeyFingerprintSchema;

const offeredKeysSchema = z
  .array(z.object({ publicKey: z.string(), state: z.enum(["active", "next", "previous"]) }))
  .min(1)
  .max(10);

export type PinnedKeys = {
  keys: ServerKey[];
  /** The fingerprint the operator should compare when no fingerprint was given (trust on first use). */
  activeFingerprint: string;
  trustedOnFirstUse: boolean;
};

/**
 * Decides which of the keys a registering server offers to pin, before anything is saved. With a
 * fingerprint, the key with that fingerprint (computed here from the key, never taken from the
 * server's word) is the root, and the other keys are pinned only when a statement signed by a pinned
 * key vouches for them; the active key must end up pinned, or the server is refused. Without a
 * fingerprint the active key is pinned as offered (trust on first use).
 */
export function pinServerKeys(
  offered: unknown,
  statements: unknown,
  fingerprint: string | undefined,
): PinnedKeys {
  const parsed = offeredKeysSchema.safeParse(offered);
  const keys = parsed.success
    ? parsed.data.flatMap((key) => {
        try {
          return [{ ...trustedKey(key.publicKey), state: key.state }];
        } catch {
          return [];
        }
      })
    : [];
  const active = keys.find((key) => key.state === "active");
  if (!active) {
    throw new ExitError("The server did not send its signing key: is it a RedFlag server of this version?", {
      exitCode: exitCodes.untrusted,
    });
  }
  if (fingerprint === undefined)
    return { keys: [toServerKey(active)], activeFingerprint: active.fingerprint, trustedOnFirstUse: true };
  const root = keys.find((key) => key.fingerprint === fingerprint);
  let pinned: TrustedKey[] = root ? [root] : [];
  if (root && Array.isArray(statements)) pinned = applyKeyStatements(pinned, statements).keys;
  if (!pinned.some((key) => key.fingerprint === active.fingerprint)) {
    throw new ExitError(
      `The server's signing key is ${active.fingerprint}, not the expected ${fingerprint}: refusing to register (nothing was saved). Check the fingerprint on the server's Add agent page.`,
      { exitCode: exitCodes.untrusted },
    );
  }
  return { keys: pinned.map(toServerKey), activeFingerprint: active.fingerprint, trustedOnFirstUse: false };
}
