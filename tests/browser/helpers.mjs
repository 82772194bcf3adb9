// helpers.mjs -- what the browser tests share: Chromium at phone size, signing
// in, the API (to set the scene and to count what was stored), screenshots.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const BASE = process.env.BASE_URL;
export const TOKENS = JSON.parse(process.env.TOKENS || '{}');
export const ROSTER = JSON.parse(readFileSync(process.env.ROSTER, 'utf8'));
export const PHONE = { width: 360, height: 740 };

// Chromium runs as root on a closed network: no sandbox, nothing that
// phones home (it stalls otherwise).
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];

export async function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS, headless: true });
}

// A fresh phone-sized context (its own cookies); javaScriptEnabled as given.
export async function phone(browser, javaScriptEnabled = true) {
  const context = await browser.newContext({
    viewport: PHONE, deviceScaleFactor: 1, isMobile: true, hasTouch: true,
    javaScriptEnabled, locale: 'zh-CN',
  });
  context.setDefaultTimeout(15000);
  return context;
}

export function officer(id) {
  return ROSTER.officers.find((o) => o.id === id);
}

export function enterpriseName(id) {
  return ROSTER.enterprises.find((e) => e.id === id).name;
}

// An enterprise that the officer is NOT linked to.
export function foreignEnterprise(id) {
  const mine = new Set(officer(id).enterprises);
  return ROSTER.enterprises.find((e) => !mine.has(e.id)).id;
}

// Sign in on path (/form or /dept) with the token of who.
export async function signIn(page, who, path = '/form') {
  await page.goto(BASE + path);
  await page.getByLabel('令牌').fill(TOKENS[who]);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(BASE + path);
}

// The API, as a script would use it: {status, json}.
export async function api(method, path, who, body, headers = {}) {
  const h = { Authorization: 'Bearer ' + TOKENS[who], ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const resp = await fetch(BASE + path, {
    method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  return { status: resp.status, json: text ? JSON.parse(text) : null };
}

// Every issue an officer reported (by the admin's listing).
export async function issuesOf(officerId) {
  const r = await api('GET', '/api/v1/issues?limit=500', 'admin');
  return r.json.issues.filter((i) => i.officer === officerId);
}

export async function shot(page, name) {
  await page.screenshot({ path: join(process.env.SCREENSHOTS, name), fullPage: true });
}

// A page must never run script that a user wrote: count dialogs.
export function watchDialogs(page) {
  const seen = [];
  page.on('dialog', async (d) => { seen.push(d.message()); await d.dismiss(); });
  return seen;
}
