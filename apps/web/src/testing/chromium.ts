/**
 * Debian's Chromium driven by playwright-core, for the dashboard's browser tests (test/ui). Lives in
 * the web app because playwright-core is one of its dev dependencies; the app never imports it.
 * `npx playwright install` cannot work on these machines: the browser comes from `apt-get install chromium`.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

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
