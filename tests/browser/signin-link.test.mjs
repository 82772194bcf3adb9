// signin-link.test.mjs -- an officer signs in by the link an admin printed
// (liaisonctl token issue officer ID --link; tests/browser/run makes O012's) on a 360x740 phone: one tap on
// 登录, the officer's page opens; the same link again says plainly that it
// has been used, and signs nobody in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, phone, officer, shot } from './helpers.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('an officer opens the link, taps 登录 once and is on /form', async () => {
  const url = process.env.SIGNIN_LINK;
  const page = await (await phone(browser)).newPage();
  await page.goto(url);
  assert.match(await page.textContent('h2'), new RegExp(officer('O012').name));
  const button = page.getByRole('button', { name: '登录' });
  const box = await button.boundingBox();
  assert.ok(box.height >= 44 && box.width >= 300, `the button is ${box.width}x${box.height}`);
  await shot(page, 'signin-link.png');
  await button.click();
  await page.waitForURL(/\/form$/);
  assert.match(await page.textContent('header'), new RegExp(officer('O012').name));

  const other = await (await phone(browser)).newPage();
  const resp = await other.goto(url);
  assert.equal(resp.status(), 410);
  assert.match(await other.textContent('main'), /这个登录链接已失效/);
  await shot(other, 'signin-link-spent.png');
  const form = await other.goto(url.replace(/\/signin\/.*/, '/form'));
  assert.match(await other.textContent('main'), /使用令牌登录/);
  assert.equal(form.status(), 200);
});
