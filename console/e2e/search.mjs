// How long a search takes in the users page, from typing to the list
// showing the answer (median of 20), for BenchmarkConsoleSearch20k.
import { env, newPage, run, signIn } from './browser.mjs';

const CONSOLE = env('CONSOLE_URL');
const OWNER = env('OWNER_EMAIL');
const SCHOOL_ID = env('SCHOOL_ID');
const queries = ['zo', 'amel', 'ben', 'chl', 'dai', 'eli', 'fat', 'gra', 'han', 'isl', 'smith1', 'jones2', 'nguy', 'kowalski3', 'obrien4', 'garc', 'mull', 'okafor5', 'patel6', 'rossi7'];

await run(async (browser, mark) => {
  const { page } = await newPage(browser);
  await page.goto(`${CONSOLE}/#/schools/${SCHOOL_ID}/users`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signIn(page, OWNER);
  await page.locator('table tbody tr').first().waitFor();
  mark('signedIn');
  const box = page.getByLabel('Search by name, email or id');
  const times = [];
  for (const q of queries) {
    await box.fill('');
    await page.waitForFunction(() => !location.hash.includes('q='));
    await page.waitForFunction(() => document.querySelector('section[data-current="yes"]'));
    const t0 = Date.now();
    await box.fill(q);
    // The list answers q: the URL has it and the page is no longer loading.
    await page.waitForFunction((q) => location.hash.includes(`q=${encodeURIComponent(q)}`) && document.querySelector('section[data-current="yes"]'), q);
    times.push(Date.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = (times[9] + times[10]) / 2;
  console.log(`search, typing to list updated, ms: median ${median}, min ${times[0]}, max ${times[times.length - 1]}, all ${JSON.stringify(times)}`);
  mark('searched');
});
