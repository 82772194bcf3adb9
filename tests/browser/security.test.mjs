// security.test.mjs -- what another site or a curious officer must not be
// able to do, and the headers that say so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, phone, officer, foreignEnterprise, signIn, issuesOf } from './helpers.mjs';

const ME = 'O006';
let browser, context, page;

before(async () => {
  browser = await launch();
  context = await phone(browser);
  page = await context.newPage();
  await signIn(page, ME);
});
after(async () => { await browser?.close(); });

test('an officer cannot pick or post another officer\'s enterprise', async () => {
  const other = foreignEnterprise(ME);
  const options = await page.locator('#enterprise option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(!options.includes(other));
  // Forge the choice in the page, as a hand-made request would.
  await page.evaluate((v) => { document.querySelector('#enterprise option:nth-child(2)').value = v; }, other);
  await page.selectOption('#enterprise', other);
  await page.selectOption('#topic', 'hiring');
  await page.fill('#title', '冒用他人企业');
  await page.click('#report button[type=submit]');
  await page.waitForSelector('#enterprise-error');
  assert.match(await page.textContent('#enterprise-error'), /不在您的联系名单中/);
  assert.equal((await issuesOf(ME)).length, 0);
});

test('a POST without the CSRF field, or from another origin, is refused', async () => {
  const form = { enterprise: officer(ME).enterprises[0], topic: 'hiring', title: '跨站', detail: '' };
  let r = await context.request.post(BASE + '/form/report', { form, maxRedirects: 0 });
  assert.equal(r.status(), 403);
  const csrf = await page.getAttribute('#report input[name=csrf]', 'value');
  r = await context.request.post(BASE + '/form/report', {
    form: { ...form, csrf }, maxRedirects: 0,
    headers: { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' },
  });
  assert.equal(r.status(), 403);
  assert.equal((await issuesOf(ME)).length, 0);
});

test('a form on another site cannot post to the pages', async () => {
  const evil = await context.newPage();
  await evil.route('http://evil.example/**', (route) => route.fulfill({
    contentType: 'text/html',
    body: `<form method="post" action="${BASE}/form/report">
      <input name="enterprise" value="${officer(ME).enterprises[0]}">
      <input name="topic" value="hiring"><input name="title" value="跨站提交">
      <button id="go">go</button></form>`,
  }));
  await evil.goto('http://evil.example/');
  const [resp] = await Promise.all([evil.waitForNavigation(), evil.click('#go')]);
  assert.equal(resp.status(), 403);
  assert.match(await evil.textContent('main'), /拒绝来自其他网站的提交/);
  assert.equal((await issuesOf(ME)).length, 0);
});

test('pages carry the security headers; assets are cached by content hash', async () => {
  const resp = await page.goto(BASE + '/form');
  const h = resp.headers();
  assert.match(h['content-security-policy'], /script-src 'self'/);
  assert.doesNotMatch(h['content-security-policy'], /unsafe-inline/);
  assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(h['x-frame-options'], 'DENY');
  assert.equal(h['x-content-type-options'], 'nosniff');
  assert.ok(h['referrer-policy']);
  assert.equal(h['cache-control'], 'no-store');
  const css = await page.getAttribute('link[rel=stylesheet]', 'href');
  assert.match(css, /^\/static\/style-[0-9a-f]{16}\.css$/);
  const a = await fetch(BASE + css);
  assert.equal(a.status, 200);
  assert.equal(a.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  const etag = a.headers.get('etag');
  const b = await fetch(BASE + css, { headers: { 'If-None-Match': etag } });
  assert.equal(b.status, 304);
});
