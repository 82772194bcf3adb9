// governance.test.mjs -- issue 16's pages at 360x740 without JavaScript:
// /ledger's bars (inline SVG made by the daemon: present, sized to the
// phone, labelled with <title> and aria-label, one group per department,
// the score's bar as long as the API's score), on the sample period
// (PRINT_URL); and /agenda, the working meeting's agenda, for an admin
// session, on screen and on paper (the ledger's print stylesheet).
// The line of the zone's 办结率 over six periods (frozen totals, then the
// live one). Screenshots: ledger-chart.png, ledger-line.png and agenda.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BASE, ROSTER, launch, phone, signIn, shot } from './helpers.mjs';

const SAMPLE = process.env.PRINT_URL;
const BAR_MAX = 230;     // web_chart.c's bar at 100 %

let browser, page;

before(async () => {
  assert.ok(SAMPLE, 'PRINT_URL is not set (tests/browser/run sets it)');
  browser = await launch();
  page = await (await phone(browser, false)).newPage();
});
after(async () => { await browser?.close(); });

test('the ledger draws every department\'s rates and score as labelled bars that fit a phone', async () => {
  await page.goto(SAMPLE + '/ledger');
  const api = await (await fetch(SAMPLE + '/api/v1/ledger')).json();
  const svg = page.locator('svg#chart-scores');
  assert.ok(await svg.isVisible());
  const box = await svg.boundingBox();
  assert.ok(box.width > 200 && box.width <= 360, `the chart is ${box.width}px wide`);
  assert.ok(box.height > 100, `the chart is ${box.height}px high`);
  assert.match(await svg.getAttribute('aria-label'), /响应率.*得分/);
  assert.equal(await svg.getAttribute('role'), 'img');
  assert.match(await svg.locator('> title').textContent(), /各部门/);
  assert.equal(await svg.locator('g[data-department]').count(), ROSTER.departments.length);
  for (const d of api.departments) {
    const g = svg.locator(`g[data-department="${d.id}"]`);
    const score = g.locator('rect.bar[fill="#c8102e"]');
    if (d.score === null) {
      assert.equal(await score.count(), 0, d.id);
      continue;
    }
    assert.equal(Number(await score.getAttribute('width')), Math.round(d.score / 100 * BAR_MAX), d.id);
    assert.equal(await score.locator('title').textContent(), `得分 ${d.score.toFixed(1)}`);
  }
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width}px wide`);
  await svg.screenshot({ path: join(process.env.SCREENSHOTS, 'ledger-chart.png') });
  // on paper the score table carries the same figures: the bars stay off it
  await page.emulateMedia({ media: 'print' });
  assert.ok(!(await svg.isVisible()), 'the bars are printed');
  await page.emulateMedia({ media: 'screen' });
});

test('the ledger draws the zone\'s last six periods as a labelled line that fits a phone', async () => {
  // tests/browser/run froze four of the five earlier periods (P snapshot:totals)
  await page.goto(SAMPLE + '/ledger');
  const api = await (await fetch(SAMPLE + '/api/v1/ledger')).json();
  const svg = page.locator('svg#chart-periods');
  assert.ok(await svg.isVisible());
  const box = await svg.boundingBox();
  assert.ok(box.width > 200 && box.width <= 360, `the line is ${box.width}px wide`);
  assert.ok(box.height > 100, `the line is ${box.height}px high`);
  assert.equal(await svg.getAttribute('role'), 'img');
  assert.match(await svg.getAttribute('aria-label'), /近 6 期办结率/);
  assert.match(await svg.locator('> title').textContent(), new RegExp(`办结率.*${api.period}`));
  const points = svg.locator('g.point');
  assert.equal(await points.count(), 6);
  // the last point is the live period's, as the API's total says
  assert.equal(await points.nth(5).getAttribute('data-period'), api.period);
  const live = api.total.resolution_rate;
  assert.equal(await points.nth(5).locator('circle').count(), live === null ? 0 : 1);
  // the frozen ones carry their figure; the one not frozen is a gap
  assert.equal(await points.nth(1).locator('circle title').textContent(),
    `${await points.nth(1).getAttribute('data-period')} 办结率 66.0%`);
  assert.equal(await points.nth(4).locator('circle').count(), 0);
  assert.match(await points.nth(4).textContent(), /—/);
  assert.match(await svg.locator('path.line').getAttribute('d'), /^M\d+ \d+ L/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width}px wide`);
  await svg.screenshot({ path: join(process.env.SCREENSHOTS, 'ledger-line.png') });
});

test('an admin reads the meeting agenda, oldest first, and prints it', async () => {
  await signIn(page, 'admin', '/admin');
  await page.goto(BASE + '/agenda');
  const rows = page.locator('#agenda tbody tr[data-kind]');
  const api = await (await fetch(BASE + '/api/v1/agenda', {
    headers: { Authorization: 'Bearer ' + JSON.parse(process.env.TOKENS).admin },
  })).json();
  assert.equal(await rows.count(), api.agenda.length);
  assert.ok(api.agenda.length > 0, 'the seeded overdue task is on the agenda');
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.cells[1].textContent));
  assert.deepEqual(ids, api.agenda.map((i) => i.issue));
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width}px wide`);
  await shot(page, 'agenda.png');
  await page.emulateMedia({ media: 'print' });
  assert.ok(await page.locator('#print-title').isVisible(), 'the title line prints');
  for (const el of await page.locator('nav, button').all()) assert.ok(!(await el.isVisible()), 'navigation is printed');
  await page.emulateMedia({ media: 'screen' });
});
