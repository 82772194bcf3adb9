// double.test.mjs -- a double tap, or a resend after a network error, never
// makes two issues: each rendered form carries its own idempotency key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, phone, officer, signIn, issuesOf } from './helpers.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function fill(page, who, title) {
  await page.selectOption('#enterprise', officer(who).enterprises[0]);
  await page.selectOption('#topic', 'hiring');
  await page.fill('#title', title);
  await page.fill('#detail', '双击提交按钮也只应登记一次');
}

for (const [who, js] of [['O003', true], ['O004', false]]) {
  test(`a double-clicked submit makes one issue (JavaScript ${js ? 'on' : 'off'})`, async () => {
    const page = await (await phone(browser, js)).newPage();
    await signIn(page, who);
    await fill(page, who, '双击测试');
    await page.dblclick('#report button[type=submit]');
    await page.waitForSelector('#done');
    // Let any second request finish before counting.
    await page.waitForLoadState('networkidle');
    await page.goto(BASE + '/form');
    assert.equal((await issuesOf(who)).length, 1);
    assert.equal(await page.locator('#issues > li').count(), 1);
  });
}

test('a resend after a lost answer makes one issue', async () => {
  const who = 'O005';
  const page = await (await phone(browser, true)).newPage();
  await signIn(page, who);
  await fill(page, who, '网络中断重发测试');
  let lost = 0;
  await page.route('**/form/report', async (route) => {
    if (lost === 0) {
      lost++;
      await route.fetch({ maxRedirects: 0 });   // the server stores it ...
      await route.abort('connectionreset');      // ... the answer is lost
      return;
    }
    await route.continue();
  });
  await page.click('#report button[type=submit]');
  await page.waitForSelector('#done');
  assert.equal(lost, 1);
  const issues = await issuesOf(who);
  assert.equal(issues.length, 1);
  assert.equal(await page.textContent('#done .issue-id'), issues[0].id);
});
