/**
 * Debian's Chromium driven by playwright-core, for the dashboard's browser tests (test/ui). Lives in
 * the web app because playwright-core is one of its dev dependencies; the app never imports it.
 * `npx playwright install` cannot work on these machines: the browser comes from `apt-get install chromium`.
 */
import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No browser at ${chromiumPath}: install it with \`apt-get install chromium\``);
  }
  // Playwright adds --headless and a fresh --user-data-dir of its own.
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export type { Browser, BrowserContext, Locator, Page } from "playwright-core";

/**
 * Collects every Content-Security-Policy violation in `context` and its pages into `sink`: the
 * `securitypolicyviolation` event (reported through a binding, which the page's policy does not
 * govern) and console errors about the policy.
 */
export async function watchCspViolations(context: BrowserContext, page: Page, sink: string[]): Promise<void> {
  await context.exposeBinding("reportCspViolation", (_source, violation: string) => {
    sink.push(violation);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { reportCspViolation: (violation: string) => void })
        .reportCspViolation;
      report(
        `${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber} (${event.sample})`,
      );
    });
  });
  page.on("console", (message) => {
    if (message.type() === "error" && /content security policy/i.test(message.text())) {
      sink.push(`console: ${message.text()}`);
    }
  });
}
