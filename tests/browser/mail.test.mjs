// mail.test.mjs -- every mail reads on a phone (issue 19): the HTML part of a
// department's weekly digest, the leaders' digest and an officer's mail, as a
// real SMTP server received them (tests/browser/run has the digest and notify
// integration tests save them to MAIL_DIR), opened in Chromium 360 px wide
// with JavaScript off as a mail reader would: nothing is wider than the
// screen (no side scrolling), the wide tables are drawn as stacked rows, and
// each row still names its columns. Screenshots: mail-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, shot } from './helpers.mjs';

const DIR = process.env.MAIL_DIR;
const WIDTH = 360;
let browser, context;

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: WIDTH, height: 740 }, deviceScaleFactor: 1,
    javaScriptEnabled: false, locale: 'zh-CN' });
});
after(async () => { await browser?.close(); });

// The elements whose right edge passes the screen's, by tag and text.
async function overflow(page) {
  return page.evaluate((w) => {
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > w + 0.5) out.push(`${el.tagName} ${Math.round(r.right)}px: ${el.textContent.slice(0, 40)}`);
    }
    return { scroll: document.documentElement.scrollWidth, out };
  }, WIDTH);
}

for (const [name, what] of [['department', '部门周报'], ['zone', '领导周报'], ['officer', '指导员的问题进展']]) {
  test(`${what} (${name}.html) fits a 360 px phone`, async () => {
    const file = join(DIR, `${name}.html`);
    const html = readFileSync(file, 'utf8');
    assert.match(html, /<meta name="viewport" content="width=device-width/);
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href);
    const o = await overflow(page);
    assert.deepEqual(o.out, [], `wider than ${WIDTH} px`);
    assert.ok(o.scroll <= WIDTH, `the page scrolls sideways: ${o.scroll} px`);
    await shot(page, `mail-${name}.png`);
    await page.close();
  });
}

test('a wide table is stacked rows that name their columns; a narrow one stays a table', async () => {
  const page = await context.newPage();
  await page.goto(pathToFileURL(join(DIR, 'zone.html')).href);
  // the departments' figures (9 columns) are blocks, each cell with its column name
  const text = await page.locator('body').innerText();
  assert.match(text, /响应率：/);
  assert.match(text, /办结率：/);
  const widest = await page.evaluate(() => Math.max(0, ...[...document.querySelectorAll('table')]
    .map((t) => t.rows[0]?.cells.length ?? 0)));
  assert.ok(widest <= 3, `a table of ${widest} columns`);
  await page.close();
});
