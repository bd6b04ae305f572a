import { afterAll, beforeAll } from "bun:test";
import { type Browser, launchChromium, type Page } from "../../apps/web/src/testing/chromium.ts";
import { type NextServer, startNextServer, temporaryDirectory } from "../e2e/next-server.ts";
import { type ApiClient, apiClient, rawCall } from "../harness/server.ts";
import type { Credentials } from "./browser-page.ts";

export type DashboardSession = { server: NextServer; browser: Browser; page: Page; api: ApiClient };

/**
 * The start of a page's browser test: the production server on a fresh embedded database with its
 * admin (`api` signed in as that admin), and one Chromium page `width` px wide whose uncaught errors go
 * to `pageErrors`. Started before the file's tests (handed to `onStarted`), stopped after them.
 */
export function useDashboardSession(
  options: { prefix: string; admin: Credentials; width: number; pageErrors: string[]; timeoutMs: number },
  onStarted: (session: DashboardSession) => void,
) {
  let started: Partial<DashboardSession> = {};
  let dataDirectory: ReturnType<typeof temporaryDirectory> | undefined;
  beforeAll(async () => {
    dataDirectory = temporaryDirectory(options.prefix);
    const server = await startNextServer({
      REDFLAG_DATA_DIR: dataDirectory.path,
      REDFLAG_ADMIN_USER: options.admin.username,
      REDFLAG_ADMIN_PASSWORD: options.admin.password,
    });
    started = { server };
    const login = await rawCall(server.url, "auth.login", { type: "mutation", input: options.admin });
    const api = apiClient(server.url, { cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "" });
    const browser = await launchChromium();
    started = { server, browser };
    const page = await (
      await browser.newContext({ viewport: { width: options.width, height: 900 } })
    ).newPage();
    page.setDefaultTimeout(30_000);
    page.on("pageerror", (error) => options.pageErrors.push(error.message));
    onStarted({ server, browser, page, api });
  }, options.timeoutMs);
  afterAll(async () => {
    await started.browser?.close();
    await started.server?.stop();
    dataDirectory?.remove();
  }, 30_000);
}
