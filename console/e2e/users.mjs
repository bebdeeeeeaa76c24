// The people pages in Debian's Chromium against the real stack, as a
// manager's day (started by systemtest/console_test.go, TestConsoleUsers,
// which seeds the school): search as you type, the group sidebar, the status
// filter, pages that keep the filters, a user's page (groups changed, a
// relationship removed, no owner-only controls), removing someone after a
// confirmation that names them, inviting with the mail held and sending it
// from Pending invitations, cancelling an invitation, creating and renaming a
// group, and exporting every user as a spreadsheet.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { env, newPage, run, shot, signIn, tokenFor } from './browser.mjs';

const CONSOLE = env('CONSOLE_URL');
const OWNER = env('OWNER_EMAIL');
const SCHOOL_ID = env('SCHOOL_ID');
const SES = env('SES_URL');


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
  assert.equal(firstPage.length, 25, 'a full first page of 60 Staff');
  await shot(page, '11-users-filtered.png');
  await page.getByRole('link', { name: 'Next page' }).click();
  await page.waitForFunction(() => location.hash.includes('cursor=') && location.hash.includes('group=staff') && location.hash.includes('status=invited'));
  await page.waitForFunction((first) => document.querySelector('table tbody tr td:nth-child(2)')?.textContent !== first, firstPage[0]);
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

  // The relationship: Zoë's parent, removed from her page.
  await page.getByText('Pat Zimmer, parent (mother)').waitFor();
  await page.getByRole('button', { name: 'Remove the link with Pat Zimmer' }).click();
  await page.getByText('Pat Zimmer, parent (mother)').waitFor({ state: 'detached' });

  // A manager is offered no owner-only control.
  assert.deepEqual(await page.getByLabel('Role').locator('option').allInnerTexts(), ['No role', 'Manager'], 'a manager cannot make owners');

  // Remove, after a confirmation that names the person.
  await page.getByRole('button', { name: 'Remove from school' }).click();
  await page.getByText('Remove Zoë Zimmer from the school?').waitFor();
  await page.getByRole('button', { name: 'Remove Zoë Zimmer' }).click();
  await page.getByText('Removed', { exact: true }).waitFor();
  mark('removed');

  // The owner's page: no role change, no removal, and why.
  await page.goto(`${CONSOLE}/#/schools/${SCHOOL_ID}/users/${encodeURIComponent(`head@${SCHOOL_ID}.school`)}`);
  await page.getByText("Only an owner can change an owner's role.").waitFor();
  assert.equal(await page.getByRole('button', { name: 'Remove from school' }).count(), 0, 'a manager cannot remove an owner');

  // Invite someone with the mail held, then send it from Pending invitations.
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await page.getByRole('button', { name: 'Invite someone' }).click();
  await page.getByLabel('Email', { exact: true }).fill(`held@${SCHOOL_ID}.school`);
  await page.getByLabel('First name', { exact: true }).fill('Hana');
  await page.getByLabel('Last name', { exact: true }).fill('Held');
  await page.getByLabel('Send the invitation email now').uncheck();
  await shot(page, '13-invite.png');
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  await page.getByRole('heading', { name: 'Hana Held' }).waitFor();
  await page.getByText('Held (not sent)').waitFor();
  await page.getByRole('link', { name: 'Pending invitations' }).click();
  await page.getByRole('heading', { name: 'Pending invitations' }).waitFor();
  await page.getByRole('checkbox', { name: 'Select Hana Held' }).check();
  await page.getByRole('button', { name: 'Send 1 selected' }).click();
  await page.getByText('1 invitation sent.').waitFor();
  await page.locator('tr', { hasText: `held@${SCHOOL_ID}.school` }).getByText(/^(Queued|Sent)/).waitFor();
  await shot(page, '14-invitations.png');

  // Resend it: the first link then shows the replaced-invitation page.
  const firstToken = await tokenFor(SES, `held@${SCHOOL_ID}.school`, 1);
  await page.waitForTimeout(Number(env('RESEND_INTERVAL_MS')) + 500); // the API refuses a resend within its interval
  await page.locator('tr', { hasText: `held@${SCHOOL_ID}.school` }).getByRole('button', { name: 'Resend' }).click();
  await page.getByText(`Invitation sent again to held@${SCHOOL_ID}.school.`).waitFor();
  await tokenFor(SES, `held@${SCHOOL_ID}.school`, 2);
  const old = await newPage(browser);
  await old.page.goto(`${CONSOLE}/accept?token=${encodeURIComponent(firstToken)}`);
  await old.page.getByRole('button', { name: 'Sign in or create a login' }).click();
  await signIn(old.page, `held@${SCHOOL_ID}.school`);
  await old.page.getByText('This invitation can no longer be used').waitFor();
  await shot(old.page, '16-replaced-invitation.png');

  // Cancel one, after a confirmation.
  const row = page.locator('tr', { hasText: `p01@${SCHOOL_ID}.school` });
  await row.getByRole('button', { name: 'Cancel invitation' }).click();
  await row.getByRole('button', { name: 'Yes, cancel it' }).click();
  await page.getByText('The invitation of Person01 Test is cancelled.').waitFor();
  mark('invitations');

  // Groups: create, then rename.
  await page.getByRole('link', { name: 'Groups', exact: true }).click();
  await page.getByLabel('New group').fill('Year 7');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('button', { name: 'Rename Year 7' }).click();
  await page.getByLabel('Name of Year 7').fill('Year Seven');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('link', { name: 'Year Seven' }).waitFor();
  await shot(page, '15-groups.png');
  mark('groups');

  // Export every user: the file is prepared in the background, then offered.
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  await page.getByRole('button', { name: 'Export users' }).click();
  const ready = page.getByText(/^Your export of [\d,]+ users is ready\.$/);
  await ready.waitFor({ timeout: 60_000 });
  const exported = Number((await ready.innerText()).replace(/\D/g, ''));
  await shot(page, '17-export.png');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the users file (CSV)' }).click()]);
  assert.match(download.suggestedFilename(), new RegExp(`^users-${SCHOOL_ID}-school-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.split('\r\n');
  assert.equal(lines[0], '\uFEFFemail,first_name,last_name,group,user_id,status', 'the header, after a byte order mark');
  assert.equal(lines.at(-1), '', 'every line ends with CRLF');
  assert.equal(lines.length - 2, exported, 'one row a user');
  assert.ok(lines.includes(`p00@${SCHOOL_ID}.school,Person00,Test,Staff,,invited`), 'an invited user');
  assert.ok(lines.includes(`zoe@${SCHOOL_ID}.school,Zoë,Zimmer,Parents; Students,,removed`), 'a removed user, groups by name');
  mark('exported');
  assert.deepEqual(dialogs, [], 'no dialog fired');
});
