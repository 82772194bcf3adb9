// dept.test.mjs -- /dept at 360x740: the queue oldest first with deadlines
// (overdue in red), claim, respond, resolve, each a plain form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, phone, officer, signIn, api, shot } from './helpers.mjs';

let browser, page, task;

before(async () => {
  browser = await launch();
  page = await (await phone(browser)).newPage();
  const r = await api('POST', '/api/v1/reports', 'O007', {
    items: [{ enterprise: officer('O007').enterprises[1], topic: 'labor', title: '劳动合同纠纷咨询',
      detail: '企业希望了解劳动合同解除的规定 <script>alert(1)</script>' }],
  });
  assert.equal(r.status, 201);
  task = r.json.issues[0].tasks[0].id;
});
after(async () => { await browser?.close(); });

test('the queue is oldest first, with deadlines, the overdue one in red', async () => {
  await signIn(page, 'hr', '/dept');
  const ids = await page.locator('#queue > li').evaluateAll((ls) => ls.map((l) => l.id));
  const queue = await api('GET', '/api/v1/departments/hr/queue', 'hr');
  assert.deepEqual(ids, queue.json.tasks.map((t) => 'task-' + t.id));
  const first = page.locator(`#task-${process.env.OVERDUE_TASK}`);
  assert.equal(ids[0], `task-${process.env.OVERDUE_TASK}`);
  assert.match(await first.locator('.overdue').textContent(), /已超期/);
  const color = await first.locator('.overdue').evaluate((e) => getComputedStyle(e).color);
  assert.equal(color, 'rgb(176, 0, 32)');
  assert.equal(await page.locator(`#task-${task} .overdue`).count(), 0);
  assert.match(await page.locator(`#task-${task}`).textContent(), /<script>alert\(1\)<\/script>/);
  await shot(page, 'dept.png');
});

test('claim needs a claimant; then respond and resolve', async () => {
  const item = () => page.locator(`#task-${task}`);
  await item().getByRole('button', { name: '认领' }).click();
  await page.waitForSelector(`#task-${task} .error`);
  assert.equal(await item().locator('.error').textContent(), '请填写认领人。');
  await page.fill(`#claimant-${task}`, '王五');
  await item().getByRole('button', { name: '认领' }).click();
  await page.getByText(`任务 ${task} 已认领。`).waitFor();
  assert.equal(await page.locator(`#work #task-${task}`).count(), 1);
  await page.fill(`#response-${task}`, '已电话联系企业，约定上门讲解');
  await item().getByRole('button', { name: '回应' }).click();
  await page.getByText(`任务 ${task} 已回应。`).waitFor();
  await page.fill(`#resolution-${task}`, '已上门讲解并提供政策汇编');
  await item().getByRole('button', { name: '办结' }).click();
  await page.getByText(`任务 ${task} 已办结。`).waitFor();
  const t = await api('GET', `/api/v1/tasks/${task}`, 'hr');
  assert.equal(t.json.state, 'resolved');
  assert.equal(t.json.claimant, '王五');
  assert.equal(t.json.resolution, '已上门讲解并提供政策汇编');
});

test('a department is not shown the officers\' page', async () => {
  const resp = await page.goto(BASE + '/form');
  assert.equal(resp.status(), 403);
  assert.match(await page.textContent('main'), /此页面供联络员使用/);
});
