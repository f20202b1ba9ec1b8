// The "check your inbox" page of a receipt (/register/sent?r=R), kept up
// to date when JavaScript runs: it asks GET /register/status?r=R every 2 s
// for a minute, then every 15 s, and stops at a final state (refused,
// bounced, not sent, verified) or after 15 minutes. The state's words go
// into the page's role="status" region only when the state changes, so a
// screen reader announces each change once. Without this script the page
// shows the state as of its loading, and its "check again" button reloads
// it. Every word is the server's: the section's data-messages holds the
// catalogue's receipt.* texts, the page's titles (sent.title*) and the
// date's format and month names, in the page's language. A mail that
// turns out refused, bounced or not sent changes the title and heading
// too, as the server's page for that state has them.
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
  // BOUNCE_ADDRESS is set: "accepted" says that a bounce would show here.
  var watched = box.getAttribute('data-watched') === '1';
  var FINAL = { refused: 1, bounced: 1, not_sent: 1, verified: 1 };
  var NO_MAIL = { refused: 1, bounced: 1, not_sent: 1 };
  var heading = document.querySelector('h1');
  var started = Date.now();
  var shownText = region.textContent;

  // The message "key" with each {name} of "args" filled in.
  function t(key, args) {
    var text = typeof messages[key] === 'string' ? messages[key] : key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return args && name in args ? String(args[name]) : all;
    });
  }

  // Unix seconds as a date and time in UTC, in the page's words, as the
  // server writes them (Messages::DateTimeUtc): its "date.format" with
  // {day}, {month} (its "date.months"), {year} and {time} (hh:mm).
  function when(seconds) {
    var d = new Date(seconds * 1000);
    var months = messages['date.months'];
    var two = function (n) { return (n < 10 ? '0' : '') + n; };
    return t('date.format', {
      day: d.getUTCDate(),
      month: Array.isArray(months) && months.length === 12
        ? months[d.getUTCMonth()] : d.getUTCMonth() + 1,
      year: d.getUTCFullYear(),
      time: two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()),
    });
  }

  // The message key of a status, as the server picks it (ReceiptMessageKey).
  function keyFor(s) {
    var address = typeof s.detail === 'string' && s.detail.indexOf('5.1.') === 0;
    if (s.state === 'refused') return address ? 'receipt.refused_address' : 'receipt.refused';
    if (s.state === 'bounced') return address ? 'receipt.bounced_address' : 'receipt.bounced';
    if (s.state === 'delayed' && s.detail === 'mail_cap') return 'receipt.delayed_cap';
    if (s.state === 'accepted' && watched) return 'receipt.accepted_watched';
    if (s.state === 'not_sent') {
      return s.detail === 'mail_cap' ? 'receipt.not_sent_cap' : 'receipt.not_sent_suppressed';
    }
    return 'receipt.' + s.state;
  }

  // A mail that was refused, bounced or never sent: the title and heading
  // say so (SentTitleKey), and the page offers no link, code or wait.
  function noMail(state) {
    if (!NO_MAIL[state]) return;
    var title = t('sent.title_' + state);
    document.title = title;
    if (heading) heading.textContent = title;
    ['sent-lead', 'sent-tips', 'code-form'].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.hidden = true;
    });
  }

  function show(s) {
    noMail(s.state);
    var key = keyFor(s);
    var text = t(key, { when: when(s.retry_at || s.since), code: s.detail || '' });
    // Once per change: the same words again (the same state, written as
    // the server wrote it) leave the region alone; a delayed mail's new
    // next try is a change.
    if (text !== shownText) region.textContent = text;
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

  schedule();
})();
