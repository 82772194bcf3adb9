// print.test.mjs -- /ledger on paper (issue 18): Chromium prints the public
// ledger of the sample period (tests/data/reports.json's 27 items, on a stack
// of its own: PRINT_URL) to an A4 PDF with page.pdf(), through the page's own
// print stylesheet. It must carry the title block (zone, period, generated
// at), no navigation or filters, black on white, no issue or table row cut
// across two pages, numbered pages, and take at most 6 pages (pdfinfo counts them, pdftotext
// reads them). The PDF and its first page as PNG (pdftoppm) go to SCREENSHOTS
// as ledger-print.pdf and ledger-print.png (docs/screenshots has the latter).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROSTER, launch } from './helpers.mjs';

const PRINT = process.env.PRINT_URL;
// The bound the issue sets for the printed workbook, kept for the page: the sample
// takes 5 today (docs/BENCHMARKS.md); the one page of slack absorbs font metrics that
// differ between Chromium builds, and a 7th page means rows or sections grew.
const MAX_PAGES = 6;
const PDF = join(process.env.SCREENSHOTS, 'ledger-print.pdf');

let browser, page;

// A poppler tool's output; a machine without it fails here, saying why.
function poppler(tool, args) {
  try {
    return execFileSync(tool, args, { encoding: 'utf8' });
  } catch (e) {
    if (e.code === 'ENOENT') assert.fail(`${tool} is missing: install Debian's poppler-utils (scripts/check does)`);
    throw e;
  }
}

function pdfPages(pdf) {
  const n = Number(/^Pages:\s+(\d+)$/m.exec(poppler('pdfinfo', [pdf]))[1]);
  const pages = poppler('pdftotext', ['-layout', pdf, '-']).split('\f');
  if (pages.length && !pages[pages.length - 1].trim()) pages.pop();
  assert.equal(pages.length, n);
  return pages;
}

before(async () => {
  assert.ok(PRINT, 'PRINT_URL is not set (tests/browser/run sets it)');
  browser = await launch();
  page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  page.setDefaultTimeout(15000);
  await page.goto(PRINT + '/ledger');
  await page.emulateMedia({ media: 'print' });
});
after(async () => { await browser?.close(); });

test('printed, the ledger keeps its title block and drops navigation and filters', async () => {
  const api = await (await fetch(PRINT + '/api/v1/ledger')).json();
  assert.equal(api.issues.length, 27, 'the sample period');
  assert.equal(await page.locator('#issues > li').count(), 27);
  assert.ok(await page.locator('header.top h1').isVisible());
  assert.ok(await page.getByText(ROSTER.zone.name, { exact: true }).isVisible());
  const title = page.locator('#print-title');
  assert.ok(await title.isVisible(), 'the title block prints');
  assert.match(await title.textContent(), /^期次：\d{4}-\d\d-[12]　生成时间：\d{4}-\d\d-\d\d \d\d:\d\d$/);
  for (const sel of ['nav', 'form.filters', '#period', 'button']) {
    for (const el of await page.locator(sel).all()) assert.ok(!(await el.isVisible()), sel + ' is printed');
  }
  // black on white: no colour, no background anywhere
  const colours = await page.evaluate(() => [...document.querySelectorAll('body, body *')]
    .filter((e) => e.getClientRects().length > 0)
    .map((e) => { const s = getComputedStyle(e); return [e.tagName, s.color, s.backgroundColor]; })
    .filter(([, c, b]) => c !== 'rgb(0, 0, 0)' || (b !== 'rgba(0, 0, 0, 0)' && b !== 'rgb(255, 255, 255)')));
  assert.deepEqual(colours, []);
  // an issue or a table row is never cut across two pages
  const breaks = await page.evaluate(() => [...document.querySelectorAll('#issues > li, #scores tr')]
    .map((e) => getComputedStyle(e).breakInside));
  assert.ok(breaks.length > 27 && breaks.every((b) => b === 'avoid'), breaks.join());
  // on screen the title line stays hidden
  await page.emulateMedia({ media: 'screen' });
  assert.ok(!(await title.isVisible()));
  await page.emulateMedia({ media: 'print' });
});

test('the sample period prints on at most six A4 pages, rendered for the docs', async () => {
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
  writeFileSync(PDF, pdf);
  const pages = pdfPages(PDF);
  assert.ok(pages.length >= 1 && pages.length <= MAX_PAGES, `${pages.length} pages`);
  assert.match(pages[0], /问题清单公示台账/);
  assert.ok(pages[0].includes(ROSTER.zone.name));
  assert.match(pages[0], /期次：\d{4}-\d\d-[12]\s+生成时间：/);
  pages.forEach((p, i) => assert.match(p, new RegExp(`第\\s*${i + 1}\\s*页\\s*共\\s*${pages.length}\\s*页`), `page ${i + 1}`));
  const all = pages.join('\n');
  for (const word of ['筛选', '指导员报送']) assert.ok(!all.includes(word), word + ' is printed');
  // every issue is printed once, its heading and its first task on one page
  const api = await (await fetch(PRINT + '/api/v1/ledger')).json();
  const names = Object.fromEntries(ROSTER.departments.map((d) => [d.id, d.name]));
  for (const issue of api.issues) {
    const heading = new RegExp(`\\b${issue.id} · `);
    const on = pages.map((p, i) => (heading.test(p) ? i : -1)).filter((i) => i >= 0);
    assert.equal(on.length, 1, `${issue.id} on pages ${on}`);
    const next = pages[on[0]].split(heading)[1].split('\n').filter((l) => l.trim()).slice(0, 3).join(' ');
    assert.ok(next.includes(names[issue.tasks[0].department] + '：'), `${issue.id} is cut from its task`);
  }
  poppler('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', PDF,
    join(process.env.SCREENSHOTS, 'ledger-print')]);
  assert.ok(statSync(join(process.env.SCREENSHOTS, 'ledger-print.png')).size > 10000);
});
