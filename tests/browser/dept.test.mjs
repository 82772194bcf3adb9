// dept.test.mjs -- /dept at 360x740: the queue oldest first with deadlines
// (overdue in red), claim, respond, resolve and return (退单), each a plain
// form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, phone, officer, signIn, api, shot } from './helpers.mjs';

let browser, page, task, notOurs;

before(async () => {
  browser = await launch();
  page = await (await phone(browser)).newPage();
  const r = await api('POST', '/api/v1/reports', 'O007', {
    items: [{ enterprise: officer('O007').enterprises[1], topic: 'labor', title: '劳动合同纠纷咨询',
      detail: '企业希望了解劳动合同解除的规定 <script>alert(1)</script>' },
    { enterprise: officer('O007').enterprises[1], topic: 'hiring', title: '出口退税进度查询',
      detail: '企业询问出口退税办理进度' }],
  });
  assert.equal(r.status, 201);
  task = r.json.issues[0].tasks[0].id;
  notOurs = r.json.issues[1];
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

test('the claimant\'s name is remembered on this phone for the next claim', async () => {
  await page.goto(BASE + '/dept');
  assert.equal(await page.inputValue(`#claimant-${process.env.OVERDUE_TASK}`), '王五');
});

test('a deadline says which step it is for', async () => {
  const text = await page.locator(`#task-${process.env.OVERDUE_TASK} .deadline`).textContent();
  assert.match(text, /^认领期限 /);
});

test('a task that is not ours is returned with a reason (退单)', async () => {
  const id = notOurs.tasks[0].id;
  const item = () => page.locator(`#task-${id}`);
  await page.goto(BASE + '/dept');
  assert.equal(await item().locator('details.return').getAttribute('open'), null);
  await item().getByText('不属于本部门？退单').click();
  const box = await item().locator('details.return summary').boundingBox();
  assert.ok(box.height >= 44, `summary is ${box.height}px high`);
  await item().getByRole('button', { name: '退单' }).click();
  await page.waitForSelector(`#task-${id} .error`);
  assert.equal(await item().locator('.error').textContent(), '请填写原因。');
  assert.notEqual(await item().locator('details.return').getAttribute('open'), null);
  await page.fill(`#reason-${id}`, '出口退税属税务分局职责');
  await item().getByRole('button', { name: '退单' }).click();
  await page.getByText(`任务 ${id} 已退单，等待管理员重新分派。`).waitFor();
  assert.equal(await page.locator(`#task-${id}`).count(), 0);
  const t = await api('GET', `/api/v1/tasks/${id}`, 'hr');
  assert.equal(t.json.state, 'returned');
});

test('a department is not shown the officers\' page', async () => {
  const resp = await page.goto(BASE + '/form');
  assert.equal(resp.status(), 403);
  assert.match(await page.textContent('main'), /此页面供指导员使用/);
});
