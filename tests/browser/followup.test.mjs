// followup.test.mjs -- following an issue through on a 360x740 phone, without
// JavaScript (issues 17 and 19): an officer's report with every field wrong is
// refused once, each field marked; the officer sees what the department did
// since the last visit marked 新, opens the issue's own page with its whole
// history and rates it 不满意 with a reason; the clerk finds the task back
// on /dept saying why, resolves it, and finds it in 已办结 with its rating; a
// clerk's 延期申请 is approved by the admin on /admin.
// Screenshots: form-errors.png, form-issue.png, dept-done.png, admin-extension.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, phone, officer, signIn, api, shot } from './helpers.mjs';

const OFFICER = 'O013';
const TITLE = '厂区门前道路破损';
let browser, officerPage, clerkPage, issue, task;

async function fitsThePhone(page) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width}px wide`);
}

before(async () => {
  browser = await launch();
  officerPage = await (await phone(browser, false)).newPage();
  clerkPage = await (await phone(browser, false)).newPage();
});
after(async () => { await browser?.close(); });

test('a report with every field wrong is refused once, every field marked', async () => {
  await signIn(officerPage, OFFICER);
  await officerPage.locator('#detail').fill('长'.repeat(2001));
  await officerPage.getByRole('button', { name: '提交问题' }).click();
  await officerPage.locator('#error-summary').waitFor();
  for (const id of ['enterprise', 'topic', 'title', 'detail']) {
    assert.equal(await officerPage.locator(`#${id}`).getAttribute('aria-invalid'), 'true', id);
    assert.equal(await officerPage.locator(`#${id}-error`).count(), 1, id);
  }
  assert.match(await officerPage.locator('#error-summary').textContent(), /有 4 处需要修改/);
  assert.ok(officerPage.url().endsWith('#report'), 'the page opens at the form');
  await fitsThePhone(officerPage);
  await shot(officerPage, 'form-errors.png');
});

test('what the department did since the last visit is marked 新', async () => {
  const r = await api('POST', '/api/v1/reports', OFFICER, {
    items: [{ enterprise: officer(OFFICER).enterprises[0], topic: 'hiring', title: TITLE,
      detail: '门前道路坑洼，货车进出困难，影响招工面试人员通行' }],
  });
  assert.equal(r.status, 201);
  issue = r.json.issues[0].id;
  task = r.json.issues[0].tasks[0].id;
  await officerPage.goto(BASE + '/form');               // the visit before the department's steps
  await new Promise((done) => setTimeout(done, 20));    // ms clock: the steps come after it
  for (const [step, body] of [['claim', { claimant: '吴十' }], ['respond', { response: '已约企业现场查看' }],
    ['resolve', { resolution: '道路已修补' }]]) {
    assert.equal((await api('POST', `/api/v1/tasks/${task}/${step}`, 'hr', body)).status, 200);
  }
  await officerPage.goto(BASE + '/form');
  const item = officerPage.locator(`#issue-${issue}`);
  assert.match(await item.textContent(), /新认领[\s\S]*新回应[\s\S]*新办结/);
  assert.match(await officerPage.locator('#news').textContent(), /部门有 3 项新进展/);
  await officerPage.goto(BASE + '/form');
  assert.equal(await officerPage.locator(`#issue-${issue} .badge.new`).count(), 0);
});

test('the issue has its own page with the whole history; 不满意 with a reason sends it back', async () => {
  await officerPage.locator(`#issue-${issue}`).getByRole('link', { name: '详情与办理记录' }).click();
  await officerPage.waitForURL(`${BASE}/form/issues/${issue}`);
  const history = officerPage.locator('details.history[open]');
  assert.match(await history.textContent(), /吴十[\s\S]*已约企业现场查看[\s\S]*道路已修补/);
  await fitsThePhone(officerPage);
  await shot(officerPage, 'form-issue.png');
  await officerPage.getByRole('radio', { name: /^不满意/ }).check();
  await officerPage.getByRole('textbox', { name: /^意见/ }).fill('只修补了一半，仍有坑洼');
  await officerPage.getByRole('button', { name: '提交评价' }).click();
  await officerPage.getByText('已连同您的意见退回部门').waitFor();
});

test('the clerk sees why the task came back, resolves it and finds it in 已办结 with its rating', async () => {
  await signIn(clerkPage, 'hr', '/dept');
  const back = clerkPage.locator(`#task-${task}`);
  assert.match(await back.locator('.why').textContent(), /指导员退回重办[\s\S]*只修补了一半，仍有坑洼/);
  await back.getByLabel('认领人').fill('吴十');
  await back.getByRole('button', { name: '认领' }).click();
  await clerkPage.getByText(`任务 ${task} 已认领。`).waitFor();
  for (const [label, text, button] of [['回应内容', '再次到现场查看', '回应'], ['办结说明', '剩余路段已全部修补', '办结']]) {
    await clerkPage.locator(`#task-${task}`).getByLabel(label).fill(text);
    await clerkPage.locator(`#task-${task}`).getByRole('button', { name: button, exact: true }).click();
    await clerkPage.locator('[role=status]').waitFor();
  }
  assert.equal((await api('POST', `/api/v1/issues/${issue}/confirm`, OFFICER, { satisfaction: 'satisfied' })).status, 200);
  await clerkPage.goto(BASE + '/dept?state=resolved');
  const done = clerkPage.locator(`#done #task-${task}`);
  assert.match(await done.textContent(), /指导员评价：满意[\s\S]*剩余路段已全部修补/);
  await fitsThePhone(clerkPage);
  await shot(clerkPage, 'dept-done.png');
});

test('the admin approves a 延期申请 from /admin', async () => {
  const r = await api('POST', '/api/v1/reports', 'O014', {
    items: [{ enterprise: officer('O014').enterprises[0], topic: 'hiring', title: '技能培训补贴申领',
      detail: '企业组织员工参加技能培训，咨询补贴申领流程和材料' }],
  });
  assert.equal(r.status, 201);
  const t = r.json.issues[0].tasks[0].id;
  assert.equal((await api('POST', `/api/v1/tasks/${t}/extend`, 'hr', { days: 2, reason: '需会同财政核实' })).status, 200);
  const admin = await (await phone(browser, false)).newPage();
  await signIn(admin, 'admin', '/admin');
  const item = admin.locator(`#extension-${t}`);
  assert.match(await item.textContent(), /申请延期 2 个工作日[\s\S]*需会同财政核实/);
  await fitsThePhone(admin);
  await shot(admin, 'admin-extension.png');
  await item.getByRole('button', { name: '批准延期' }).click();
  await admin.getByText(`${t} 的延期申请已审批。`).waitFor();
  const x = await api('GET', `/api/v1/tasks/${t}`, 'admin');
  assert.equal(x.json.extensions[0].state, 'approved');
});
