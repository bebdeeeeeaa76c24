// The console's end-to-end journey, in Debian's Chromium driven by
// playwright-core, against the real local stack (started by the Go test
// systemtest/console_test.go, which passes the URLs in the environment).
//
// An owner signs in, downloads the template, uploads a file with every user
// error and a name that is markup, reads the preview, downloads the error
// file, imports with invitations on, watches the progress reach 100 %, sees
// the completion and the history; then the invited person opens the link
// from the mail, signs in, accepts. Screenshots of each screen go to
// SCREENSHOT_DIR. It exits non-zero on the first failed check.
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { env, newPage as open, run, shot, signIn, tokenFor } from './browser.mjs';

const CONSOLE = env('CONSOLE_URL');
const SES = env('SES_URL');
const SCHOOL = env('SCHOOL_NAME');
const OWNER = env('OWNER_EMAIL');
const DOMAIN = env('MAIL_DOMAIN');

await run(journey);

async function text(download) {
  return readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
}

async function journey(browser, mark) {
  const newPage = () => open(browser);
  const { page, dialogs } = await newPage();

  // Sign in as the owner.
  await page.goto(CONSOLE + '/');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/authorize/);
  await shot(page, '01-sign-in.png');
  await signIn(page, OWNER);
  await page.getByRole('heading', { name: 'Import users' }).waitFor();
  mark('signedIn');
  assert.ok(await page.getByText(SCHOOL).first().isVisible(), 'the school name is shown');
  await shot(page, '02-import-users.png');

  // The template, with the school's groups.
  const [tpl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download template' }).click()]);
  const template = await text(tpl);
  assert.match(template, /^email,first_name,last_name,group\r?\n/, 'template header');
  assert.match(template, /Students/, 'template uses the school groups');

  // A file with every user error and a name that is markup.
  const evil = '<img src=x onerror=alert(1)>';
  const rows = [
    'email,first_name,last_name,group',
    `ann@${DOMAIN},Ann,Lee,Students`,
    `bob@${DOMAIN},Bob,Stone,Staff`,
    `zoe@${DOMAIN},"${evil}",Markup,Students`,
    `,No,Email,Students`, // Email is required
    `not-an-email,Bad,Format,Students`, // Invalid email format
    `carl lee@${DOMAIN},Carl,Space,Students`, // Email contains spaces
    `ann@${DOMAIN},Ann,Again,Students`, // Duplicate email (same as row 2)
    `dora@${DOMAIN},Dora,Group,Astronauts`, // Unknown group
    `eve@${DOMAIN},${'E'.repeat(1001)},Long,Students`, // First name too long
    `fay@example.com,Fay,Reserved,Students`, // reserved domain
    `zoë@${DOMAIN},Zoë,Accent,Students`, // cannot be delivered
  ];
  await page.getByLabel('Choose a file').setInputFiles({ name: 'users-with-errors.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n') + '\n') });
  await page.getByRole('heading', { name: 'Preview' }).waitFor({ timeout: 30_000 });
  mark('previewReady');
  const counts = page.getByLabel('Preview counts');
  const countOf = async (label) =>
    Number((await counts.locator('div.count').filter({ has: page.getByText(label, { exact: true }) }).locator('dd').innerText()).replace(/,/g, ''));
  assert.equal(await countOf('Total'), 11, 'total rows');
  assert.equal(await countOf('Valid'), 3, 'valid rows');
  assert.equal(await countOf('Invalid'), 8, 'invalid rows');
  for (const msg of ['Email is required', 'Invalid email format', 'Email contains spaces', 'Duplicate email', 'Unknown group: Astronauts',
    'first_name is longer than 1,000 characters', 'Email domain example.com is reserved and never receives mail', 'Email cannot be delivered']) {
    assert.ok(await page.locator('table').getByText(msg, { exact: false }).first().isVisible(), `preview shows "${msg}"`);
  }
  assert.ok(await page.locator('table').getByText(`${evil} Markup`, { exact: true }).isVisible(), 'the markup name shows as text');
  assert.equal(await page.locator('table img').count(), 0, 'no image element came from the file');
  assert.ok((await page.locator('.badge-invalid').count()) >= 8, 'invalid badges');
  await shot(page, '03-preview.png');

  const [errs] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download the error file' }).click()]);
  const errorFile = await text(errs);
  assert.match(errorFile.split(/\r?\n/)[0], /error/, 'error file has an error column');
  assert.match(errorFile, /Invalid email format/);
  assert.equal(errorFile.trim().split(/\r?\n/).length, 9, 'error file: header and 8 rows');

  // Import with invitations on (the default).
  assert.equal(await page.getByRole('switch', { name: 'Send invitation emails now' }).isChecked(), true);
  await page.getByRole('button', { name: 'Import 3 users' }).click();
  const bar = page.locator('progress#import-bar');
  await bar.waitFor();
  await page.waitForFunction(() => document.querySelector('progress#import-bar')?.getAttribute('value') === '100', null, { timeout: 60_000 });
  mark('imported');
  await page.getByText('Import complete').waitFor();
  await shot(page, '04-complete.png');
  assert.ok(await page.getByText('Invitations created and sent').isVisible());

  // The history.
  await page.getByRole('link', { name: 'Upload history' }).first().click();
  await page.getByRole('heading', { name: 'Upload history' }).waitFor();
  const row = page.locator('tr', { hasText: 'users-with-errors.csv' });
  await row.getByText('Completed').waitFor();
  assert.ok(await row.getByText('3 created').isVisible(), 'history counts');
  await shot(page, '05-history.png');
  assert.deepEqual(dialogs, [], 'no dialog fired');

  // Signing out ends the session at the issuer too: signing in again asks who.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/authorize/);
  mark('signedOut');

  // The invited person opens the link from the mail.
  const token = await tokenFor(SES, `ann@${DOMAIN}`);
  const invited = await newPage();
  await invited.page.goto(`${CONSOLE}/accept?token=${encodeURIComponent(token)}`);
  await invited.page.getByRole('heading', { name: 'You have been invited' }).waitFor();
  await shot(invited.page, '06-accept.png');
  await invited.page.getByRole('button', { name: 'Sign in or create a login' }).click();
  await signIn(invited.page, `ann@${DOMAIN}`);
  await invited.page.getByText(`Welcome to ${SCHOOL}`).waitFor();
  mark('accepted');
  await shot(invited.page, '07-accepted.png');

  // The same person with another's invitation, and a dead one.
  const bobToken = await tokenFor(SES, `bob@${DOMAIN}`);
  await invited.page.goto(`${CONSOLE}/accept?token=${encodeURIComponent(bobToken)}`);
  await invited.page.getByText('Signed in with another address').waitFor();
  await shot(invited.page, '08-other-address.png');
  await invited.page.goto(`${CONSOLE}/accept?token=not-a-real-token`);
  await invited.page.getByText('This invitation can no longer be used').waitFor();
  await shot(invited.page, '09-dead-invitation.png');
  assert.deepEqual(invited.dialogs, [], 'no dialog fired');
}
