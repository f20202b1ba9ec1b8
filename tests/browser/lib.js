// Helpers of the browser test: the dev sink's mail, page checks a person
// would notice (contrast, labels, overflow on a phone) and screenshots.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

// --- mail from the dev sink (DATA_DIR/mail/index.jsonl + NNNNNN.eml) -----

function mailIndex(dataDir) {
  const file = path.join(dataDir, 'mail', 'index.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// A header's RFC 2047 "=?UTF-8?B?...?=" words decoded (the space between
// two words goes, as RFC 2047 6.2 says).
function decodeWords(value) {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?UTF-8\?B\?([^?]*)\?=/gi,
      (all, b64) => Buffer.from(b64, 'base64').toString('utf8'));
}

// The parts of one multipart/alternative mail as RenderMail writes it
// (7bit/8bit parts, CRLF line ends).
function parseMail(raw) {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const header = (name) => (head.match(new RegExp('^' + name + ':\\s*(.*)$', 'mi')) || [])[1] || '';
  const boundary = (header('Content-Type').match(/boundary="([^"]+)"/) || [])[1];
  assert.ok(boundary, 'mail without a multipart boundary');
  const parts = {};
  for (const chunk of raw.slice(split + 4).split('--' + boundary).slice(1)) {
    if (chunk.startsWith('--')) break;
    const end = chunk.indexOf('\r\n\r\n');
    const type = (chunk.slice(0, end).match(/Content-Type:\s*([^;\r\n]+)/i) || [])[1];
    parts[type] = chunk.slice(end + 4).replace(/\r\n$/, '').replace(/\r\n/g, '\n');
  }
  return {
    subject: decodeWords(header('Subject')), rawSubject: header('Subject'), to: header('To'),
    language: header('Content-Language'), text: parts['text/plain'], html: parts['text/html'],
  };
}

// Waits for the first mail to "to" after the first "skip" of them.
async function waitForMail(dataDir, to, skip = 0, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mine = mailIndex(dataDir).filter((m) => m.rcpt_tos.includes(to));
    if (mine.length > skip) {
      const raw = fs.readFileSync(path.join(dataDir, 'mail', mine[skip].file), 'utf8');
      return parseMail(raw);
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// The verification link as a person clicks it: the HTML part's button.
// The text part must hold the same link on a line of its own.
function verificationLink(mail) {
  const m = mail.html.match(/<a href="([^"]*\/activate\?token=[^"]*)"/);
  assert.ok(m, 'no activation link in the HTML part');
  const link = m[1].replace(/&amp;/g, '&');
  assert.match(link, /\/activate\?token=[A-Za-z0-9_-]{43,}$/);
  assert.ok(mail.text.split('\n').includes(link), 'the text part lacks the link on its own line');
  return link;
}

// The 6-digit code of a verification mail: alone on a line of the text
// part, and the same code alone in a paragraph of the HTML part.
function verificationCode(mail) {
  const lines = mail.text.split('\n').filter((l) => /^\d{6}$/.test(l));
  assert.equal(lines.length, 1, 'the text part holds no code, or more than one');
  const shown = [...mail.html.matchAll(/>(\d{6})<\/p>/g)].map((m) => m[1]);
  assert.deepEqual(shown, [lines[0]], 'the HTML part shows another code');
  return lines[0];
}

// --- checks on a page -----------------------------------------------------

// What a person (or an auditor) notices, in the page as rendered: one h1,
// labelled inputs, alt on images, no sideways scrolling, and text contrast
// of WCAG AA (4.5:1; 3:1 for large text) against the background it is on.
async function checkPage(page, lang = 'en') {
  const problems = await page.evaluate((lang) => {
    const out = [];
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    if (document.documentElement.lang !== lang) out.push(`no lang="${lang}"`);
    if (!document.title) out.push('no title');
    if (document.querySelectorAll('h1').length !== 1) out.push('not exactly one h1');
    for (const img of document.images) if (!img.hasAttribute('alt')) out.push('img without alt: ' + img.src);
    for (const input of document.querySelectorAll('input:not([type=hidden])')) {
      if (!input.labels || input.labels.length === 0) out.push('input without label: ' + input.name);
    }
    if (document.documentElement.scrollWidth > window.innerWidth) {
      out.push(`scrolls sideways: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
    }
    for (const el of document.body.querySelectorAll('*')) {
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim());
      if (!own || el.closest('.sr-only')) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || el.getClientRects().length === 0) continue;
      const fg = rgb(style.color).slice(0, 3);
      const [a, b] = [lum(fg), lum(background(el))].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) {
        out.push(`contrast ${ratio.toFixed(2)}:1 for "${el.textContent.trim().slice(0, 40)}"`);
      }
    }
    return out;
  }, lang);
  assert.deepEqual(problems, [], `page ${page.url()}`);
}

// Saves "name-desktop.png" (1280x800) and "name-phone.png" (390 wide, the
// whole page), checking the page (in language "lang") at both widths, and
// leaves the desktop size.
async function shoot(page, dir, name, lang = 'en') {
  await checkPage(page, lang);
  await page.screenshot({ path: path.join(dir, `${name}-desktop.png`) });
  await page.setViewportSize(PHONE);
  await checkPage(page, lang);
  await page.screenshot({ path: path.join(dir, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

// A mail's HTML part as a mail client would show it (no scripts), at a
// desktop and a phone width. One page of its own (a context without
// scripts, opened once per browser: a new page costs a renderer process)
// shows every mail, one after the other.
const mailPages = new WeakMap();
async function shootMail(browser, html, dir, name) {
  let mail = mailPages.get(browser);
  if (!mail) {
    mail = { page: browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP })
        .then((context) => context.newPage()), turn: Promise.resolve() };
    mailPages.set(browser, mail);
  }
  const shot = mail.turn.then(async () => {
    const page = await mail.page;
    await page.setViewportSize(DESKTOP);
    await page.setContent(html);
    await page.screenshot({ path: path.join(dir, `${name}-desktop.png`) });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: path.join(dir, `${name}-phone.png`), fullPage: true });
  });
  mail.turn = shot.catch(() => {});
  return shot;
}

module.exports = {
  DESKTOP, PHONE, mailIndex, waitForMail, verificationLink, verificationCode, checkPage, shoot, shootMail,
};
