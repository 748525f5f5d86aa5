/**
 * The web app end to end (issue 14 items 1–4 and 7) in the Debian chromium against a throw-away server:
 * keyboard-only sign-in and role-aware navigation; a data manager creates a patient, an apheresis, an
 * infusion and a CRS observation through the forms and sees the live ASTCT grade, the API's message
 * beside its field and the timeline; the other centre's data manager cannot see that patient; a stale
 * edit gets the 409 message with both versions; the dashboard's Kaplan–Meier medians equal
 * GET /api/dashboard; a new patient can be entered with the keyboard only; axe-core finds no serious or critical violation on any page. Writes the
 * screenshots of docs/screenshots/.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  newPage,
  screenshot,
  seriousViolations,
  signIn,
  startHarness,
  PASSWORD,
  type Harness,
} from './harness.js';
import { seedInfused } from './seed.js';

const PSEUDONYM = 'AMC-E2E-001';

async function assertAccessible(page: Page, what: string): Promise<void> {
  const v = await seriousViolations(page);
  assert.deepEqual(v, [], `${what}: serious/critical axe violations`);
}

/** The add-entry form of `path` (after choosing it in "Add an entry"). */
async function openAddForm(page: Page, path: string, label: string) {
  await page.getByLabel('Add an entry').selectOption(path);
  return page.getByRole('form', { name: `Add ${label}` });
}

describe('web app (chromium)', { timeout: 240_000 }, () => {
  let h: Harness;
  let patientUrl = '';

  before(async () => {
    h = await startHarness();
    await seedInfused(h.store, h.actors.admin, 'UMCG', 8);
  });
  after(async () => {
    await h?.close();
  });

  test('keyboard-only sign-in shows the navigation; the sign-in page is accessible', async () => {
    const { context, page } = await newPage(h);
    await page.goto('/');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await assertAccessible(page, 'sign-in page');
    await screenshot(page, 'sign-in');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'username');
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.waitFor();
    const links = await nav.getByRole('link').allTextContents();
    assert.deepEqual(links, ['Patients', 'Dashboard', 'Studies', 'Audit']);
    assert.equal(new URL(page.url()).pathname, '/patients');
    // a wrong password is refused with a message, not a page
    const other = await newPage(h);
    await other.page.goto('/');
    await other.page.getByLabel('Username').fill('admin');
    await other.page.getByLabel('Password').fill('wrong password!');
    await other.page.getByRole('button', { name: 'Sign in' }).click();
    await other.page.getByText('Wrong user name or password.').waitFor();
    await other.context.close();
    // sign-out ends the session: the sign-in page again, and the API says 401
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal((await page.request.get('/api/patients')).status(), 401);
    await context.close();
  });

  test('the analyst sees no Audit link and no New patient button', async () => {
    const { context, page } = await newPage(h);
    await signIn(page, 'analyst');
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    assert.deepEqual(links, ['Patients', 'Dashboard', 'Studies']);
    await page.getByRole('table').waitFor();
    assert.equal(await page.getByRole('link', { name: 'New patient' }).count(), 0);
    await context.close();
  });

  test('a data manager creates a patient with an infusion and a CRS observation through the forms', async () => {
    const { context, page } = await newPage(h);
    await signIn(page, 'dm-amc');
    await page.getByRole('link', { name: 'New patient' }).click();
    const form = page.getByRole('form', { name: 'Referral' });
    await form.waitFor();
    assert.equal(await page.locator('#patient-centre').inputValue(), 'AMC');
    await page.locator('#patient-pseudonym').fill(PSEUDONYM);
    await page.locator('#patient-ageAtReferral').fill('61');
    await page.locator('#patient-referralDate').fill('2024-01-10');
    await page.locator('#patient-lineOfTherapy').fill('3');
    await page.locator('#patient-histology').selectOption('DLBCL');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: `Patient ${PSEUDONYM}` }).waitFor();
    patientUrl = page.url();

    let f = await openAddForm(page, 'apheresis', 'apheresis');
    await page.locator('#add-apheresis-apheresisDate').fill('2024-02-01');
    await f.getByRole('button', { name: 'Save' }).click();
    await page.locator('li.entry-apheresis').waitFor();

    f = await openAddForm(page, 'infusions', 'infusion');
    await page.locator('#add-infusions-infusionDate').fill('2024-03-01');
    await f.getByRole('button', { name: 'Save' }).click();
    await page.locator('li.entry-infusions').waitFor();

    f = await openAddForm(page, 'toxicity-observations', 'toxicity observation');
    const id = (field: string) => page.locator(`#add-toxicity-observations-${field}`);
    await id('observationDate').fill('2024-03-03');
    await id('maxTemperatureC').fill('39.4');
    await id('oxygenDevice').selectOption('low-flow-nasal-cannula');
    await id('iceScore').fill('10');
    await id('consciousness').selectOption('awake');
    await id('seizure').selectOption('none');
    await id('motor').selectOption('none');
    await id('cerebralOedema').selectOption('none');
    const crs = page.getByTestId('crs-grade');
    // live: a nasal cannula without its flow cannot be graded yet; fever alone would be grade 1
    assert.match((await crs.textContent()) ?? '', /not yet computable.*oxygen flow/);
    await id('oxygenDevice').selectOption('none');
    assert.equal(await crs.textContent(), 'CRS grade 1 (fever)');
    await id('hypotension').check();
    await id('fluidsOnly').check();
    assert.equal(await crs.textContent(), 'CRS grade 2 (hypotension)');
    assert.equal(await page.getByTestId('icans-grade').textContent(), 'ICANS grade 0');
    // the API's validation message appears beside its field (the browser's own check is off)
    await id('oxygenDevice').selectOption('low-flow-nasal-cannula');
    await f.getByRole('button', { name: 'Save' }).click();
    const err = page.locator('#add-toxicity-observations-oxygenLPerMin-error');
    await err.waitFor();
    assert.match((await err.textContent()) ?? '', /oxygen flow/);
    await id('oxygenDevice').selectOption('none');
    await f.getByRole('button', { name: 'Save' }).click();

    const tox = page.locator('li.entry-toxicity-observations');
    await tox.waitFor();
    const toxText = (await tox.locator('.entry-head').textContent()) ?? '';
    assert.match(toxText, /toxicity observation/);
    assert.match(toxText, /2024-03-03/);
    assert.match(toxText, /day 2/);
    assert.match(toxText, /CRS grade 2/);
    assert.match(toxText, /ICANS grade 0/);
    const inf = (await page.locator('li.entry-infusions .entry-head').textContent()) ?? '';
    assert.match(inf, /infusion.*2024-03-01.*day 0/);
    const kinds = await page.locator('li.entry .kind').allTextContents();
    assert.deepEqual(kinds, ['referral', 'apheresis', 'infusion', 'toxicity observation']);
    const referral = (await page.locator('li.entry-referral .entry-head').textContent()) ?? '';
    assert.match(referral, /2024-01-10.*day -51/);
    // the computed outcomes beside the timeline
    const outcomes = page.getByRole('complementary', { name: 'Computed outcomes' });
    await outcomes.getByText('Maximum CRS grade').waitFor();
    assert.match((await outcomes.textContent()) ?? '', /Maximum CRS grade2/);
    assert.match((await outcomes.textContent()) ?? '', /Vein-to-vein29 days/);
    await context.close();
  });

  test('the other centre’s data manager does not see the patient', async () => {
    assert.ok(patientUrl, 'the patient was created by the previous test');
    const { context, page } = await newPage(h);
    await signIn(page, 'dm-umcg');
    await page.getByLabel('Search by pseudonym').fill('AMC-E2E');
    await page
      .getByRole('table')
      .getByText(/^0 patients/)
      .waitFor();
    await page.getByLabel('Search by pseudonym').fill('KM-axi');
    await page
      .getByRole('table')
      .getByText(/^8 patients/)
      .waitFor();
    await page.goto(patientUrl);
    await page.getByText('No such patient in your scope.').waitFor();
    await context.close();
  });

  test('a stale edit (409) says someone else changed the record and shows both versions', async () => {
    const a = await newPage(h);
    const b = await newPage(h);
    for (const s of [a, b]) {
      await signIn(s.page, 'dm-amc');
      await s.page.goto(patientUrl);
      await s.page.getByRole('button', { name: 'Edit patient' }).click();
    }
    await a.page.locator('#edit-patient-ageAtReferral').fill('62');
    await a.page.locator('#edit-patient-reason').fill('age corrected from the referral letter');
    await a.page.getByRole('button', { name: 'Save changes' }).click();
    await a.page.locator('#edit-patient-ageAtReferral').waitFor({ state: 'detached' });

    await b.page.locator('#edit-patient-lineOfTherapy').fill('4');
    await b.page.getByRole('button', { name: 'Save changes' }).click();
    // the reason is required by the API, and its message is shown beside the reason
    await b.page.locator('#edit-patient-reason-error').waitFor();
    await b.page.locator('#edit-patient-reason').fill('line recounted');
    await b.page.getByRole('button', { name: 'Save changes' }).click();
    const notice = b.page.locator('.conflict');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /Someone else changed this record/);
    const row = notice.locator('tr', { hasText: 'Age in whole years at referral' });
    assert.deepEqual(await row.locator('td').allTextContents(), ['61', '62']);
    const line = notice.locator('tr', { hasText: 'Line of therapy' });
    assert.deepEqual(await line.locator('td').allTextContents(), ['4', '3']);
    // nothing of b's edit was saved
    const saved = (await (
      await b.page.request.get(patientUrl.replace('/patients/', '/api/patients/'))
    ).json()) as Record<string, unknown>;
    assert.equal(saved.lineOfTherapy, 3);
    assert.equal(saved.ageAtReferral, 62);
    await a.context.close();
    await b.context.close();
  });

  test('the dashboard’s Kaplan–Meier medians equal GET /api/dashboard', async () => {
    const { context, page } = await newPage(h);
    await signIn(page, 'admin');
    await page.getByRole('link', { name: 'Dashboard' }).click();
    const api = (await (await page.request.get('/api/dashboard')).json()) as {
      byProduct: Record<string, { medianPfsDays: number | null; medianOsDays: number | null }>;
    };
    for (const product of ['axi-cel', 'tisa-cel']) {
      const want = api.byProduct[product];
      assert.ok(
        want && want.medianPfsDays !== null && want.medianOsDays !== null,
        `API medians of ${product}`,
      );
      const pfs = (await page.getByTestId(`median-pfs-${product}`).textContent()) ?? '';
      const os = (await page.getByTestId(`median-os-${product}`).textContent()) ?? '';
      assert.equal(Number(pfs.split(' ')[0]), want.medianPfsDays, `PFS median of ${product}: ${pfs}`);
      assert.equal(Number(os.split(' ')[0]), want.medianOsDays, `OS median of ${product}: ${os}`);
      assert.match(pfs, /^\S+ \(\S+–\S+\)$/, 'median with its 95% CI');
    }
    // the CONSORT flow: 16 seeded + 1 created patients referred, 17 infused
    assert.equal(await page.getByTestId('flow-referred').textContent(), '17');
    assert.equal(await page.getByTestId('flow-infused').textContent(), '17');
    // the four figures are server-rendered SVG images with a text alternative; no chart library loads
    await figuresDrawn(page, 4);
    const alts = await page
      .locator('.chart img')
      .evaluateAll((imgs) => imgs.map((i) => i.getAttribute('alt')));
    assert.ok(
      alts.every((a) => a && a.length > 10),
      alts.join(' | '),
    );
    const svg = await page.request.get('/api/dashboard/figures/km-pfs.svg?product=tisa-cel');
    assert.equal(svg.status(), 200);
    assert.match(svg.headers()['content-type'] ?? '', /^image\/svg\+xml/);
    assert.match(await svg.text(), /^<svg[\s\S]*tisa-cel[\s\S]*<\/svg>$/);
    assert.doesNotMatch(await svg.text(), /axi-cel/);
    // a product filter: the figures and numbers of GET /api/dashboard?product=…
    await page.getByLabel('Product', { exact: true }).selectOption('tisa-cel');
    await page.getByTestId('flow-infused').getByText(/^8$/).waitFor();
    assert.equal(await page.getByTestId('median-pfs-axi-cel').count(), 0);
    assert.ok(
      (await page.locator('.chart img').first().getAttribute('src'))?.endsWith('?product=tisa-cel'),
      'the figures are asked for with the filter',
    );
    await context.close();
  });

  test('keyboard-only form entry: a new patient with Tab, typing and Enter', async () => {
    const { context, page } = await newPage(h);
    await signIn(page, 'dm-amc');
    await page.goto('/patients/new');
    await page.getByRole('form', { name: 'Referral' }).waitFor();
    const focused = () => page.evaluate(() => document.activeElement?.id ?? '');
    for (let i = 0; i < 12 && (await focused()) !== 'patient-pseudonym'; i++)
      await page.keyboard.press('Tab');
    assert.equal(await focused(), 'patient-pseudonym', 'Tab reaches the first field');
    await page.keyboard.type('AMC-KBD-001');
    await page.keyboard.press('Tab');
    await page.keyboard.type('58');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'patient-sex');
    await page.keyboard.type('F');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'patient-referralDate');
    await page.keyboard.type('02142024'); // the en-US date field: month, day, year
    assert.equal(await page.locator('#patient-referralDate').inputValue(), '2024-02-14');
    // Tab walks through the date's month, day and year parts before leaving the field
    for (let i = 0; i < 3 && (await focused()) === 'patient-referralDate'; i++)
      await page.keyboard.press('Tab');
    assert.equal(await focused(), 'patient-lineOfTherapy');
    await page.keyboard.type('2');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'patient-histology');
    await page.keyboard.type('DLBCL');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Patient AMC-KBD-001' }).waitFor();
    const facts = (await page.locator('.patient-facts').textContent()) ?? '';
    assert.match(facts, /age 58 at referral · DLBCL · line 2/);
    assert.match((await page.locator('li.entry-referral').textContent()) ?? '', /2024-02-14/);
    await context.close();
  });

  test('the patient list filters by centre, product and period and sorts by a column', async () => {
    const { context, page } = await newPage(h);
    await signIn(page, 'admin');
    const caption = page.getByRole('table').locator('caption');
    await caption.getByText(/^18 patients/).waitFor();
    await page.getByLabel('Centre').selectOption('AMC');
    await caption.getByText(/^2 patients/).waitFor();
    await page.getByLabel('Centre').selectOption('');
    await page.getByLabel('Product').selectOption('tisa-cel');
    await caption.getByText(/^8 patients/).waitFor();
    const products = await page.locator('table.patients tbody tr td:nth-child(8)').allTextContents();
    const rowsText = await page.locator('table.patients tbody tr').allTextContents();
    assert.deepEqual([...new Set(products)], ['tisa-cel'], rowsText.join(' | '));
    await page.getByLabel('Referred from').fill('2023-02-01');
    await caption.getByText(/^4 patients/).waitFor();
    await page.getByLabel('Product').selectOption('');
    await page.getByLabel('Referred from').fill('');
    await caption.getByText(/^18 patients/).waitFor();
    await page.getByRole('button', { name: /^Age/ }).click();
    await page.getByRole('button', { name: /^Age/ }).click();
    await page.locator('th[aria-sort="descending"]').waitFor();
    const ages = (await page.locator('table.patients tbody tr td:nth-child(4)').allTextContents()).map(
      Number,
    );
    assert.deepEqual(
      ages,
      [...ages].sort((a, b) => b - a),
    );
    assert.equal(ages[0], 62);
    await context.close();
  });

  test('every page is accessible (axe-core) and is photographed for docs/screenshots', async () => {
    const { context, page } = await newPage(h);
    await signIn(page, 'admin');
    const pages: [string, string, () => Promise<unknown>][] = [
      [
        'patients',
        '/patients',
        () =>
          page
            .getByRole('table')
            .getByText(/^18 patients/)
            .waitFor(),
      ],
      ['new-patient', '/patients/new', () => page.getByRole('form', { name: 'Referral' }).waitFor()],
      ['patient', patientUrl, () => page.locator('li.entry-toxicity-observations').waitFor()],
      ['dashboard', '/dashboard', () => figuresDrawn(page, 4)],
      ['studies', '/studies', () => page.getByRole('heading', { name: 'Studies' }).waitFor()],
      ['audit', '/audit', () => page.getByRole('table').waitFor()],
    ];
    for (const [name, url, ready] of pages) {
      await page.goto(url);
      await ready();
      if (name === 'patient') {
        // the toxicity form with its live grade is part of the page under test
        await page.getByLabel('Add an entry').selectOption('toxicity-observations');
        await page.getByTestId('crs-grade').waitFor();
      }
      await assertAccessible(page, name);
      await screenshot(page, name, name !== 'audit');
    }
    // the audit trail lists the 409 test's edit with its reason and both values
    await page.goto('/audit');
    await page.getByLabel('Action').selectOption('update');
    const row = page.locator('tr', { hasText: 'age corrected from the referral letter' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /ageAtReferral: 61.*ageAtReferral: 62/);
    await context.close();
  });
});

/** Waits until the page shows `n` dashboard figures, each an SVG image that loaded. */
async function figuresDrawn(page: Page, n: number): Promise<void> {
  await page.waitForFunction((count) => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>('.chart img')];
    return imgs.length === count && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, n);
}
