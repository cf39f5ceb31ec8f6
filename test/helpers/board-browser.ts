import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where browser tests put their screenshots (gitignored). */
export const SHOTS = 'test-output';

/** Basic credentials the browser tests log in with. */
export const BOARD_ADMIN = { username: 'admin', password: 'board-Pa55word' };

// Debian's Chromium, headless, with nothing that phones home; never a downloaded browser.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches /usr/bin/chromium headless (and creates the screenshot folder). */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A page in a fresh context that answers the Basic challenge with {@link BOARD_ADMIN}. */
export async function loggedIn(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ httpCredentials: BOARD_ADMIN, viewport: { width: 1280, height: 900 } });
  return context.newPage();
}

/** Opens a DLQ's Failed tab the way a user does: sidebar link, then the tab. */
export async function openDeadLetters(page: Page, base: string, dlqName: string): Promise<void> {
  await page.goto(`${base}/admin`);
  await page.getByRole('link', { name: dlqName, exact: true }).first().click();
  await page.getByRole('link', { name: /^failed/i }).first().click();
  await page.getByText('non_retryable', { exact: true }).first().waitFor();
}
