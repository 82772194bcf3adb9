// contact.test.mjs -- a clerk on /dept at 360x740 sees whom to call: every
// member enterprise of a common task, each officer's name, unit and phone as
// a tel: link big enough for a thumb, the due time and the history; the
// search box and the filters work without JavaScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, phone, officer, enterpriseName, signIn, api, shot } from './helpers.mjs';

const REPORTERS = ['O008', 'O009', 'O010'];   // other tests use O001-O007
const TITLE = '夜班通勤班车停运影响招工';
const DETAIL = '园区夜班通勤班车停运，员工下班无车可乘，企业招工留工困难';
let browser, page, task;

before(async () => {
  browser = await launch();
  let issue;
  for (const o of REPORTERS) {
    const r = await api('POST', '/api/v1/reports', o, {
      items: [{ enterprise: officer(o).enterprises[0], topic: 'hiring', title: TITLE, detail: DETAIL }],
    });
    assert.equal(r.status, 201);
    issue = r.json.issues[0].id;
  }
  const i = await api('GET', `/api/v1/issues/${issue}`, 'admin');
  assert.equal(i.json.category, 'common');
  task = i.json.tasks.find((t) => t.department === 'hr' && t.state === 'queued').id;
  page = await (await phone(browser, false)).newPage();
});
after(async () => { await browser?.close(); });

test('a common task names every enterprise and officer, with a tel: link', async () => {
  await signIn(page, 'hr', '/dept');
  const item = page.locator(`#task-${task}`);
  const enterprises = await item.locator('dd.enterprise').allTextContents();
  assert.deepEqual(enterprises.sort(),
    REPORTERS.map((o) => enterpriseName(officer(o).enterprises[0])).sort());
  for (const o of REPORTERS) {
    const who = officer(o);
    const dd = item.locator('dd.officer', { hasText: who.name });
    assert.match(await dd.textContent(), new RegExp(`${who.name}（${who.unit}）`));
    const tel = dd.locator('a.tel');
    assert.equal(await tel.getAttribute('href'), 'tel:' + who.phone.replace(/[^0-9+]/g, ''));
    assert.equal(await tel.textContent(), who.phone);
    const box = await tel.boundingBox();
    assert.ok(box.height >= 44, `the phone link is ${box.height}px high`);
  }
  assert.match(await item.locator('p', { hasText: '期限' }).first().textContent(),
    /期限 \d{4}-\d\d-\d\d \d\d:\d\d/);
  const history = item.locator('details.history').first();
  await history.locator('summary').click();
  assert.match(await history.locator('table').textContent(), /报送/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width}px wide`);
  await shot(page, 'dept-contact.png');
});

test('search by an officer\'s name finds the task, and only what matches', async () => {
  await page.goto(BASE + '/dept');
  await page.fill('#q', officer('O009').name);
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForURL(/\/dept\?q=/);
  const ids = await page.locator('#queue > li[id]').evaluateAll((ls) => ls.map((l) => l.id));
  assert.ok(ids.includes(`task-${task}`), ids.join());
  assert.ok(!ids.includes(`task-${process.env.OVERDUE_TASK}`), ids.join());
  assert.equal(await page.inputValue('#q'), officer('O009').name);
  await page.getByRole('link', { name: '清除筛选' }).click();
  await page.waitForURL(BASE + '/dept');
  assert.equal(await page.locator(`#task-${process.env.OVERDUE_TASK}`).count(), 1);
});

test('the overdue and state filters', async () => {
  await page.goto(BASE + '/dept');
  await page.check('#overdue');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForURL(/overdue=1/);
  const ids = await page.locator('#queue > li[id]').evaluateAll((ls) => ls.map((l) => l.id));
  assert.deepEqual(ids, [`task-${process.env.OVERDUE_TASK}`]);
  await page.goto(BASE + '/dept');
  await page.selectOption('#state', 'claimed');
  await page.getByRole('button', { name: '筛选' }).click();
  await page.waitForURL(/state=claimed/);
  assert.equal(await page.locator('#queue > li[id]').count(), 0);
  assert.match(await page.textContent('#queue'), /没有符合筛选条件的待认领任务/);
  const resp = await page.goto(BASE + '/dept?state=nonsense');
  assert.equal(resp.status(), 400);
});
