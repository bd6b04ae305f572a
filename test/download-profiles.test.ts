import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pickDownloadProfile } from "@redflag/api/services/download-profiles/effective-profile.ts";
import type { AgentId, DownloadProfileDraft } from "@redflag/contracts";
import { auditEvents, downloadProfiles } from "@redflag/db";
import { and, asc, eq } from "drizzle-orm";
import { downloadSettingsOf } from "../agent-bun/src/package-managers/download-settings.ts";
import { trustedKey } from "../agent-bun/src/trust/keys.ts";
import { NonceStore } from "../agent-bun/src/trust/nonce-store.ts";
import { verifyCommand } from "../agent-bun/src/trust/verify-command.ts";
import { aptItem, registerAgent, scanReport, signIn } from "./harness/fixtures.ts";
import { checkIn } from "./harness/maintenance-windows.ts";
import { errorCodeOf, type TestServer, useTestServer } from "./harness/server.ts";

let server: TestServer;
useTestServer((started) => {
  server = started;
});

afterEach(async () => {
  await server.api.db.delete(downloadProfiles);
});

const draft = (overrides: Partial<DownloadProfileDraft> = {}) => ({
  name: "Branch office",
  tags: [],
  agentIds: [],
  limitKibPerSecond: null,
  aptProxy: null,
  dnfProxy: null,
  dockerRegistryMirror: null,
  ...overrides,
});

type Admin = Awaited<ReturnType<typeof signIn>>;

async function agentWithUpdate(admin: Admin, tags: string[] = []) {
  const agent = await registerAgent(server, admin);
  await agent.client.agent.checkIn.mutate(checkIn);
  if (tags.length > 0) await admin.client.agents.configure.mutate({ agentId: agent.agentId, tags });
  await agent.client.agent.reportScan.mutate(scanReport([aptItem("curl")]));
  const { items } = await admin.client.updates.list.query({ agentId: agent.agentId });
  await admin.client.updates.approve.mutate({ updateIds: items.map((item) => item.id) });
  return { agent, updateIds: items.map((item) => item.id) };
}

describe("download profiles", () => {
  test("an admin creates, edits and deletes a profile, each audited; proxy URLs are checked", async () => {
    const admin = await signIn(server, "admin");
    const created = await admin.client.downloadProfiles.create.mutate(
      draft({ tags: ["branch", "branch"], limitKibPerSecond: 2048, aptProxy: " http://cache.branch:3142/ " }),
    );
    expect(created).toMatchObject({
      tags: ["branch"],
      limitKibPerSecond: 2048,
      aptProxy: "http://cache.branch:3142",
    });
    const updated = await admin.client.downloadProfiles.update.mutate({
      profileId: created.id,
      ...draft({ tags: ["branch"], dnfProxy: "https://proxy.branch:3128" }),
    });
    expect(updated).toMatchObject({
      limitKibPerSecond: null,
      aptProxy: null,
      dnfProxy: "https://proxy.branch:3128",
    });
    expect((await admin.client.downloadProfiles.list.query()).map((profile) => profile.id)).toEqual([
      created.id,
    ]);

    for (const bad of [
      { aptProxy: "http://user:secret@cache:3142" },
      { dnfProxy: "file:///etc/passwd" },
      { dockerRegistryMirror: "https://mirror/v2 --insecure" },
      { limitKibPerSecond: 0 },
      { name: "" },
    ]) {
      expect(
        await errorCodeOf(admin.client.downloadProfiles.create.mutate(draft({ name: "x", ...bad }))),
      ).toBe("BAD_REQUEST");
    }
    expect(await errorCodeOf(admin.client.downloadProfiles.create.mutate(draft()))).toBe("CONFLICT");

    await admin.client.downloadProfiles.delete.mutate({ profileId: created.id });
    expect(await admin.client.downloadProfiles.list.query()).toEqual([]);
    const audited = await server.api.db
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(and(eq(auditEvents.entityType, "download_profile"), eq(auditEvents.entityId, created.id)))
      .orderBy(asc(auditEvents.createdAt));
    expect(audited.map((row) => row.action)).toEqual([
      "download_profile.created",
      "download_profile.updated",
      "download_profile.deleted",
    ]);
  });

  test("only an admin changes profiles; a viewer reads them", async () => {
    const operator = await signIn(server, "operator");
    const viewer = await signIn(server, "viewer");
    expect(await errorCodeOf(operator.client.downloadProfiles.create.mutate(draft()))).toBe("FORBIDDEN");
    expect(await viewer.client.downloadProfiles.list.query()).toEqual([]);
  });

  test("one profile per host: listed by id before by tag before every host, then by name", () => {
    const row = (name: string, scope: { tags?: string[]; agentIds?: AgentId[] }) => ({
      id: `dlp_${name}` as never,
      name,
      tags: scope.tags ?? [],
      agentIds: scope.agentIds ?? [],
      limitKibPerSecond: null,
      aptProxy: null,
      dnfProxy: null,
      dockerRegistryMirror: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const host = { id: "agt_host" as AgentId, tags: ["eu", "web"] };
    const everyone = row("a everyone", {});
    const byTagB = row("b tag", { tags: ["web"] });
    const byTagC = row("c tag", { tags: ["eu"] });
    const byId = row("z by id", { agentIds: [host.id] });
    const elsewhere = row("0 elsewhere", { tags: ["us"] });
    expect(pickDownloadProfile([everyone, byTagC, byTagB, byId, elsewhere], host)?.name).toBe("z by id");
    expect(pickDownloadProfile([everyone, byTagC, byTagB, elsewhere], host)?.name).toBe("b tag");
    expect(pickDownloadProfile([elsewhere, everyone], host)?.name).toBe("a everyone");
    expect(pickDownloadProfile([elsewhere], host)).toBeNull();
  });

  test("an install leased to a host carries its profile, signed, and the agent turns it into apt options", async () => {
    const admin = await signIn(server, "admin");
    const { agent, updateIds } = await agentWithUpdate(admin, ["branch"]);
    const { agent: other, updateIds: otherIds } = await agentWithUpdate(admin, ["hq"]);
    const profile = await admin.client.downloadProfiles.create.mutate(
      draft({ tags: ["branch"], limitKibPerSecond: 512, aptProxy: "http://cache.branch:3142" }),
    );
    expect((await admin.client.downloadProfiles.forAgent.query({ agentId: agent.agentId }))?.id).toBe(
      profile.id,
    );
    expect(await admin.client.downloadProfiles.forAgent.query({ agentId: other.agentId })).toBeNull();

    await admin.client.updates.install.mutate({ updateIds: [...updateIds, ...otherIds] });
    const [install] = (await agent.client.agent.checkIn.mutate(checkIn)).commands;
    if (!install) throw new Error("no install leased");
    expect(install.type).toBe("install");
    expect(install.parameters.download).toEqual({
      profileId: profile.id,
      profileName: "Branch office",
      limitKibPerSecond: 512,
      aptProxy: "http://cache.branch:3142",
      dnfProxy: null,
      dockerRegistryMirror: null,
    });
    const [pinned] = agent.signingKeys;
    if (!pinned) throw new Error("no signing key");
    const nonces = new NonceStore(join(mkdtempSync(join(tmpdir(), "redflag-nonces-")), "nonces.json"));
    const keys = [trustedKey(pinned.publicKey)];
    expect(verifyCommand(install, { agentId: agent.agentId, keys, now: new Date(), nonces })).toEqual({
      ok: true,
    });
    // The profile is under the signature: changed on the way, the command is refused.
    const tampered = {
      ...install,
      parameters: {
        ...install.parameters,
        download: { ...(install.parameters.download as object), aptProxy: "http://evil:3142" },
      },
    };
    expect(verifyCommand(tampered, { agentId: agent.agentId, keys, now: new Date(), nonces })).toMatchObject({
      ok: false,
    });
    expect(downloadSettingsOf(install.parameters, "apt")).toMatchObject({ limitKibPerSecond: 512 });

    // A host no profile covers gets none.
    const [otherInstall] = (await other.client.agent.checkIn.mutate(checkIn)).commands;
    expect(otherInstall?.type).toBe("install");
    expect(otherInstall?.parameters.download).toBeUndefined();
  });

  test("a scan carries no profile; a profile changed before the lease is the one sent", async () => {
    const admin = await signIn(server, "admin");
    const { agent, updateIds } = await agentWithUpdate(admin);
    const profile = await admin.client.downloadProfiles.create.mutate(draft({ limitKibPerSecond: 100 }));
    await admin.client.agents.requestCommand.mutate({ agentId: agent.agentId, type: "scan" });
    await admin.client.updates.install.mutate({ updateIds });
    await admin.client.downloadProfiles.update.mutate({
      profileId: profile.id,
      ...draft({ limitKibPerSecond: 200 }),
    });
    const leased = (await agent.client.agent.checkIn.mutate(checkIn)).commands;
    expect(
      leased.map((command) => [
        command.type,
        (command.parameters.download as { limitKibPerSecond?: number } | undefined)?.limitKibPerSecond,
      ]),
    ).toEqual([
      ["scan", undefined],
      ["install", 200],
    ]);
  });
});
