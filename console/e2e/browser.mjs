// What the console's browser tests share: Debian's Chromium through
// playwright-core (never a browser download), pages that record dialogs,
// screenshots, and the local provider's sign-in.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { join } from 'node:path';

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./systemtest -run TestConsole`);
  return v;
};

/** launch starts headless Chromium with the flags a closed network needs. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Playwright gives the browser a fresh --user-data-dir of its own each launch.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** newPage opens a page in a fresh context; dialogs are recorded and dismissed. */
export async function newPage(browser) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return { context, page, dialogs };
}

export async function shot(page, name) {
  const dir = env('SCREENSHOT_DIR');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name), fullPage: true });
  console.log('screenshot', name);
}

/** signIn completes the local provider's sign-in page as email. */
export async function signIn(page, email) {
  await page.waitForURL(/\/authorize/);
  await page.getByLabel(/email/i).first().fill(email);
  await page.getByRole('button', { name: /sign in|continue/i }).click();
}

/** tokenFor reads the accept link of the n-th mail SES local (at ses) holds for an address, waiting for it. */
export async function tokenFor(ses, address, n = 1) {
  for (let i = 0; i < 100; i++) {
    const store = await (await fetch(`${ses}/store`)).json();
    const mails = store.emails.filter((m) => m.destination.to.includes(address));
    if (mails.length >= n) {
      const m = /accept\?token=([^\s"<]+)/.exec(mails[n - 1].body.text);
      assert.ok(m, `accept link in mail ${n} to ${address}`);
      return decodeURIComponent(m[1]);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no mail ${n} to ${address}`);
}

/** run runs a test body, prints a JSON summary line and exits 0 or 1. */
export async function run(body) {
  const started = Date.now();
  const timings = {};
  const mark = (name) => (timings[name] = Date.now() - started);
  const browser = await launch();
  let failed = false;
  try {
    await body(browser, mark);
  } catch (e) {
    failed = true;
    console.error('FAIL:', e?.stack || e);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ ok: !failed, totalMs: Date.now() - started, timings }));
  process.exit(failed ? 1 : 0);
}
