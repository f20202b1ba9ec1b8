// End-to-end test of the registration pages in Debian's Chromium headless
// shell, as a person uses them: once with JavaScript off (the form posts,
// the server answers with pages; the link in another browser asks for the
// password), once with it on and the keyboard only (the receipt's status
// updating itself, the mail's code), the script's messages against the
// server's, a mail the server refuses and then none sent, a mail that
// bounces after it was accepted (the page turning live as `regctl bounce`
// records Postfix's notification), one past MAIL_CAP, and the links that
// no longer work; then one flow each in German and in French, and every
// refused, bounced or not-sent page in all three languages. The scenarios
// run side by side (SCENARIOS, JOBS). tests/browser/run.sh starts the
// stacks and sets BASE_URL, DATA_DIR (the main stack), EXPIRY_BASE_URL,
// EXPIRY_DATA_DIR (a stack whose links live 1 s), SHOTS and BUILD.
'use strict';

const assert = require('node:assert/strict');
const { AsyncLocalStorage } = require('node:async_hooks');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const {
  DESKTOP, mailIndex, waitForMail, verificationLink, verificationCode, shoot, shootMail,
} = require('./lib');

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set (run tests/browser/run.sh)`);
  return process.env[name];
};
const BASE = env('BASE_URL');
// The "check your inbox" page of an accepted answer: /register/sent?r=R,
// R the receipt (base64url of at least 16 bytes).
const isSentWithReceipt = (url) =>
  url.href.startsWith(BASE + '/register/sent?r=') &&
  /^[A-Za-z0-9_-]{22,}$/.test(url.searchParams.get('r') || '');
const DATA_DIR = env('DATA_DIR');
const EXPIRY_BASE = env('EXPIRY_BASE_URL');
const EXPIRY_DATA_DIR = env('EXPIRY_DATA_DIR');
const SHOTS = env('SHOTS');

const unique = () => crypto.randomBytes(6).toString('hex');
// A password no common-password list holds.
const newPassword = () => `Plum ${unique()} Harbour`;

// The server's messages (fcgi/form.cc), as a person reads them.
const EMAIL_FORMAT = 'Enter an email address like name@example.com.';
const TOO_SHORT = 'Use at least 8 characters.';
const CODE_WRONG = 'That is not the code in the mail. Check it and try again.';
const PASSWORD_WRONG = 'That is not the password chosen when this address was registered. '
    + 'Check it and try again.';

// The registration's date as its verification mail gives it ("6 December
// 2026, 17:45 UTC", "6. Dezember 2026, ...", "6 décembre 2026 à ..."),
// which the password page repeats.
const registeredOn = (mail) => {
  const m = mail.text.replace(/\n/g, ' ').match(/\d{1,2}\.? \S+ \d{4},? (?:à )?\d\d:\d\d UTC/);
  assert.ok(m, 'no date in the mail');
  return m[0];
};
// The code with its first digit changed: a wrong code, six digits still.
const wrongCode = (code) => String((Number(code[0]) + 1) % 10) + code.slice(1);
// The code as a person may copy it: "123 456" (spaces are ignored).
const spaced = (code) => `${code.slice(0, 3)} ${code.slice(3)}`;

const text = (page, selector) => page.locator(selector).innerText();
const h1 = (page) => text(page, 'h1');

// The title, heading and receipt state of a "check your inbox" page as it
// shows now (receipt.js may have changed them), and as the server writes
// the same page afresh, in "language" (Accept-Language): the two must read
// the same, dates included.
async function receiptWords(page, language = 'en') {
  const html = await (await page.request.get(page.url(), {
    headers: { 'Accept-Language': language },
  })).text();
  return page.evaluate((html) => {
    const read = (doc) => ({
      title: doc.title,
      h1: doc.querySelector('h1').textContent,
      status: doc.getElementById('receipt-status').textContent,
    });
    return { live: read(document), served: read(new DOMParser().parseFromString(html, 'text/html')) };
  }, html);
}
async function expectLiveAsServed(page, language) {
  const { live, served } = await receiptWords(page, language);
  assert.deepEqual(live, served, 'the script wrote the page otherwise than the server');
}

// Clicks (or presses) something that submits a form and returns the
// answer to the POST it makes.
async function submitting(page, method, url, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && r.url() === url),
    action(),
  ]);
  return response;
}

// --- JavaScript off -------------------------------------------------------

async function javascriptOff(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP });
  const page = await context.newPage();
  watchForErrors(page);
  try {
    const email = `js-off-${unique()}@example.com`;
    const password = newPassword();

    let r = await page.goto(BASE + '/');
    assert.equal(r.status(), 200);
    assert.equal(await h1(page), 'Create your account');
    await shoot(page, SHOTS, 'register');

    // Bad input: the server answers 422 with the page, each message beside
    // its field, the address kept (escaped: it comes back as typed, no
    // markup made of it), the password not.
    const bad = '<b>me</b>@example';
    await page.getByLabel('Email address').fill(bad);
    await page.getByLabel('Password').fill('short');
    r = await submitting(page, 'POST', BASE + '/register',
        () => page.getByRole('button', { name: 'Create account' }).click());
    assert.equal(r.status(), 422);
    await page.waitForLoadState();
    assert.equal(await text(page, '#email-error'), EMAIL_FORMAT);
    assert.equal(await text(page, '#password-error'), TOO_SHORT);
    assert.equal(await page.getByLabel('Email address').inputValue(), bad);
    assert.equal(await page.locator('main b').count(), 0);
    assert.equal(await page.getByLabel('Password').inputValue(), '');
    assert.equal(await page.getByLabel('Email address').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Password').getAttribute('aria-invalid'), 'true');
    assert.match(await page.title(), /^Error: /);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'email');  // autofocus
    await shoot(page, SHOTS, 'register-errors');

    // Good input: 303 to "check your inbox".
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(password);
    r = await submitting(page, 'POST', BASE + '/register',
        () => page.getByRole('button', { name: 'Create account' }).click());
    assert.equal(r.status(), 303);
    // The page's referrer policy lets the browser name its origin (with
    // "Origin: null" the same-site check answers 403).
    assert.equal((await r.request().allHeaders()).origin, BASE);
    await page.waitForURL(isSentWithReceipt);
    assert.equal(await h1(page), 'Check your inbox');
    // The form for the mail's code, on the page of the browser that registered.
    assert.equal(await page.getByLabel('Code from the mail').getAttribute('inputmode'), 'numeric');
    assert.equal(await page.getByLabel('Code from the mail').getAttribute('autocomplete'), 'one-time-code');
    await shoot(page, SHOTS, 'sent');

    // The mail, and its link, opened as a person would.
    const mail = await waitForMail(DATA_DIR, email);
    assert.equal(mail.subject, 'Confirm your email address');
    const link = verificationLink(mail);
    await shootMail(browser, mail.html, SHOTS, 'mail-verification');

    // "Send it again" from the same page: the same page again, and a second
    // mail with a new link; the first link keeps working.
    await page.getByLabel('Email address').fill(email);
    r = await submitting(page, 'POST', BASE + '/register/resend',
        () => page.getByRole('button', { name: 'Send the link again' }).click());
    assert.equal(r.status(), 303);
    await page.waitForURL(isSentWithReceipt);
    assert.equal(await h1(page), 'Check your inbox');
    const again = await waitForMail(DATA_DIR, email, 1);
    assert.equal(again.subject, 'Confirm your email address');
    assert.notEqual(verificationLink(again), link);

    // The link opened in another browser (a phone, a mail scanner: cookies
    // of its own) asks for the password chosen at this registration, dated
    // as the mail dates it; a wrong one is refused, the right one verifies.
    const other = await browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP });
    try {
      const phone = await other.newPage();
      watchForErrors(phone);
      r = await phone.goto(link);
      assert.equal(r.status(), 200);
      assert.equal(await h1(phone), 'Verify your email');
      await shoot(phone, SHOTS, 'activate');
      r = await submitting(phone, 'POST', BASE + '/activate',
          () => phone.getByRole('button', { name: 'Verify my email' }).click());
      assert.equal(r.status(), 200);
      await phone.waitForLoadState();
      assert.equal(await h1(phone), 'Verify your email');
      assert.equal(await text(phone, '.lead'),
          `This link is for a registration made on ${registeredOn(mail)}. One last step: `
          + 'enter the password you chose when you registered, and press the button.');
      assert.equal(await phone.getByLabel('Password').getAttribute('autocomplete'), 'current-password');
      await shoot(phone, SHOTS, 'activate-password');

      await phone.getByLabel('Password').fill(newPassword());
      r = await submitting(phone, 'POST', BASE + '/activate',
          () => phone.getByRole('button', { name: 'Verify my email' }).click());
      assert.equal(r.status(), 200);
      await phone.waitForLoadState();
      assert.equal(await text(phone, '#password-error'), PASSWORD_WRONG);
      assert.match(await phone.title(), /^Error: /);
      assert.equal(await phone.getByLabel('Password').getAttribute('aria-invalid'), 'true');
      assert.equal(await phone.getByLabel('Password').inputValue(), '');

      await phone.getByLabel('Password').fill(password);
      r = await submitting(phone, 'POST', BASE + '/activate',
          () => phone.getByRole('button', { name: 'Verify my email' }).click());
      assert.equal(r.status(), 200);
      await phone.waitForLoadState();
      assert.equal(await h1(phone), 'Your email is verified');
      await shoot(phone, SHOTS, 'verified');
    } finally {
      await other.close();
    }

    // The same link in the browser that registered (a second click): it
    // says so, and asks nothing.
    r = await page.goto(link);
    assert.equal(r.status(), 200);
    r = await submitting(page, 'POST', BASE + '/activate',
        () => page.getByRole('button', { name: 'Verify my email' }).click());
    assert.equal(r.status(), 200);
    await page.waitForLoadState();
    assert.equal(await h1(page), 'Your email was already verified');
    await shoot(page, SHOTS, 'already-verified');
  } finally {
    await context.close();
  }
}

// --- JavaScript on, keyboard only ----------------------------------------

// The element that has the focus, and whether a focus ring shows on it.
async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    return { id: el.id, text: el.innerText, ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 };
  });
}

async function tabTo(page, expect) {
  await page.keyboard.press('Tab');
  const f = await focused(page);
  assert.ok(expect(f), `focus went to ${JSON.stringify(f)}`);
  assert.ok(f.ring, `no visible focus on ${JSON.stringify(f)}`);
}

// A desktop page with JavaScript on, its errors watched, and "posts"
// collecting each POST it makes.
async function desktopPageKeepingPosts(browser) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  watchForErrors(page);
  const posts = [];
  page.on('request', (q) => { if (q.method() === 'POST') posts.push(q); });
  return { context, page, posts };
}

async function javascriptOn(browser) {
  const { context, page, posts } = await desktopPageKeepingPosts(browser);
  const email = `js-on-${unique()}@example.com`;
  try {
    const password = newPassword();

    const [css] = await Promise.all([
      page.waitForResponse(BASE + '/static/app.css'),
      page.goto(BASE + '/'),
    ]);
    assert.match(css.headers()['cache-control'] || '', /max-age=3600/);
    await page.locator('button.reveal').waitFor();  // app.js ran
    await page.evaluate(() => { window.stillThisPage = true; });

    // Type a bad address, leave the field: the message appears at once.
    await tabTo(page, (f) => f.id === 'email');
    await page.keyboard.type('me@example');
    await tabTo(page, (f) => f.id === 'password');
    assert.equal(await text(page, '#email-error'), EMAIL_FORMAT);
    // The password's length shows as it is typed; its message once it is left.
    await page.keyboard.type('short');
    assert.equal(await text(page, '#password-count'), '5 characters, 3 to go');
    assert.equal(await text(page, '#password-error'), '');
    await tabTo(page, (f) => f.id === '' && f.text.startsWith('Show'));
    assert.equal(await text(page, '#password-error'), TOO_SHORT);
    await shoot(page, SHOTS, 'register-errors-js');
    // Fixing a field takes its message away while typing.
    // (Tab into a field selects its text, as it does for a person: End.)
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('End');
    await page.keyboard.type('-and-longer');
    assert.equal(await text(page, '#password-error'), '');
    assert.equal(await text(page, '#password-count'), '16 characters, long enough');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('End');
    await page.keyboard.type('.com');
    assert.equal(await text(page, '#email-error'), '');

    // Enter with a field still wrong: no post; the message and the focus
    // go to that field.
    await page.keyboard.press('Control+A');
    await page.keyboard.type('two@@example.com');
    await page.keyboard.press('Enter');
    assert.equal(await text(page, '#email-error'), EMAIL_FORMAT);
    assert.equal((await focused(page)).id, 'email');
    assert.equal(posts.length, 0);

    // A message only the server can give (here: the address altered on its
    // way) comes back without a reload and stands beside its field.
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.route(BASE + '/register', (route) => route.continue({
      postData: new URLSearchParams({ email: 'altered@example', password }).toString(),
    }));
    await page.getByLabel('Password').press('Enter');
    await page.locator('#email-error', { hasText: EMAIL_FORMAT }).waitFor();
    await page.unroute(BASE + '/register');
    assert.equal((await focused(page)).id, 'email');
    assert.equal(posts.length, 1);

    // Show the password with the keyboard, then hide it again.
    await page.getByLabel('Password').focus();
    await tabTo(page, (f) => f.text.startsWith('Show'));
    await page.keyboard.press('Space');
    assert.equal(await page.locator('#password').getAttribute('type'), 'text');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('#password').getAttribute('type'), 'password');
    assert.equal(await page.evaluate(() => window.stillThisPage), true);
    await page.getByLabel('Email address').focus();
    await shoot(page, SHOTS, 'register-js');

    // Enter posts with fetch, the 202 leads to "check your inbox". The
    // sink holds the mail at the end of its DATA until the page is there,
    // so the page cannot have loaded with the mail accepted already.
    sinkControl(email, { hold_data: true });
    await page.getByLabel('Password').focus();
    const r = await submitting(page, 'POST', BASE + '/register', () => page.keyboard.press('Enter'));
    assert.equal(r.status(), 202);
    assert.equal(r.request().resourceType(), 'fetch');
    assert.equal((await r.request().allHeaders()).origin, BASE);
    await page.waitForURL(isSentWithReceipt);
    const sentUrl = page.url();
    assert.equal(await h1(page), 'Check your inbox');

    // The receipt's state, kept up to date by receipt.js in the one
    // role="status" region, reaches "accepted" without a reload once the
    // sink lets the mail go; the server's words appear beside it.
    const status = page.getByRole('status');
    assert.equal(await status.count(), 1);
    assert.match(await status.innerText(), /^Your mail is (waiting to be sent|being handed to the mail server now)\.$/);
    sinkControl(email, null);
    await status.filter({ hasText: 'accepted your mail' }).waitFor({ timeout: 15000 });
    // The main stack has BOUNCE_ADDRESS: "accepted" says a bounce would show here.
    assert.match(await status.innerText(), new RegExp('^The mail server accepted your mail on .+ UTC\\. '
        + 'It should be in your inbox soon; look in your spam folder too\\. '
        + 'Should it come back undelivered, this page will say so\\.$'));
    assert.equal(await page.locator('#receipt-reply').isVisible(), true);
    assert.match(await text(page, '#receipt-reply-text'), /^250/);
    // Its date as the server writes it ("6 December 2026, 17:45 UTC").
    assert.match(await status.innerText(), / on \d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d UTC\. /);
    await expectLiveAsServed(page);
    await shoot(page, SHOTS, 'sent-accepted');

    // The mail read on another device, its code typed on this page (the
    // field reached by keyboard, after "check again"): a wrong code first,
    // the page again with its message and the focus on the field; then
    // the right one as a person may copy it, with a space in it.
    const mail = await waitForMail(DATA_DIR, email);
    const code = verificationCode(mail);
    await page.getByRole('button', { name: 'Check again' }).focus();
    await tabTo(page, (f) => f.id === 'code');
    await page.keyboard.type(wrongCode(code));
    let answer = await submitting(page, 'POST', BASE + '/activate', () => page.keyboard.press('Enter'));
    assert.equal(answer.status(), 401);
    await page.waitForLoadState();
    assert.equal(await h1(page), 'Check your inbox');
    assert.equal(await text(page, '#code-error'), CODE_WRONG);
    assert.match(await page.title(), /^Error: /);
    assert.equal(await page.getByLabel('Code from the mail').getAttribute('aria-invalid'), 'true');
    assert.equal((await focused(page)).id, 'code');
    await shoot(page, SHOTS, 'sent-code-wrong');
    await page.keyboard.type(spaced(code));
    answer = await submitting(page, 'POST', BASE + '/activate', () => page.keyboard.press('Enter'));
    assert.equal(answer.status(), 200);
    await page.waitForLoadState();
    assert.equal(await h1(page), 'Your email is verified');
    // The "check your inbox" page says so too.
    await page.goto(sentUrl);
    assert.equal(await page.getByRole('status').innerText(),
        'This address is verified. There is nothing more to do.');

    // The link from the mail, its button reached and pressed by keyboard:
    // the address is verified already.
    await page.goto(verificationLink(mail));
    await tabTo(page, (f) => f.text === 'Verify my email');
    await submitting(page, 'POST', BASE + '/activate', () => page.keyboard.press('Enter'));
    await page.waitForLoadState();
    assert.equal(await h1(page), 'Your email was already verified');

    // Registering the verified address again looks the same and mails a
    // notice instead of a link.
    await page.goto(BASE + '/');
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Password').fill(newPassword());
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL(isSentWithReceipt);
    const notice = await waitForMail(DATA_DIR, email, 1);
    assert.equal(notice.subject, 'You already have an account');
    assert.doesNotMatch(notice.html + notice.text, /activate\?token=/);
    await shootMail(browser, notice.html, SHOTS, 'mail-account-exists');
  } finally {
    sinkControl(email, null);
    await context.close();
  }
}

// The script and the server say the same: each message the script shows
// is the one the server's JSON answer gives for that value, and the page
// posts nothing. (A scenario of its own: it is the longest part of the
// keyboard scenario, and runs beside it.)
async function scriptAsServer(browser) {
  const { context, page, posts } = await desktopPageKeepingPosts(browser);
  try {
    await page.goto(BASE + '/');
    await page.locator('button.reveal').waitFor();  // app.js ran
    // Both fields typed in and left first, as a person does (an untouched
    // field left empty shows no message yet).
    for (const [label, value] of [['Email address', 'two@@example.com'], ['Password', 'short']]) {
      await page.getByLabel(label).fill(value);
      await page.getByLabel(label).blur();
    }
    await compareWithServer(page);
    assert.equal(posts.length, 0);
  } finally {
    await context.close();
  }
}

// Fills each value, leaves the field, reads the script's message, and asks
// the server about the same value (JSON answer).
async function compareWithServer(page) {
  const long = 'x'.repeat(65);
  const emails = ['', 'plain', 'a@b', '@example.com', 'a@@example.com', 'a b@example.com',
    `${long}@example.com`, 'a@-bad.com', 'a@exa_mple.com', `a@${'l'.repeat(64)}.com`,
    `a@${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.${'g'.repeat(60)}.com`,
    'üser@exämple', 'fine@example.com'];
  const passwords = ['', 'short', '1234567', 'é'.repeat(7), '😀'.repeat(4), 'é'.repeat(8)];
  // Each pair has a fault, so the server never registers it.
  const cases = emails.map((e) => [e, '']).concat(passwords.map((p) => ['plain', p]));
  for (const [email, password] of cases) {
    const emailInput = page.getByLabel('Email address');
    const passwordInput = page.getByLabel('Password');
    await emailInput.fill(email);
    await emailInput.blur();
    await passwordInput.fill(password);
    await passwordInput.blur();
    const shown = {
      email: await text(page, '#email-error'),
      password: await text(page, '#password-error'),
    };
    const sent = { email: await emailInput.inputValue(), password };
    const r = await page.request.post(BASE + '/register', {
      headers: { Accept: 'application/json' }, form: sent,
    });
    assert.equal(r.status(), 422, `the server accepted ${JSON.stringify(sent)}`);
    const errors = (await r.json()).errors;
    assert.deepEqual(shown, { email: errors.email || '', password: errors.password || '' },
        `messages for ${JSON.stringify(sent)}`);
  }
}

// --- links that no longer work --------------------------------------------

async function deadLinks(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP });
  const page = await context.newPage();
  watchForErrors(page);
  try {
    const token = crypto.randomBytes(32).toString('base64url');
    let r = await page.goto(`${BASE}/activate?token=${token}`);
    assert.equal(r.status(), 404);
    assert.equal(await h1(page), 'Page not found');
    await shoot(page, SHOTS, 'unknown-link');

    // A link that lived one second (the stack of TOKEN_TTL_S=1).
    const email = `expired-${unique()}@example.com`;
    r = await page.request.post(EXPIRY_BASE + '/register', {
      headers: { Accept: 'application/json' }, form: { email, password: newPassword() },
    });
    assert.equal(r.status(), 202);
    const link = verificationLink(await waitForMail(EXPIRY_DATA_DIR, email));
    const deadline = Date.now() + 10000;
    while ((await page.request.get(link)).status() !== 410) {
      assert.ok(Date.now() < deadline, 'the link did not expire');
      await new Promise((done) => setTimeout(done, 50));
    }
    r = await page.goto(link);
    assert.equal(r.status(), 410);
    assert.equal(await h1(page), 'This link has expired');
    await shoot(page, SHOTS, 'expired-link');
    // Its ways out, reached by keyboard: the "send it again" form (its
    // address field, its button), then the registration page.
    assert.equal(await page.locator('form[action="/register/resend"]').count(), 1);
    await tabTo(page, (f) => f.id === 'resend-email');
    await tabTo(page, (f) => f.text === 'Send the link again');
    await tabTo(page, (f) => f.text === 'Go to the registration page');
    await Promise.all([page.waitForURL(EXPIRY_BASE + '/'), page.keyboard.press('Enter')]);
    assert.equal(await h1(page), 'Create your account');
  } finally {
    await context.close();
  }
}

// --- mail not sent ---------------------------------------------------------

// Sets the main stack's sink knobs for mail to one recipient ("rcpt"),
// null removing them: DATA_DIR/control.json's "recipients" (see
// tools/smtp_sink.py), rewritten whole and atomically. Scenarios run side
// by side on one sink, each faulting only its own addresses.
const sinkKnobs = {};
function sinkControl(rcpt, knobs) {
  if (knobs === null) delete sinkKnobs[rcpt];
  else sinkKnobs[rcpt] = knobs;
  const file = path.join(DATA_DIR, 'control.json');
  fs.writeFileSync(file + '.tmp', JSON.stringify({ recipients: sinkKnobs }));
  fs.renameSync(file + '.tmp', file);
}

// Registers "email" (JSON, as the form's script does) and returns its
// receipt once GET /register/status gives it the final state "state".
async function registerUntil(page, email, state) {
  const r = await page.request.post(BASE + '/register', {
    headers: { Accept: 'application/json' }, form: { email, password: newPassword() },
  });
  assert.equal(r.status(), 202);
  const { receipt } = await r.json();
  const deadline = Date.now() + 10000;
  for (;;) {
    const s = await (await page.request.get(`${BASE}/register/status?r=${receipt}`)).json();
    if (s.state === state) return receipt;
    assert.ok(Date.now() < deadline, `the receipt stayed ${JSON.stringify(s)}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

// A mailbox the mail server says does not exist (the sink refuses its
// RCPT TO with 550 5.1.1): its "check your inbox" page says so and what to
// do; registering it again sends nothing, and the page says why.
async function notSent(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP });
  const page = await context.newPage();
  watchForErrors(page);
  const email = `no-such-user-${unique()}@example.com`;
  try {
    sinkControl(email, { rcpt_replies: ['550 5.1.1 no such user'] });
    let receipt = await registerUntil(page, email, 'refused');
    sinkControl(email, null);
    await page.goto(`${BASE}/register/sent?r=${receipt}`);
    assert.equal(await h1(page), 'Your mail was refused');
    assert.equal(await page.title(), 'Your mail was refused');
    assert.equal(await page.getByRole('status').innerText(), 'The mail server refused the mail (5.1.1): '
        + 'this address does not seem to exist. Check it for a typing mistake and register again.');
    // No mail came: no "we sent a link", no code to type.
    assert.equal(await page.getByText('We sent a link').count(), 0);
    assert.equal(await page.getByLabel('Code from the mail').count(), 0);
    await shoot(page, SHOTS, 'sent-refused');
    await receiptInLanguages(browser, page, 'sent-refused', 'sent.title_refused',
        'receipt.refused_address', { code: '5.1.1' });

    receipt = await registerUntil(page, email, 'not_sent');
    await page.goto(`${BASE}/register/sent?r=${receipt}`);
    assert.equal(await h1(page), 'We sent no mail');
    assert.equal(await page.title(), 'We sent no mail');
    assert.equal(await page.getByRole('status').innerText(), 'We sent no mail: mail to this address came '
        + 'back before, because the address does not seem to exist. Check it for a typing mistake.');
    // No code to type: no mail holds one.
    assert.equal(await page.getByLabel('Code from the mail').count(), 0);
    await shoot(page, SHOTS, 'sent-suppressed');
    await receiptInLanguages(browser, page, 'sent-suppressed', 'sent.title_not_sent',
        'receipt.not_sent_suppressed', {});
    assert.deepEqual(mailIndex(DATA_DIR).filter((m) => m.rcpt_tos.includes(email)), []);
  } finally {
    sinkControl(email, null);
    await context.close();
  }
}

// Registers "email" on the registration page (JavaScript on) and waits
// for its "check your inbox" page.
async function registerInPage(page, email) {
  await page.goto(BASE + '/');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(newPassword());
  await page.getByLabel('Password').press('Enter');
  await page.waitForURL(isSentWithReceipt);
}

// The state changing while the page is open (JavaScript on; the sink
// holds each mail at the end of its DATA until the page is there, then
// answers with "reply"): a delayed mail's next try, written as the server
// writes it; a refusal, which changes the title and heading and takes
// away the lead, the wait and the code, as the server's page for it has
// them.
async function liveStates(browser) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  watchForErrors(page);
  const delayed = `delayed-${unique()}@example.com`;
  const refused = `refused-${unique()}@example.com`;
  try {
    const status = page.getByRole('status');
    const answered = async (email, reply) => {
      sinkControl(email, { hold_data: true });
      await registerInPage(page, email);
      assert.equal(await h1(page), 'Check your inbox');
      assert.match(await status.innerText(), /^Your mail is (waiting to be sent|being handed to the mail server now)\.$/);
      sinkControl(email, { data_replies: [reply] });
    };
    await answered(delayed, '451 4.3.0 try again later');
    await status.filter({ hasText: 'try again at' }).waitFor({ timeout: 10000 });
    assert.match(await status.innerText(), new RegExp('^The mail server asked us to try again later\\. '
        + 'We will try again at \\d{1,2} [A-Z][a-z]+ \\d{4}, \\d\\d:\\d\\d UTC\\.$'));
    await expectLiveAsServed(page);

    await answered(refused, '550 5.1.1 no such user');
    assert.equal(await page.getByLabel('Code from the mail').isVisible(), true);
    await status.filter({ hasText: 'refused' }).waitFor({ timeout: 10000 });
    assert.equal(await h1(page), 'Your mail was refused');
    assert.equal(await page.title(), 'Your mail was refused');
    for (const selector of ['#sent-lead', '#sent-tips', '#code-form']) {
      assert.equal(await page.locator(selector).isVisible(), false, selector);
    }
    await expectLiveAsServed(page);
  } finally {
    sinkControl(delayed, null);
    sinkControl(refused, null);
    await context.close();
  }
}

// The bounce address's notification for an accepted mail (the main stack
// has BOUNCE_ADDRESS): Postfix's local(8) would pipe it into `regctl
// bounce` with the tagged envelope sender the sink recorded as the
// envelope recipient; run.sh's stack runs as the owner of DATA_DIR, and so
// does regctl here. Its exit status; "output" gets what it logged.
function regctlBounce(envelope, message) {
  const regctl = path.join(env('BUILD'), 'regctl');
  const owner = fs.statSync(DATA_DIR);
  const [command, args] = owner.uid === process.geteuid()
    ? [regctl, []]
    : ['setpriv', [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', regctl]];
  const run = spawnSync(command, [...args, '-d', DATA_DIR, 'bounce'], {
    input: message, encoding: 'utf8', env: { ...process.env, ORIGINAL_RECIPIENT: envelope },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

// A notification as Postfix writes one (RFC 3464: a human part, the
// machine-readable message/delivery-status, the returned headers) for
// the mail "sent" (the sink's index entry) to "rcpt": 5.1.1, no such user.
function postfixNoSuchUser(sent, rcpt) {
  const raw = fs.readFileSync(path.join(DATA_DIR, 'mail', sent.file), 'latin1');
  const headers = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n/g, '\n');
  const date = new Date().toUTCString().replace('GMT', '+0000');
  return [
    `From MAILER-DAEMON  ${new Date().toString().slice(0, 24)}`,
    `Return-Path: <>`,
    `Date: ${date}`,
    'From: MAILER-DAEMON@mx.example.com (Mail Delivery System)',
    'Subject: Undelivered Mail Returned to Sender',
    `To: ${sent.mail_from}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status;',
    '\tboundary="7D1A2C01E2.1796594617/mx.example.com"',
    '',
    '--7D1A2C01E2.1796594617/mx.example.com',
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mx.example.com.',
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients.',
    '',
    `<${rcpt}>: host mx.example.com[192.0.2.25] said: 550 5.1.1 <${rcpt}>:`,
    '    Recipient address rejected: User unknown in local recipient table',
    '',
    '--7D1A2C01E2.1796594617/mx.example.com',
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.com',
    'X-Postfix-Queue-ID: 7D1A2C01E2',
    `X-Postfix-Sender: rfc822; ${sent.mail_from}`,
    `Arrival-Date: ${date}`,
    '',
    `Final-Recipient: rfc822; ${rcpt}`,
    `Original-Recipient: rfc822;${rcpt}`,
    'Action: failed',
    'Status: 5.1.1',
    'Remote-MTA: dns; mx.example.com',
    `Diagnostic-Code: smtp; 550 5.1.1 <${rcpt}>: Recipient address rejected: User`,
    '    unknown in local recipient table',
    '',
    '--7D1A2C01E2.1796594617/mx.example.com',
    'Content-Description: Undelivered Message Headers',
    'Content-Type: text/rfc822-headers',
    '',
    headers,
    '',
    '--7D1A2C01E2.1796594617/mx.example.com--',
    '',
  ].join('\n');
}

// A mail the server took, then bounced: the page open with JavaScript
// shows "accepted", the notification goes through `regctl bounce`, and the
// page turns to "came back" by itself, with the title, heading and the
// words the server serves; then in German and French.
async function bounced(browser) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  watchForErrors(page);
  try {
    const email = `bounced-${unique()}@example.com`;
    await registerInPage(page, email);
    const status = page.getByRole('status');
    await page.locator('section[data-state="accepted"]').waitFor({ timeout: 10000 });
    assert.equal(await page.getByLabel('Code from the mail').isVisible(), true);
    await waitForMail(DATA_DIR, email);
    const sent = mailIndex(DATA_DIR).find((m) => m.rcpt_tos.includes(email));
    // The envelope sender is BOUNCE_ADDRESS with the job's tag; From: stays.
    assert.match(sent.mail_from, /^bounces\+j\d+t\d+m[a-z0-9]+@localhost$/);

    const { status: exit, output } = regctlBounce(sent.mail_from, postfixNoSuchUser(sent, email));
    assert.equal(exit, 0, output);
    assert.match(output, /: failed 5\.1\.1: recorded; address suppressed/, output);
    await status.filter({ hasText: 'came back' }).waitFor({ timeout: 10000 });
    assert.equal(await status.innerText(), 'Your mail came back (5.1.1): this address does not seem '
        + 'to exist. Check it for a typing mistake and register again.');
    assert.equal(await h1(page), 'Your mail came back');
    assert.equal(await page.title(), 'Your mail came back');
    for (const selector of ['#sent-lead', '#sent-tips', '#code-form']) {
      assert.equal(await page.locator(selector).isVisible(), false, selector);
    }
    await expectLiveAsServed(page);
    await shoot(page, SHOTS, 'sent-bounced');
    await receiptInLanguages(browser, page, 'sent-bounced', 'sent.title_bounced',
        'receipt.bounced_address', { code: '5.1.1' });
  } finally {
    await context.close();
  }
}

// A mailbox past MAIL_CAP (3 an hour on the main stack): a fourth
// registration sends nothing, and its page says when to ask again.
async function mailCap(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP });
  const page = await context.newPage();
  watchForErrors(page);
  try {
    const email = `capped-${unique()}@example.com`;
    for (let i = 0; i < 3; i++) await registerUntil(page, email, 'accepted');
    const receipt = await registerUntil(page, email, 'not_sent');
    await page.goto(`${BASE}/register/sent?r=${receipt}`);
    assert.equal(await h1(page), 'We sent no mail');
    assert.match(await page.getByRole('status').innerText(), new RegExp('^We sent no mail: this address '
        + 'already got several mails from us in the last hour\\. You can ask again after '
        + '\\d{1,2} [A-Z][a-z]+ \\d{4}, \\d\\d:\\d\\d UTC\\.$'));
    assert.equal(await page.getByLabel('Code from the mail').count(), 0);
    await shoot(page, SHOTS, 'sent-mail-cap');
    await receiptInLanguages(browser, page, 'sent-mail-cap', 'sent.title_not_sent',
        'receipt.not_sent_cap', {});
    assert.equal(mailIndex(DATA_DIR).filter((m) => m.rcpt_tos.includes(email)).length, 3);
  } finally {
    await context.close();
  }
}

// --- a receipt's page in each language --------------------------------------

// The catalogues (lang/*.json) the server reads its words from.
const CATALOGUES = Object.fromEntries(['en', 'de', 'fr'].map((lang) => [lang,
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'lang', `${lang}.json`), 'utf8'))]));

// The page's title, heading and status region are the catalogue's
// "titleKey" and "statusKey" with "args" filled in; a {name} not in "args"
// (a date) stands for any words. Its lang attribute names the language.
async function expectReceiptIn(page, lang, titleKey, statusKey, args) {
  const words = CATALOGUES[lang];
  assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
  assert.equal(await h1(page), words[titleKey]);
  assert.equal(await page.title(), words[titleKey]);
  const pattern = words[statusKey].split(/(\{\w+\})/).map((part) => {
    const name = (part.match(/^\{(\w+)\}$/) || [])[1];
    if (!name) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return name in args ? String(args[name]).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '.+';
  }).join('');
  assert.match(await page.getByRole('status').textContent(), new RegExp(`^${pattern}$`));
}

// One context per language (its Accept-Language; scripts off: a final
// state's page has nothing to update), created once; each visit, one
// after the other, uses its one page.
const languagePages = {};
function languagePage(browser, lang) {
  if (!languagePages[lang]) {
    const shared = { turn: Promise.resolve(), errors: [] };
    shared.page = browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP, locale: WORDS[lang].locale })
        .then((context) => context.newPage())
        .then((page) => {
          watchForErrors(page, () => shared.errors);
          return page;
        });
    languagePages[lang] = shared;
  }
  return languagePages[lang];
}

// The receipt page "page" shows, checked against the catalogue in English,
// then visited and checked in German and French and shot as
// "<lang>-<name>".
async function receiptInLanguages(browser, page, name, titleKey, statusKey, args) {
  await expectReceiptIn(page, 'en', titleKey, statusKey, args);
  const url = page.url();
  for (const lang of ['de', 'fr']) {
    const other = languagePage(browser, lang);
    const visit = other.turn.then(async () => {
      other.errors = scenarioErrors.getStore();
      const there = await other.page;
      const r = await there.goto(url);
      assert.equal(r.status(), 200);
      assert.equal(r.headers()['content-language'], lang);
      assert.equal(r.headers()['referrer-policy'], 'no-referrer');
      await expectReceiptIn(there, lang, titleKey, statusKey, args);
      await shoot(there, SHOTS, `${lang}-${name}`, lang);
    });
    other.turn = visit.catch(() => {});
    await visit;
  }
}

// --- in German and in French ----------------------------------------------

// What a person reads in each language (lang/de.json, lang/fr.json).
const WORDS = {
  de: {
    locale: 'de-DE',
    register: 'Konto erstellen', email: 'E-Mail-Adresse', password: 'Passwort',
    submit: 'Konto erstellen', errorTitle: /^Fehler: /,
    emailFormat: 'Geben Sie eine E-Mail-Adresse wie name@example.com ein.',
    tooShort: 'Verwenden Sie mindestens 8 Zeichen.', count: '5 Zeichen, noch 3',
    sent: 'Prüfen Sie Ihr Postfach', resend: 'Link erneut senden',
    subject: 'Bestätigen Sie Ihre E-Mail-Adresse', hours: '24 Stunden',
    activate: 'E-Mail-Adresse bestätigen', verify: 'E-Mail-Adresse bestätigen',
    verified: 'Ihre E-Mail-Adresse ist bestätigt',
    already: 'Ihre E-Mail-Adresse war bereits bestätigt',
    notFound: 'Seite nicht gefunden', expired: 'Dieser Link ist abgelaufen',
    notice: 'Sie haben bereits ein Konto',
    codeLabel: 'Code aus der E-Mail', codeSubmit: 'Mit dem Code bestätigen',
    codeWrong: 'Das ist nicht der Code aus der E-Mail. Prüfen Sie ihn und versuchen Sie es erneut.',
    registered: 'Dieser Link gehört zu einer Registrierung vom {when}.',
  },
  fr: {
    locale: 'fr-FR',
    register: 'Créez votre compte', email: 'Adresse e-mail', password: 'Mot de passe',
    submit: 'Créer le compte', errorTitle: /^Erreur\u00a0: /,
    emailFormat: 'Saisissez une adresse e-mail comme nom@example.com.',
    tooShort: 'Utilisez au moins 8 caractères.', count: '5 caractères, encore 3',
    sent: 'Consultez votre boîte de réception', resend: 'Renvoyer le lien',
    subject: 'Confirmez votre adresse e-mail', hours: '24 heures',
    activate: 'Confirmez votre adresse e-mail', verify: 'Confirmer mon adresse',
    verified: 'Votre adresse e-mail est confirmée',
    already: 'Votre adresse e-mail était déjà confirmée',
    notFound: 'Page introuvable', expired: 'Ce lien a expiré',
    notice: 'Vous avez déjà un compte',
    codeLabel: 'Code reçu par e-mail', codeSubmit: 'Confirmer avec le code',
    codeWrong: 'Ce n’est pas le code de l’e-mail. Vérifiez-le et réessayez.',
    registered: 'Ce lien est celui d’une inscription faite le {when}.',
  },
};

// RFC 2047 encoded-words in the Subject exactly when it is not ASCII.
function checkSubjectEncoding(mail) {
  if (/^[\x20-\x7e]*$/.test(mail.subject)) assert.equal(mail.rawSubject, mail.subject);
  else assert.match(mail.rawSubject, /^=\?UTF-8\?B\?/);
}

// One registration flow in a browser whose language is "lang" (its
// Accept-Language): every page, the script's messages and both mails in
// that language, each shot as "<lang>-<page>".
async function inLanguage(browser, lang) {
  const w = WORDS[lang];
  const context = await browser.newContext({ viewport: DESKTOP, locale: w.locale });
  const page = await context.newPage();
  watchForErrors(page);
  const shot = (name) => shoot(page, SHOTS, `${lang}-${name}`, lang);
  const email = `${lang}-${unique()}@example.com`;
  try {
    const password = newPassword();

    let r = await page.goto(BASE + '/');
    assert.equal(r.headers()['content-language'], lang);
    assert.equal(await h1(page), w.register);
    await page.locator('button.reveal').waitFor();  // app.js ran
    await shot('register');

    // The script's messages, in the page's language.
    await page.getByLabel(w.email).fill('me@example');
    await page.getByLabel(w.email).blur();
    await page.getByLabel(w.password).fill('short');
    assert.equal(await text(page, '#password-count'), w.count);
    await page.getByLabel(w.password).blur();
    assert.equal(await text(page, '#email-error'), w.emailFormat);
    assert.equal(await text(page, '#password-error'), w.tooShort);
    assert.match(await page.title(), w.errorTitle);
    await shot('register-errors');
    // The server says the same, in the same language.
    const answer = await page.request.post(BASE + '/register', {
      headers: { Accept: 'application/json', 'Accept-Language': w.locale },
      form: { email: 'me@example', password: 'short' },
    });
    assert.equal(answer.status(), 422);
    assert.deepEqual((await answer.json()).errors, { email: w.emailFormat, password: w.tooShort });

    await page.getByLabel(w.email).fill(email);
    await page.getByLabel(w.password).fill(password);
    // The mail held until the page is there: the script then writes its
    // "accepted" (and its date).
    sinkControl(email, { hold_data: true });
    r = await submitting(page, 'POST', BASE + '/register',
        () => page.getByRole('button', { name: w.submit }).click());
    assert.equal(r.status(), 202);
    await page.waitForURL(isSentWithReceipt);
    assert.equal(await h1(page), w.sent);
    assert.equal(await page.locator('form[action="/register/resend"] button').innerText(), w.resend);
    await shot('sent');
    sinkControl(email, null);

    const mail = await waitForMail(DATA_DIR, email);
    // The script writes the accepted mail's date as the server does.
    await page.locator('section[data-state="accepted"]').waitFor({ timeout: 10000 });
    await expectLiveAsServed(page, w.locale);
    assert.equal(mail.language, lang);
    assert.equal(mail.subject, w.subject);
    checkSubjectEncoding(mail);
    assert.ok(mail.text.replace(/\n/g, ' ').includes(w.hours), 'the hours in words');
    assert.match(mail.html, new RegExp(`<html lang="${lang}">`));
    const link = verificationLink(mail);
    await shootMail(browser, mail.html, SHOTS, `${lang}-mail-verification`);

    // A wrong code typed on "check your inbox": the page again, its
    // message in this language.
    await page.getByLabel(w.codeLabel).fill(wrongCode(verificationCode(mail)));
    r = await submitting(page, 'POST', BASE + '/activate',
        () => page.getByRole('button', { name: w.codeSubmit }).click());
    assert.equal(r.status(), 401);
    await page.waitForLoadState();
    assert.equal(await text(page, '#code-error'), w.codeWrong);
    assert.match(await page.title(), w.errorTitle);
    await shot('sent-code-wrong');

    // The link in another browser (this one without its cookies, which
    // come back after) asks for the password, giving the registration's
    // date; nothing changes.
    const cookies = await context.cookies();
    await context.clearCookies();
    await page.goto(link);
    await submitting(page, 'POST', BASE + '/activate',
        () => page.getByRole('button', { name: w.verify }).click());
    await page.waitForLoadState();
    assert.equal(await h1(page), w.activate);
    assert.ok((await text(page, '.lead')).startsWith(w.registered.replace('{when}', registeredOn(mail))),
        `the password page's lead: ${await text(page, '.lead')}`);
    assert.equal(await page.getByLabel(w.password).getAttribute('type'), 'password');
    await shot('activate-password');
    await context.addCookies(cookies);

    await page.goto(link);
    assert.equal(await h1(page), w.activate);
    await shot('activate');
    r = await submitting(page, 'POST', BASE + '/activate',
        () => page.getByRole('button', { name: w.verify }).click());
    assert.equal(r.status(), 200);
    await page.waitForLoadState();
    assert.equal(await h1(page), w.verified);
    await shot('verified');
    await page.goto(link);
    await submitting(page, 'POST', BASE + '/activate',
        () => page.getByRole('button', { name: w.verify }).click());
    await page.waitForLoadState();
    assert.equal(await h1(page), w.already);
    await shot('already-verified');

    // The verified address again: the notice, in this language too.
    await page.goto(BASE + '/');
    await page.getByLabel(w.email).fill(email);
    await page.getByLabel(w.password).fill(newPassword());
    await page.getByLabel(w.password).press('Enter');
    await page.waitForURL(isSentWithReceipt);
    const notice = await waitForMail(DATA_DIR, email, 1);
    assert.equal(notice.subject, w.notice);
    checkSubjectEncoding(notice);
    assert.equal(notice.language, lang);
    await shootMail(browser, notice.html, SHOTS, `${lang}-mail-account-exists`);

    // The links that no longer work.
    r = await page.goto(`${BASE}/activate?token=${crypto.randomBytes(32).toString('base64url')}`);
    assert.equal(r.status(), 404);
    assert.equal(await h1(page), w.notFound);
    await shot('unknown-link');
    const expiring = `${lang}-expired-${unique()}@example.com`;
    r = await page.request.post(EXPIRY_BASE + '/register', {
      headers: { Accept: 'application/json', 'Accept-Language': w.locale },
      form: { email: expiring, password: newPassword() },
    });
    assert.equal(r.status(), 202);
    const old = verificationLink(await waitForMail(EXPIRY_DATA_DIR, expiring));
    const deadline = Date.now() + 10000;
    while ((await page.request.get(old)).status() !== 410) {
      assert.ok(Date.now() < deadline, 'the link did not expire');
      await new Promise((done) => setTimeout(done, 50));
    }
    r = await page.goto(old);
    assert.equal(r.status(), 410);
    assert.equal(await h1(page), w.expired);
    assert.equal(await page.locator('form[action="/register/resend"] input[type=email]').count(), 1);
    await shot('expired-link');
  } finally {
    sinkControl(email, null);
    await context.close();
  }
}

// --- running ----------------------------------------------------------

// Script errors and CSP refusals (inline code, other origins) fail the
// scenario that opened the page: Chromium reports both on the console.
// Each scenario runs with a list of its own (scenarioErrors).
// A page that scenarios share in turn (errorsOf) reports to the one
// visiting it.
const scenarioErrors = new AsyncLocalStorage();
function watchForErrors(page, errorsOf = () => pageErrors) {
  const pageErrors = scenarioErrors.getStore();
  page.on('pageerror', (e) => errorsOf().push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // A page or fetch answered 404/410/422 on purpose; a static file never.
    const url = m.location().url || '';
    if (m.text().startsWith('Failed to load resource') && !url.includes('/static/')) return;
    errorsOf().push(`${page.url()}: ${m.text()} ${url}`);
  });
}

// The scenarios are independent: each has its own browser context and
// addresses (the sink's faults are per recipient, sinkControl), so they
// run side by side, JOBS at a time (BROWSER_JOBS, default 4), the longest
// first. Most of a scenario's time is the browser's processor time or a
// wait for the stack or the page's 2 s polls: on the 2 shared cores (load
// about 10, the 7 scenarios of then) 2 at a time took 51 s for the whole
// test, 3 took 46 s, 4 and 7 took 42 s.
const SCENARIOS = [
  ['JavaScript on, keyboard only: live checks, fetch, status, code, verified, notice mail', javascriptOn],
  ['In French: pages, script messages, mails, code, password page, dead links', (b) => inLanguage(b, 'fr')],
  ['In German: pages, script messages, mails, code, password page, dead links', (b) => inLanguage(b, 'de')],
  ['JavaScript off: post, errors, register, mail link, another browser\'s password, verified', javascriptOff],
  ['JavaScript on: the script\'s message for each bad value is the server\'s', scriptAsServer],
  ['Not sent: an address the server refuses, then suppressed; in three languages', notSent],
  ['Bounced: the page turns to "came back" live when regctl bounce records it; in three languages', bounced],
  ['Live: a delayed mail\'s next try and a refusal, as the server writes them', liveStates],
  ['Dead links: unknown (404) and expired (410)', deadLinks],
  ['Not sent: past MAIL_CAP; in three languages', mailCap],
];
const JOBS = Math.max(1, Number(process.env.BROWSER_JOBS) || 4);

// Waits until the stack at "base" answers GET /healthz with 200 (run.sh
// starts the browser while the stacks start).
async function healthy(base) {
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      if ((await fetch(base + '/healthz')).status === 200) return;
    } catch (e) {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`the stack at ${base} did not start`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

async function main() {
  const [browser] = await Promise.all([chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium-headless-shell',
    // Without the background-networking flags Chromium's own connections
    // are refused by a closed network and slow everything down.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  }), healthy(BASE), healthy(EXPIRY_BASE)]);
  let passed = 0;
  let failed = 0;
  // BROWSER_ONLY (a regular expression) runs only the scenarios it names.
  const only = new RegExp(process.env.BROWSER_ONLY || '');
  const queue = SCENARIOS.filter(([name]) => only.test(name));
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [name, run] = next;
      const started = Date.now();
      const pageErrors = [];
      try {
        await scenarioErrors.run(pageErrors, () => run(browser));
        assert.deepEqual(pageErrors, [], 'errors in the page');
        passed++;
        console.log(`ok    ${name} (${Date.now() - started} ms)`);
      } catch (e) {
        failed++;
        console.log(`FAIL  ${name}\n      ${String(e.stack || e).split('\n').join('\n      ')}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: JOBS }, lane));
  } finally {
    await browser.close();
  }
  console.log(`browser: ${passed} scenarios passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((e) => {
  console.log(`browser: could not run: ${e.stack || e}`);
  process.exitCode = 1;
});
