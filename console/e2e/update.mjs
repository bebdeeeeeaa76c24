// Updating people already in the school, in Debian's Chromium against the
// real local stack (started by systemtest/console_update_test.go): the
// owner uploads a file that renames Ann, repeats Bob as he is, adds Carl
// with Bob as his parent, and names a parent nobody knows. The preview shows
// them skipped; with "Update people already in the school" switched on, Ann
// is "Will be updated" with her old and new name, Bob "Unchanged"; the
// import updates one, leaves one, creates one and links one parent.
import assert from 'node:assert/strict';
import { env, newPage, run, shot, signIn } from './browser.mjs';

const CONSOLE = env('CONSOLE_URL');
const SCHOOL_ID = env('SCHOOL_ID');
const OWNER = env('OWNER_EMAIL');
const DOMAIN = env('MAIL_DOMAIN');

await run(async (browser, mark) => {
  const { page, dialogs } = await newPage(browser);
  await page.goto(CONSOLE + '/');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/authorize/);
  await signIn(page, OWNER);
  await page.getByRole('heading', { name: 'Import users' }).waitFor();
  mark('signedIn');

  const rows = [
    'email,first_name,last_name,group,Parent 1 Email,Parent 1 Relationship',
    `ann@${DOMAIN},Anna,Lee,Students,,`,
    `bob@${DOMAIN},Bob,Stone,Parents,,`,
    `carl@${DOMAIN},Carl,Stone,Students,bob@${DOMAIN},Dad`,
    `dora@${DOMAIN},Dora,Day,Students,nobody@${DOMAIN},`,
  ];
  await page.getByLabel('Choose a file').setInputFiles({ name: 'update.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n') + '\n') });
  await page.getByRole('heading', { name: 'Preview' }).waitFor({ timeout: 30_000 });
  const table = page.locator('table');
  assert.equal(await table.getByText('Will be skipped').count(), 2, 'Ann and Bob are skipped without updates');
  assert.ok(await table.getByText(`Parent bob@${DOMAIN} (father): will be linked`).isVisible(), "Carl's link");
  assert.ok(await table.getByText(`Parent nobody@${DOMAIN} (guardian): Parent not found in organisation`).isVisible(), "Dora's link");
  const update = page.getByRole('switch', { name: 'Update people already in the school' });
  assert.equal(await update.isChecked(), false, 'off by default');
  await page.getByRole('button', { name: 'Import 2 users and 1 parent link' }).waitFor();

  // Keyboard: focus the switch and press Space.
  await update.focus();
  await page.keyboard.press('Space');
  assert.equal(await update.isChecked(), true);
  await table.getByText('Will be updated').waitFor();
  assert.ok(await table.getByText('First name: Ann → Anna').isVisible(), 'before → after');
  assert.ok(await table.getByText('Unchanged').isVisible(), 'Bob is unchanged');
  const counts = page.getByLabel('Preview counts');
  assert.match(await counts.innerText(), /Will be updated\s*1/);
  await shot(page, 'update-01-preview.png');
  mark('previewed');

  await page.getByRole('button', { name: 'Import 3 users and 1 parent link' }).click();
  await page.getByText('Import complete', { exact: false }).first().waitFor({ timeout: 60_000 });
  const results = page.locator('ul.results');
  assert.match(await results.innerText(), /1\s+Updated/);
  assert.match(await results.innerText(), /1\s+Unchanged/);
  assert.match(await results.innerText(), /1\s+Parent links created/);
  assert.match(await results.innerText(), /1\s+Parent links not made/);
  await shot(page, 'update-02-complete.png');
  mark('imported');
  assert.deepEqual(dialogs, [], 'no dialog fired');
});
