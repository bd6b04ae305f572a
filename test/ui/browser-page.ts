/**
 * What the dashboard's browser tests do the same way: the window size (REDFLAG_UI_WIDTH=390 for a
 * phone), screenshots in artifacts/screenshots that fail on any sideways scroll, the navigation, and
 * signing in.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Page } from "../../apps/web/src/testing/chromium.ts";

export const screenshotsDirectory = resolve(import.meta.dir, "../../artifacts/screenshots");

/** A run on a phone (REDFLAG_UI_WIDTH=390, as .ci/run does): screenshots are named `phone-…`. */
export const phone = process.env.REDFLAG_UI_WIDTH === "390";
export const viewport = phone ? { width: 390, height: 844 } : { width: 1440, height: 900 };

export type Credentials = { username: string; password: string };

/** No page may scroll sideways, at any width: long names wrap or are cut short, tables scroll in their card. */
export async function expectNoSidewaysScroll(page: Page, name: string) {
  const overflow = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    // The innermost elements reaching past the window's right edge: what is too wide.
    culprits: [...document.querySelectorAll("body *")]
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 1)
      .filter(
        (element) =>
          ![...element.children].some((child) => child.getBoundingClientRect().right > window.innerWidth + 1),
      )
      .slice(0, 3)
      .map(
        (element) =>
          `${element.tagName.toLowerCase()}.${element.className}: ${element.textContent?.slice(0, 40)}`,
      ),
  }));
  if (overflow.scrollWidth > overflow.innerWidth) {
    throw new Error(
      `${name} scrolls sideways: ${overflow.scrollWidth}px wide in a ${overflow.innerWidth}px window (${overflow.culprits.join("; ")})`,
    );
  }
}

/** A full-page screenshot named `name` in artifacts/screenshots, failing first if the page scrolls sideways. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(screenshotsDirectory, { recursive: true });
  // Full-page shots of a scrolled page would draw the sticky sidebar halfway down.
  await page.evaluate(() => window.scrollTo(0, 0));
  await expectNoSidewaysScroll(page, name);
  await page.screenshot({ path: join(screenshotsDirectory, `${name}.png`), fullPage: true });
}

/** `screenshot`, named "phone-…" in the 390 px run (REDFLAG_UI_WIDTH=390). */
export async function shoot(page: Page, name: string) {
  await screenshot(page, `${phone ? "phone-" : ""}${name}`);
}

/** On a narrow screen the navigation is folded into a menu: open it first. */
export async function openMenuIfFolded(page: Page) {
  const menu = page.getByRole("button", { name: "Menu" });
  if ((await menu.isVisible()) && (await menu.getAttribute("aria-expanded")) !== "true") await menu.click();
}

/** Goes to a page through the navigation, as a person would, and waits for its heading. */
export async function navigate(page: Page, link: string, heading: string = link) {
  await openMenuIfFolded(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

export async function signIn(page: Page, credentials: Credentials) {
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByLabel("Username").fill(credentials.username);
  await page.getByLabel("Password").fill(credentials.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
}
