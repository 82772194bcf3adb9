// officer.test.mjs -- /form with JavaScript on, at 360x740: sign in once,
// see the period, report a problem at one of one's own enterprises, see where
// it went, fix a refused form, be refused a zero report once the period has
// issues, send an issue back with 不满意 and its reason, then confirm it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, TOKENS, launch, phone, officer, enterpriseName, signIn, api, issuesOf, shot,
  watchDialogs,
} from './helpers.mjs';

const ME = 'O001';
let browser, context, page, dialogs;

before(async () => {
  browser = await launch();
  context = await phone(browser);
  page = await context.newPage();
  dialogs = watchDialogs(page);
});
after(async () => { await browser?.close(); });

test('the sign-in page is readable on a phone and keeps the token out of URL and page', async () => {
  await page.goto(BASE + '/form');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.match(await page.getAttribute('meta[name=viewport]', 'content'), /width=device-width/);
  await shot(page, 'signin.png');
  // The token can be shown while it is typed.
  await page.fill('#token', 'abc');
  await page.check('#show-token');
  assert.equal(await page.getAttribute('#token', 'type'), 'text');
  await page.uncheck('#show-token');
  assert.equal(await page.getAttribute('#token', 'type'), 'password');
  await signIn(page, ME);
  assert.ok(!page.url().includes(TOKENS[ME]));
  assert.ok(!(await page.content()).includes(TOKENS[ME]));
  const [cookie] = await context.cookies();
  assert.equal(cookie.name, 'liaison_session');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  // kept across browser restarts for [web] session_days (30 by default)
  const days = (cookie.expires - Date.now() / 1000) / 86400;
  assert.ok(days > 29.9 && days <= 30, `the cookie lasts ${days} days`);
});

test('the page shows the current period, not yet reported, and only my enterprises', async () => {
  await page.goto(BASE + '/form');
  await assert.doesNotReject(page.getByText('本期尚未报送').waitFor());
  const values = await page.locator('#enterprise option').evaluateAll(
    (os) => os.map((o) => o.value).filter((v) => v));
  assert.deepEqual(values.sort(), [...officer(ME).enterprises].sort());
  // Nothing sticks out of a 360 px screen, and the buttons are big enough to tap.
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `page is ${width}px wide`);
  for (const b of await page.locator('button:visible').all()) {
    const box = await b.boundingBox();
    assert.ok(box.height >= 44, `a button ${box.height}px high`);
  }
  for (const id of ['enterprise', 'topic', 'title', 'detail', 'difficult']) {
    assert.equal(await page.locator(`label[for=${id}]`).count(), 1, `label for ${id}`);
  }
  await shot(page, 'form.png');
});

test('a refused form shows the reason next to the field, in Chinese, with what was typed', async () => {
  const ent = officer(ME).enterprises[0];
  await page.selectOption('#enterprise', ent);
  await page.selectOption('#topic', 'hiring');
  await page.fill('#detail', '标题忘了填，但这段描述要保留');
  await page.click('#report button[type=submit]');
  await page.waitForSelector('#title-error');
  assert.equal(await page.textContent('#title-error'), '请填写问题标题。');
  assert.equal(await page.inputValue('#detail'), '标题忘了填，但这段描述要保留');
  assert.equal(await page.inputValue('#enterprise'), ent);
  assert.equal(await page.getAttribute('#title', 'aria-invalid'), 'true');
  await shot(page, 'form-error.png');
  assert.equal((await issuesOf(ME)).length, 0);
});

test('a draft survives a reload and is dropped once submitted (JavaScript)', async () => {
  await page.goto(BASE + '/form');
  await page.fill('#title', '草稿标题');
  await page.fill('#detail', '草稿内容');
  await page.reload();
  assert.equal(await page.inputValue('#title'), '草稿标题');
  assert.equal(await page.inputValue('#detail'), '草稿内容');
  await page.fill('#title', '');
  await page.fill('#detail', '');
});

test('a report is confirmed with its issue number and where it was routed', async () => {
  const ent = officer(ME).enterprises[0];
  await page.goto(BASE + '/form');
  await page.selectOption('#enterprise', ent);
  await page.selectOption('#topic', 'hiring');
  await page.fill('#title', '普工缺口三十人');
  await page.fill('#detail', '订单增加，普工缺口约30人，希望对接劳务资源 <img src=x onerror=alert(1)>');
  await page.check('#difficult');
  await page.click('#report button[type=submit]');
  await page.waitForSelector('#done');
  const issues = await issuesOf(ME);
  assert.equal(issues.length, 1);
  assert.equal(await page.textContent('#done .issue-id'), issues[0].id);
  assert.equal(await page.textContent('#done .routed'), '人力资源和社会保障局');
  assert.match(await page.textContent('#done'), /疑难问题/);
  await page.getByText('本期已报送').waitFor();
  // The problem as written, shown as text: no image, no script ran.
  const item = page.locator(`#issue-${issues[0].id}`);
  assert.match(await item.textContent(), /<img src=x onerror=alert\(1\)>/);
  assert.equal(await page.locator('#issues img').count(), 0);
  assert.match(await item.textContent(), new RegExp(enterpriseName(ent)));
  assert.deepEqual(dialogs, []);
  await shot(page, 'form-done.png');
  assert.equal(await page.evaluate(() => localStorage.getItem('liaison-draft')), null);
});

test('a zero report after issues is refused by the zero form, with why', async () => {
  // Without the box ticked it only asks for the confirmation.
  await page.click('form[action="/form/zero#zero"] button');
  await page.waitForSelector('#confirm-error');
  assert.match(await page.textContent('#confirm-error'), /请先勾选确认/);
  await page.waitForFunction(() => document.activeElement.id === 'zero-confirm');
  await page.check('#zero-confirm');
  await page.click('form[action="/form/zero#zero"] button');
  await page.waitForSelector('#confirm-error');
  assert.match(await page.textContent('#confirm-error'), /本期您已报送过问题，不能再提交零报告/);
  const reports = await api('GET', '/api/v1/reports', ME);
  assert.equal(reports.json.reports.length, 1);
});

test('不满意 needs a reason and sends the issue back; then it is confirmed', async () => {
  const [issue] = await issuesOf(ME);
  const task = issue.tasks[0].id;
  const step = (s, body) => api('POST', `/api/v1/tasks/${task}/${s}`, 'hr', body);
  assert.equal((await step('claim', { claimant: '张三' })).status, 200);
  assert.equal((await step('respond', { response: '已联系人力资源市场' })).status, 200);
  assert.equal((await step('resolve', { resolution: '已推荐 30 名求职者' })).status, 200);
  await page.goto(BASE + '/form');
  const item = page.locator(`#issue-${issue.id}`);
  assert.match(await item.textContent(), /已推荐 30 名求职者/);
  assert.equal(await item.getByRole('button', { name: '退回重办' }).count(), 0, 'one way back');
  // 不满意 without a reason: refused next to the field, which has the focus.
  await item.getByRole('radio', { name: /不满意/ }).check();
  await item.getByRole('button', { name: '提交评价' }).click();
  await page.waitForSelector('#comment-error');
  assert.match(await page.textContent('#comment-error'), /请写明原因/);
  await page.waitForFunction((id) => document.activeElement.id === id, `comment-${issue.id}`);
  await page.locator(`#issue-${issue.id}`).getByRole('radio', { name: /不满意/ }).check();
  await page.fill(`#comment-${issue.id}`, '只来了 10 人');
  await page.locator(`#issue-${issue.id}`).getByRole('button', { name: '提交评价' }).click();
  await page.getByText('已连同您的意见退回部门').waitFor();
  let now = await api('GET', `/api/v1/issues/${issue.id}`, ME);
  assert.equal(now.json.state, 'queued');
  assert.equal((await step('claim', { claimant: '张三' })).status, 200);
  assert.equal((await step('respond', { response: '再次对接' })).status, 200);
  assert.equal((await step('resolve', { resolution: '又推荐了 20 人' })).status, 200);
  await page.goto(BASE + '/form');
  await page.locator(`#issue-${issue.id}`).getByLabel('基本满意').check();
  await page.locator(`#issue-${issue.id}`).getByRole('button', { name: '提交评价' }).click();
  await page.getByText('的办理结果已确认').waitFor();
  now = await api('GET', `/api/v1/issues/${issue.id}`, ME);
  assert.equal(now.json.state, 'closed');
  assert.deepEqual(dialogs, []);
});

test('signing out ends the session on the server too', async () => {
  const [cookie] = await context.cookies();
  await page.getByRole('button', { name: '退出登录' }).click();
  await page.getByLabel('令牌').waitFor();
  const again = await fetch(BASE + '/form', { headers: { Cookie: `${cookie.name}=${cookie.value}` } });
  assert.match(await again.text(), /使用令牌登录/);
});
