// admin.test.mjs -- the zone office on /admin at 360x740: a task the
// department returned (退单) waits in the triage list with its reason and
// whom to call; the admin ticks the right department, writes why and
// re-routes it, without JavaScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, phone, officer, signIn, api, shot } from './helpers.mjs';

let browser, page, issue;

before(async () => {
  browser = await launch();
  const r = await api('POST', '/api/v1/reports', 'O011', {
    items: [{ enterprise: officer('O011').enterprises[0], topic: 'hiring', title: '技改补贴申报咨询',
      detail: '企业准备申报技术改造补贴，想了解申报条件' }],
  });
  assert.equal(r.status, 201);
  issue = r.json.issues[0].id;
  const back = await api('POST', `/api/v1/tasks/${r.json.issues[0].tasks[0].id}/return`, 'hr',
    { reason: '技改补贴属经济发展局职责' });
  assert.equal(back.status, 200);
  page = await (await phone(browser, false)).newPage();
});
after(async () => { await browser?.close(); });

test('an admin re-routes a returned task from the triage list', async () => {
  await signIn(page, 'admin', '/admin');
  const item = page.locator(`#issue-${issue}`);
  assert.match(await item.textContent(), /技改补贴属经济发展局职责/);
  assert.match(await item.locator('a.tel').getAttribute('href'), /^tel:\d+/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width}px wide`);
  await shot(page, 'admin.png');
  await item.locator('input[value="econ"]').check();
  await item.getByLabel('分派理由').fill('属于企业服务，转经济发展局');
  await item.getByRole('button', { name: '重新分派' }).click();
  await page.getByText(`${issue} 已重新分派。`).waitFor();
  assert.equal(await page.locator(`#issue-${issue}`).count(), 0);
  const i = await api('GET', `/api/v1/issues/${issue}`, 'admin');
  assert.deepEqual(i.json.departments, ['econ']);
  assert.equal(i.json.state, 'queued');
});

test('the admin prints sign-in cards: one per officer, with a QR code', async () => {
  await page.goto(BASE + '/admin');
  await page.getByRole('button', { name: '打印全部联络员的登录卡片' }).click();
  await page.waitForSelector('.signin-card');
  const n = await page.locator('.signin-card').count();
  const roster = JSON.parse((await import('node:fs')).readFileSync(process.env.ROSTER, 'utf8'));
  assert.equal(n, roster.officers.length);
  const first = page.locator('.signin-card').first();
  assert.equal(await first.locator('svg.qr').count(), 1);
  assert.match(await first.locator('.url').textContent(), /\/signin\/lt_/);
  await page.emulateMedia({ media: 'print' });
  await page.setViewportSize({ width: 794, height: 1123 });          // A4 at 96 dpi
  assert.equal(await page.locator('header.top').isVisible(), false);
  await page.screenshot({ path: `${process.env.SCREENSHOTS}/admin-cards.png` });
});
