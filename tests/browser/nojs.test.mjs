// nojs.test.mjs -- the whole officer flow with JavaScript disabled: plain
// form posts and redirects (Post/Redirect/Get) must do everything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, phone, officer, signIn, api, issuesOf } from './helpers.mjs';

const ME = 'O002';
let browser, page;
const posts = [];

before(async () => {
  browser = await launch();
  page = await (await phone(browser, false)).newPage();
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.resourceType()); });
});
after(async () => { await browser?.close(); });

test('without JavaScript: sign in and see the period', async () => {
  await signIn(page, ME);
  await page.getByText('本期尚未报送').waitFor();
});

test('without JavaScript: a refused form keeps what was typed', async () => {
  await page.selectOption('#topic', 'hiring');
  await page.fill('#title', '没有选企业');
  await page.click('#report button[type=submit]');
  await page.waitForSelector('#enterprise-error');
  assert.equal(await page.textContent('#enterprise-error'), '请选择您联系的企业。');
  assert.equal(await page.inputValue('#title'), '没有选企业');
  assert.equal(await page.inputValue('#topic'), 'hiring');
});

test('without JavaScript: report, see the confirmation, be refused a zero report', async () => {
  await page.selectOption('#enterprise', officer(ME).enterprises[1]);
  await page.fill('#title', '厂区道路破损');
  await page.fill('#detail', '进出厂区的道路坑洼，货车通行困难');
  await page.click('#report button[type=submit]');
  await page.waitForSelector('#done');
  assert.match(page.url(), /\/form\?done=R\d+#done$/);
  const issues = await issuesOf(ME);
  assert.equal(issues.length, 1);
  assert.equal(await page.textContent('#done .issue-id'), issues[0].id);
  assert.ok((await page.textContent('#done .routed')).length > 0);
  await page.getByText('本期已报送').waitFor();
  // A zero report after an issue is refused by the zero form, and the
  // answer opens there (the form's anchor), not at the top of the page.
  await page.check('#zero-confirm');
  await page.click('form[action="/form/zero#zero"] button');
  await page.waitForSelector('#confirm-error');
  assert.match(await page.textContent('#confirm-error'), /不能再提交零报告/);
  assert.match(page.url(), /\/form\/zero#zero$/);
  assert.ok(await page.evaluate(() => window.scrollY > 0), 'scrolled to the zero form');
  // Every submission was the browser's own form post, none a script's fetch.
  assert.ok(posts.length >= 4);
  assert.ok(posts.every((t) => t === 'document'), posts.join());
});

test('without JavaScript: confirm a resolved issue', async () => {
  const [issue] = await issuesOf(ME);
  const task = issue.tasks[0].id;
  // hr works it through the API (the department page has its own test).
  for (const [s, body] of [['claim', { claimant: '李四' }], ['respond', { response: '已派人查看' }],
    ['resolve', { resolution: '道路已修复' }]]) {
    const r = await api('POST', `/api/v1/tasks/${task}/${s}`, 'hr', body);
    assert.equal(r.status, 200, s);
  }
  await page.goto(BASE + '/form');
  await page.locator(`#issue-${issue.id}`).getByLabel('满意', { exact: true }).check();
  await page.locator(`#issue-${issue.id}`).getByRole('button', { name: '提交评价' }).click();
  await page.getByText('的办理结果已确认').waitFor();
  const now = await api('GET', `/api/v1/issues/${issue.id}`, ME);
  assert.equal(now.json.state, 'closed');
});

