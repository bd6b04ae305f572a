import type { AppRouter } from "@redflag/api";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { rawCall } from "../../test/harness/server.ts";

function createAdminClient(url: string, headers: Record<string, string>) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/api/trpc`,
        transformer: superjson,
        headers: () => headers,
        fetch: (input, init) =>
          fetch(input, { ...(init as RequestInit), signal: AbortSignal.timeout(120_000) }),
      }),
    ],
  });
}
type AdminClient = ReturnType<typeof createAdminClient>;

/**
 * The admin, through the same tRPC API the dashboard and scripts use: it logs in as the first admin
 * (REDFLAG_ADMIN_USER), makes itself an API token, asks agents to scan, and approves and installs the
 * updates they report. Its calls may fail during a fault; it tries again at its next step.
 */
export class FleetAdmin {
  /** Every update this admin approved (or found approved): each must end installed. */
  readonly approved = new Set<string>();
  readonly installCommands = new Set<string>();
  failedCalls = 0;

  private constructor(private readonly client: AdminClient) {}

  static async connect(url: string, username: string, password: string): Promise<FleetAdmin> {
    const login = await rawCall(url, "auth.login", { type: "mutation", input: { username, password } });
    if (login.status !== 200) throw new Error(`The admin could not log in (${login.status})`);
    const cookie = login.headers.get("set-cookie")?.split(";")[0];
    if (!cookie) throw new Error("The admin's login set no cookie");
    const session = createAdminClient(url, { cookie, origin: new URL(url).origin });
    const created = await session.apiTokens.create.mutate({
      name: "fleet driver",
      role: "admin",
      expiresInDays: 1,
    });
    return new FleetAdmin(createAdminClient(url, { authorization: `Bearer ${created.token}` }));
  }

  async registrationToken(seats: number): Promise<string> {
    const created = await this.client.registrationTokens.create.mutate({
      label: "fleet",
      seats,
      expiresInHours: 2,
    });
    return created.token;
  }

  /** Queues a scan on each agent; returns how many were queued. */
  async requestScans(agentIds: string[]): Promise<number> {
    let queued = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let index = next++; index < agentIds.length; index = next++) {
          try {
            await this.client.agents.requestCommand.mutate({ agentId: agentIds[index] ?? "", type: "scan" });
            queued++;
          } catch {
            this.failedCalls++;
          }
        }
      }),
    );
    return queued;
  }

  /**
   * Approves up to `limit` available updates and installs them with those left approved earlier (an
   * install whose answer was lost is found again as `installing` and left alone). Returns the install
   * commands queued.
   */
  async approveAndInstall(
    limit: number,
    options: { approveNew: boolean } = { approveNew: true },
  ): Promise<string[]> {
    try {
      const available = options.approveNew ? await this.listIds(["available"], limit) : [];
      for (let start = 0; start < available.length; start += 1000) {
        const chunk = available.slice(start, start + 1000);
        // Recorded before the call: an approval whose answer is lost is still an approval.
        for (const id of chunk) this.approved.add(id);
        await this.client.updates.approve.mutate({ updateIds: chunk });
      }
      const approved = await this.listIds(["approved"], 5000);
      const commandIds: string[] = [];
      for (const id of approved) this.approved.add(id);
      for (let start = 0; start < approved.length; start += 1000) {
        const installed = await this.client.updates.install.mutate({
          updateIds: approved.slice(start, start + 1000),
        });
        for (const id of installed.commandIds) this.installCommands.add(id);
        commandIds.push(...installed.commandIds);
      }
      return commandIds;
    } catch {
      this.failedCalls++;
      return [];
    }
  }

  /** How many updates are still approved and not yet being installed. */
  async approvedLeft(): Promise<number> {
    const page = await this.client.updates.list.query({ statuses: ["approved"], pageSize: 1 });
    return page.total;
  }

  private async listIds(statuses: ("available" | "approved")[], limit: number): Promise<string[]> {
    const ids: string[] = [];
    for (let page = 1; ids.length < limit; page++) {
      const listed = await this.client.updates.list.query({
        statuses,
        sort: "firstSeenAt",
        pageSize: 200,
        page,
      });
      ids.push(...listed.items.map((item) => item.id));
      if (listed.items.length < 200) break;
    }
    return ids.slice(0, limit);
  }
}
