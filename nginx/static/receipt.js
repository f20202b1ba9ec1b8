// The "check your inbox" page of a receipt (/register/sent?r=R), kept up
// to date when JavaScript runs: it asks GET /register/status?r=R every 2 s
// for a minute, then every 15 s, and stops at a final state (refused,
// bounced, not sent, verified) or after 15 minutes. The state's words go
// into the page's role="status" region only when the state changes, so a
// screen reader announces each change once. Without this script the page
// shows the state as of its loading, and its "check again" button reloads
// it. Every word is the server's: the section's data-messages holds the
// catalogue's receipt.* texts in the page's language.
(function () {
  'use strict';

  var box = document.querySelector('section[data-receipt]');
  if (!box || !window.fetch || box.getAttribute('data-final') === '1') return;
  var receipt = box.getAttribute('data-receipt');
  if (!/^[A-Za-z0-9_-]+$/.test(receipt)) return;
  var region = document.getElementById('receipt-status');
  var replyBox = document.getElementById('receipt-reply');
  var replyText = document.getElementById('receipt-reply-text');
  var messages = {};
  try { messages = JSON.parse(box.getAttribute('data-messages') || '{}'); } catch (e) {}
  var FINAL = { refused: 1, bounced: 1, not_sent: 1, verified: 1 };
  var started = Date.now();
  var shownKey = '';
  var shownText = region.textContent;
  var lang = document.documentElement.lang || 'en';

  // The message "key" with each {name} of "args" filled in.
  function t(key, args) {
    var text = typeof messages[key] === 'string' ? messages[key] : key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return args && name in args ? String(args[name]) : all;
    });
  }

  // Unix seconds as a date and time in UTC, in the page's language.
  function when(seconds) {
    var d = new Date(seconds * 1000);
    try {
      return new Intl.DateTimeFormat(lang, {
        day: 'numeric', month: 'long', year: 'numeric',
        hour: '2-digit', minute: '2-digit', timeZone: 'UTC', hour12: false,
      }).format(d) + ' UTC';
    } catch (e) {
      return d.toUTCString();
    }
  }

  // The message key of a status, as the server picks it (ReceiptMessageKey).
  function keyFor(s) {
    var address = typeof s.detail === 'string' && s.detail.indexOf('5.1.') === 0;
    if (s.state === 'refused') return address ? 'receipt.refused_address' : 'receipt.refused';
    if (s.state === 'bounced') return address ? 'receipt.bounced_address' : 'receipt.bounced';
    if (s.state === 'delayed' && s.detail === 'mail_cap') return 'receipt.delayed_cap';
    if (s.state === 'not_sent') {
      return s.detail === 'mail_cap' ? 'receipt.not_sent_cap' : 'receipt.not_sent_suppressed';
    }
    return 'receipt.' + s.state;
  }

  function show(s) {
    var key = keyFor(s);
    var text = t(key, { when: when(s.retry_at || s.since), code: s.detail || '' });
    // Once per change: the same state again leaves the region alone.
    if (key !== shownKey && text !== shownText) region.textContent = text;
    shownKey = key;
    shownText = text;
    box.setAttribute('data-state', s.state);
    if (typeof s.reply === 'string' && s.reply !== '') {
      replyText.textContent = s.reply;
      replyBox.hidden = false;
    } else {
      replyBox.hidden = true;
    }
  }

  function schedule() {
    var elapsed = Date.now() - started;
    if (elapsed >= 15 * 60 * 1000) return;
    window.setTimeout(poll, elapsed < 60 * 1000 ? 2000 : 15000);
  }

  function poll() {
    fetch('/register/status?r=' + receipt, {
      headers: { 'Accept': 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store',
    }).then(function (response) {
      if (response.status === 404) {
        region.textContent = t('receipt.unknown');
        return;
      }
      if (response.status !== 200) { schedule(); return; }
      return response.json().then(function (s) {
        if (!s || typeof s.state !== 'string') { schedule(); return; }
        show(s);
        if (!FINAL[s.state]) schedule();
      });
    }).catch(function () { schedule(); });
  }

  shownKey = keyFor({ state: box.getAttribute('data-state') || 'queued' });
  schedule();
})();
