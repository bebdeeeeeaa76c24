// The users pages in Debian's Chromium against the real stack (started by
// systemtest/console_test.go, TestConsoleUsers, which seeds the school):
// search as you type, the group sidebar, the status filter, pages that keep
// the filters, a user's page (groups changed), and removing someone after a
// confirmation that names them.
import assert from 'node:assert/strict';
import { env, newPage, run, shot, signIn } from './browser.mjs';

const CONSOLE = env('CONSOLE_URL');
const OWNER = env('OWNER_EMAIL');
const SCHOOL_ID = env('SCHOOL_ID');

await run(async (browser, mark) => {
  const { page, dialogs } = await newPage(browser);
  await page.goto(`${CONSOLE}/#/schools/${SCHOOL_ID}/users`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signIn(page, OWNER);
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  const rows = page.locator('table tbody tr');
  await rows.first().waitFor();
  mark('signedIn');
  await shot(page, '10-users.png');

  // Search as you type: "zo" finds Zoë (accents folded).
  await page.getByLabel('Search by name, email or id').fill('zo');
  await page.waitForFunction(() => location.hash.includes('q=zo'));
  await page.getByRole('link', { name: 'Zoë Zimmer' }).waitFor();
  assert.equal(await rows.count(), 1, 'one user matches zo');
  mark('searched');
  await page.getByLabel('Search by name, email or id').fill('');
  await page.waitForFunction(() => !location.hash.includes('q='));

  // Group sidebar and status filter, then pages that keep them.
  await page.getByRole('navigation', { name: 'Groups' }).getByRole('link', { name: /^Staff/ }).click();
  await page.waitForFunction(() => location.hash.includes('group=staff'));
  await page.getByLabel('Status').selectOption('invited');
  await page.waitForFunction(() => location.hash.includes('status=invited') && location.hash.includes('group=staff'));
  const onlyStaff = () =>
    page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('table tbody tr td:nth-child(5)')];
      return cells.length > 0 && cells.every((c) => c.textContent.includes('Staff')) && !document.body.textContent.includes('Loading…');
    });
  await onlyStaff();
  const firstPage = await page.locator('table tbody tr td:nth-child(2)').allInnerTexts();
  assert.equal(firstPage.length, 25, 'a full first page of 30 Staff');
  await shot(page, '11-users-filtered.png');
  await page.getByRole('link', { name: 'Next page' }).click();
  await page.waitForFunction(() => location.hash.includes('cursor=') && location.hash.includes('group=staff') && location.hash.includes('status=invited'));
  await page.waitForFunction((n) => document.querySelectorAll('table tbody tr').length === n, 5);
  await onlyStaff();
  const secondPage = await page.locator('table tbody tr td:nth-child(2)').allInnerTexts();
  assert.equal(secondPage.filter((e) => firstPage.includes(e)).length, 0, 'page 2 repeats nobody');
  mark('paged');

  // A user's page: change groups.
  await page.goto(`${CONSOLE}/#/schools/${SCHOOL_ID}/users/${encodeURIComponent(`zoe@${SCHOOL_ID}.school`)}`);
  await page.getByRole('heading', { name: 'Zoë Zimmer' }).waitFor();
  await page.getByRole('checkbox', { name: 'Parents' }).check();
  await page.getByRole('button', { name: 'Save groups' }).click();
  await page.getByRole('button', { name: 'Save groups' }).and(page.locator(':disabled')).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Zoë Zimmer' }).waitFor();
  assert.equal(await page.getByRole('checkbox', { name: 'Parents' }).isChecked(), true, 'the group change was saved');
  await shot(page, '12-user.png');

  // Remove, after a confirmation that names the person.
  await page.getByRole('button', { name: 'Remove from school' }).click();
  await page.getByText('Remove Zoë Zimmer from the school?').waitFor();
  await page.getByRole('button', { name: 'Remove Zoë Zimmer' }).click();
  await page.getByText('Removed', { exact: true }).waitFor();
  mark('removed');
  assert.deepEqual(dialogs, [], 'no dialog fired');
});
