// Debian's Chromium, driven headless by playwright-core: the system browser at
// /usr/bin/chromium (scripts/setup.sh installs it), never a browser download. Every request
// the page makes to anywhere but loopback is refused and recorded, so a test can assert the
// console never reaches the internet.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.BACKSTOP_CHROMIUM ?? '/usr/bin/chromium';

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** URLs the page tried to reach off this machine (refused). */
  offsite: string[];
  close(): Promise<void>;
}

/**
 * The little of the DOM that page functions in tests use. Tests are compiled without DOM types
 * (they are Node code), and the console's CSP forbids eval, so page code cannot be passed as
 * text: a page function reads `(globalThis as unknown as PageGlobals).document`.
 */
export interface PageGlobals {
  document: {
    querySelector(selector: string): { getAttribute(name: string): string | null } | null;
    querySelectorAll(selector: string): { length: number };
    cookie: string;
  };
  localStorage: { length: number };
  sessionStorage: { length: number };
  performance: { now(): number; getEntriesByType(type: 'resource'): Array<{ name: string; startTime: number; responseEnd: number }> };
}

const LOOPBACK = /^(https?|wss?):\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;

export async function openBrowser(): Promise<BrowserSession> {
  // As root Chromium refuses its sandbox; the tests run it only against this machine's API.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  const offsite: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (LOOPBACK.test(url) || url.startsWith('data:')) return route.continue();
    offsite.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  return {
    browser,
    context,
    page,
    offsite,
    async close() {
      await context.close();
      await browser.close();
    },
  };
}
