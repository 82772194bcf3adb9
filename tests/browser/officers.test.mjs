// officers.test.mjs -- the zone office on /officers at 360x740 without
// JavaScript: the performance table scrolls inside its box (the page does
// not get wider than the phone), a tap on a header sorts by it and a second
// tap turns the order round, officers with no recent visit are marked, and
// a tap on a name opens that officer's detail with their visits and talks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, phone, officer, enterpriseName, signIn, api, shot } from './helpers.mjs';

let browser, page;
const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);   // the zone's day

before(async () => {
  browser = await launch();
  const ents = officer('O005').enterprises;
  for (const [ent, n] of [[ents[0], 3], [ents[1] ?? ents[0], 2], [ents[0], 1]]) {
    const r = await api('POST', '/api/v1/visits', 'O005', { enterprise: ent, date: today, mode: 'visit',
      note: '走访了解用工情况', suggestions: n });
    assert.equal(r.status, 201);
  }
  const t = await api('POST', '/api/v1/events', 'O005', { kind: 'policy', date: today, title: '减税降费政策宣讲',
    audience: 80, enterprises: [ents[0]] });
  assert.equal(t.status, 201);
  page = await (await phone(browser, false)).newPage();
});
after(async () => { await browser?.close(); });

function rowIds() {
  return page.locator('#officers tbody tr').evaluateAll((rows) => rows.map((r) => r.id.replace('officer-', '')));
}

test('the table sorts by a tapped column, both ways, and marks idle officers', async () => {
  await signIn(page, 'admin', '/admin');
  await page.getByRole('link', { name: '指导员表现' }).click();
  await page.waitForURL(BASE + '/officers');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width}px wide`);
  await page.locator('#officers thead').getByRole('link', { name: '走访次数' }).click();
  await page.waitForURL(/sort=visits&order=desc/);
  assert.equal((await rowIds())[0], 'O005');
  assert.equal(await page.locator('#officers th[aria-sort="descending"]').textContent(), '走访次数 ▼');
  assert.equal(await page.locator('#officer-O005 [data-column="visits"]').textContent(), '3');
  assert.equal(await page.locator('#officer-O005 .badge.idle').count(), 0);
  assert.ok(await page.locator('#officers tr.idle .badge.idle').count() > 0);
  await shot(page, 'officers.png');
  await page.locator('#officers thead').getByRole('link', { name: /走访次数/ }).click();
  await page.waitForURL(/sort=visits&order=asc/);
  const ids = await rowIds();
  assert.equal(ids[ids.length - 1], 'O005');
});

test('a tap on a name opens the officer\'s detail', async () => {
  await page.locator('#officer-O005 th a').click();
  await page.waitForURL(/\/officers\/O005\?/);
  assert.match(await page.locator('#summary').textContent(), new RegExp(officer('O005').name));
  assert.equal(await page.locator('#summary [data-column="suggestions"]').textContent(), '6');
  assert.equal(await page.locator('#visits li').count(), 3);
  assert.match(await page.locator('#visits').textContent(), new RegExp(enterpriseName(officer('O005').enterprises[0])));
  assert.match(await page.locator('#events').textContent(), /减税降费政策宣讲 · 受众 80 人次/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the detail is ${width}px wide`);
  await shot(page, 'officers-detail.png');
});
