import { createUser } from "@redflag/api/services/users/create-user.ts";
import type { HostFacts, PackageType, Role, ScanItem } from "@redflag/contracts";
import { apiClient, rawCall, type TestServer } from "./server.ts";

let counter = 0;

/** Creates a user directly in the database (as setup or another admin would) and logs in over HTTP. */
export async function signIn(server: TestServer, role: Role) {
  counter++;
  const username = `${role}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
  const password = "correct horse battery staple";
  await createUser(server.api.db, { actor: { type: "system" }, username, password, role });
  const response = await rawCall(server.url, "auth.login", {
    type: "mutation",
    input: { username, password },
  });
  if (response.status !== 200) throw new Error(`login failed: ${JSON.stringify(response.body)}`);
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (!cookie) throw new Error("login set no cookie");
  return { username, password, cookie, client: apiClient(server.url, { cookie }) };
}

export function hostFacts(overrides: Partial<HostFacts> = {}): HostFacts {
  counter++;
  return {
    hostname: `host-${counter}`,
    osType: "linux",
    osName: "Debian GNU/Linux",
    osVersion: "12",
    architecture: "x86_64",
    agentVersion: "0.1.0",
    machineId: `machine-${counter}-${Math.random().toString(36).slice(2)}`,
    ...overrides,
  };
}

/** Registers an agent over HTTP with a fresh registration token; returns its typed client. */
export async function registerAgent(
  server: TestServer,
  admin: { client: ReturnType<typeof apiClient> },
  host: Partial<HostFacts> = {},
) {
  const registration = await admin.client.registrationTokens.create.mutate({ label: "test", seats: 1 });
  const anonymous = apiClient(server.url);
  const registered = await anonymous.agent.register.mutate({
    registrationToken: registration.token,
    host: hostFacts(host),
  });
  return { ...registered, client: apiClient(server.url, { token: registered.accessToken }) };
}

export function aptItem(name: string, overrides: Partial<ScanItem> = {}): ScanItem {
  return {
    packageName: name,
    target: "",
    currentVersion: "1.0-1",
    availableVersion: "1.0-2",
    severity: "unknown",
    security: false,
    cves: [],
    source: "Debian:12/bookworm",
    sizeBytes: 1234,
    metadata: {},
    ...overrides,
  };
}

export function scanReport(items: ScanItem[], packageType: PackageType = "apt") {
  const now = new Date();
  return { scanners: [{ packageType, status: "ok" as const, items }], startedAt: now, finishedAt: now };
}
