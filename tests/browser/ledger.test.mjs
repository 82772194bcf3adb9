// ledger.test.mjs -- /ledger, the public ledger: no sign-in, filters that
// are plain GET forms, each department's rates as the API computes them,
// no enterprise names (not configured here), user text escaped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, ROSTER, launch, phone, shot, watchDialogs } from './helpers.mjs';

let browser, page, dialogs;

before(async () => {
  browser = await launch();
  page = await (await phone(browser, false)).newPage();
  dialogs = watchDialogs(page);
});
after(async () => { await browser?.close(); });

function pct(rate) {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

test('the ledger shows every department\'s response and resolution rate, as the API does', async () => {
  await page.goto(BASE + '/ledger');
  const api = await (await fetch(BASE + '/api/v1/ledger')).json();
  const rows = await page.locator('#scores tbody tr').evaluateAll((trs) => trs.map(
    (tr) => [tr.dataset.department, ...[...tr.cells].slice(1).map((c) => c.textContent)]));
  assert.equal(rows.length, ROSTER.departments.length + 1);
  for (const d of api.departments) {
    const row = rows.find((r) => r[0] === d.id);
    assert.deepEqual(row.slice(1), [String(d.received), pct(d.response_rate),
      pct(d.resolution_rate), pct(d.satisfaction_rate),
      d.score === null ? '—' : d.score.toFixed(1), d.rank === null ? '—' : String(d.rank)], d.id);
  }
  const hr = api.departments.find((d) => d.id === 'hr');
  assert.ok(hr.received > 0);
  const issues = await page.locator('#issues > li').count();
  assert.equal(issues, api.issues.length);
  await shot(page, 'ledger.png');
});

test('filters narrow the list, and no enterprise is named', async () => {
  await page.selectOption('#department', 'hr');
  await page.selectOption('#state', 'resolved');
  await page.click('form.filters button');
  assert.match(page.url(), /department=hr/);
  const api = await (await fetch(BASE + '/api/v1/ledger?department=hr&state=resolved')).json();
  assert.ok(api.issues.length > 0);
  const ids = await page.locator('#issues > li').evaluateAll((ls) => ls.map((l) => l.id).sort());
  assert.deepEqual(ids, api.issues.map((i) => 'issue-' + i.id).sort());
  const text = await page.textContent('main');
  for (const e of ROSTER.enterprises) assert.ok(!text.includes(e.name), e.name);
  assert.equal(await page.locator('.enterprise').count(), 0);
  assert.equal(await page.inputValue('#department'), 'hr');
});

test('a bad filter is answered in Chinese; script in titles stays text', async () => {
  const resp = await page.goto(BASE + '/ledger?period=2026-13-9');
  assert.equal(resp.status(), 422);
  assert.match(await page.textContent('main'), /期次的格式/);
  await page.goto(BASE + '/ledger');
  assert.equal(await page.locator('#issues script, #issues img').count(), 0);
  assert.deepEqual(dialogs, []);
});
