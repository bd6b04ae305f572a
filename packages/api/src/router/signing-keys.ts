import { signingKeyStepOutput, signingKeysStatusSchema } from "@redflag/contracts";
import { changeSigningKeys, type SigningKeyStep } from "../services/signing/rotate-signing-key.ts";
import { adminProcedure, type Context } from "../trpc.ts";

/** The signing keys as the dashboard shows them; the Add-agent page pins `activeFingerprint`. */
async function status(ctx: Context) {
  const ring = await ctx.signingKeys.current();
  const states = new Set(ring.publicKeys.map((key) => key.state));
  return {
    activeFingerprint: ring.active.fingerprint,
    keys: ring.publicKeys.map(({ fingerprint, state }) => ({ fingerprint, state })),
    rotation: states.has("next")
      ? ("announced" as const)
      : states.has("previous")
        ? ("overlap" as const)
        : ("none" as const),
    fromEnvironment: ring.fromEnvironment,
  };
}

function step(name: SigningKeyStep) {
  return adminProcedure("admin")
    .output(signingKeyStepOutput)
    .mutation(({ ctx }) =>
      changeSigningKeys(ctx.db, { actor: ctx.actor, step: name, keys: ctx.signingKeys }),
    );
}

/** Key rotation (key-ring.ts has the state machine): rotate, then promote, then retire. */
export const signingKeysRouter = {
  current: adminProcedure("viewer")
    .output(signingKeysStatusSchema)
    .query(({ ctx }) => status(ctx)),
  rotate: step("rotate"),
  promote: step("promote"),
  retire: step("retire"),
};
