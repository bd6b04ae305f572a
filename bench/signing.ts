/**
 * What signing adds to a check-in: signing one leased command (the server, per command and lease),
 * verifying it (the agent, before it runs), and rebuilding the key ring (each server instance, at most
 * once per cache period). Run with `bun run bench:signing`; BENCH_ROUNDS (default 10,000) per figure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keyRingOf, newStoredKey } from "@redflag/api/services/signing/key-ring.ts";
import { signCommand } from "@redflag/api/services/signing/sign-command.ts";
import { trustedKey } from "../agent-bun/src/trust/keys.ts";
import { NonceStore } from "../agent-bun/src/trust/nonce-store.ts";
import { verifyCommand } from "../agent-bun/src/trust/verify-command.ts";

const rounds = Number(process.env.BENCH_ROUNDS ?? 10_000);
const now = new Date();
const stored = newStoredKey("active", now);
const ring = keyRingOf({ version: 1, keys: [stored] }, now);
const command = {
  id: "cmd_0000000000000000000000000c",
  agentId: "agt_0000000000000000000000000a",
  type: "install",
  targets: Array.from({ length: 20 }, (_, index) => ({
    updateId: `upd_${index}`,
    packageType: "apt",
    packageName: `package-${index}`,
    target: "",
    currentVersion: "1.0-1",
    availableVersion: "1.0-2",
  })),
  parameters: {},
};

function microseconds(what: string, run: (index: number) => void) {
  for (let index = 0; index < Math.min(1000, rounds); index++) run(index);
  const start = performance.now();
  for (let index = 0; index < rounds; index++) run(index);
  console.log(`${what}: ${(((performance.now() - start) / rounds) * 1000).toFixed(1)} µs`);
}

microseconds("sign one leased command (20 targets)", () => signCommand(ring, command, now));
microseconds("rebuild the key ring from its stored form", () =>
  keyRingOf({ version: 1, keys: [stored] }, now),
);
const signed = Array.from({ length: rounds + 1000 }, () => ({
  ...command,
  ...signCommand(ring, command, now),
}));
const directory = mkdtempSync(join(tmpdir(), "redflag-bench-signing-"));
try {
  const nonces = new NonceStore(join(directory, "nonces.json"));
  const keys = [trustedKey(stored.publicKey)];
  // Each accepted command also writes the nonce file, as the agent does before running it.
  microseconds("verify one command on the agent, nonce written to disk", (index) =>
    verifyCommand(signed[index], { agentId: command.agentId, keys, now, nonces }),
  );
} finally {
  rmSync(directory, { recursive: true, force: true });
}
