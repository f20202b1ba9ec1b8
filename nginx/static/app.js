// The registration page, improved when JavaScript runs: each field is
// checked as the person types, the password's length is shown, and the
// form is posted without leaving the page. Without this script the same
// form posts normally and the server answers with the page. Every message
// is the server's, in the page's language: the form's data-messages holds
// the catalogue's field errors and this script's own words (lang/*.json,
// "field.*" and "js.*"), and any other message comes from the server's
// answer as it is. It touches only the registration form (not the
// "send it again" form of other pages).
(function () {
  'use strict';

  var form = document.querySelector('form[action="/register"]');
  if (!form || !window.fetch || !window.URLSearchParams) return;
  var email = form.elements.email;
  var password = form.elements.password;
  var submit = form.querySelector('button[type="submit"]');
  var formError = document.getElementById('form-error');
  var fields = [email, password];
  var messages = {};
  try { messages = JSON.parse(form.getAttribute('data-messages') || '{}'); } catch (e) {}

  // The message "key" with each {name} of "args" filled in.
  function t(key, args) {
    var text = typeof messages[key] === 'string' ? messages[key] : key;
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return args && name in args ? String(args[name]) : all;
    });
  }

  // The plural category of n under the catalogue's rule, as the server's
  // PluralCategory (fcgi/i18n/messages.cc) has it.
  function pluralCategory(n) {
    var rule = messages.plural_rule, m10 = n % 10, m100 = n % 100;
    var few = m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14);
    if (rule === 'zero-one') return n === 0 || n === 1 ? 'one' : 'other';
    if (rule === 'none') return 'other';
    if (rule === 'east-slavic') return m10 === 1 && m100 !== 11 ? 'one' : few ? 'few' : 'many';
    if (rule === 'polish') return n === 1 ? 'one' : few ? 'few' : 'many';
    if (rule === 'czech') return n === 1 ? 'one' : n >= 2 && n <= 4 ? 'few' : 'other';
    return n === 1 ? 'one' : 'other';
  }

  function plural(key, n) {
    var forms = messages[key] || {};
    var text = forms[pluralCategory(n)] || forms.other || String(n);
    return text.replace(/\{n\}/g, String(n));
  }

  // --- the field rules, as fcgi/form.cc has them ----------------------

  var MIN_PASSWORD = 8, MAX_PASSWORD = 256;
  var MIN_EMAIL = 3, MAX_EMAIL = 254, MAX_LOCAL = 64, MAX_LABEL = 63;
  var LIMITS = { min: MIN_PASSWORD, max: MAX_PASSWORD };
  var EMAIL_FORMAT = 'field.email_format';

  // Code points, as the server counts them (not UTF-16 units).
  function length(s) { return Array.from(s).length; }

  function trimAsciiSpace(s) { return s.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, ''); }

  function forbiddenInEmail(cp) {
    return cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp === 0x1680 ||
        (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 ||
        cp === 0x202f || cp === 0x205f || cp === 0x3000;
  }

  function validDomain(domain) {
    if (domain.indexOf('.') < 0) return false;
    return domain.split('.').every(function (label) {
      return label.length >= 1 && label.length <= MAX_LABEL &&
          /^[A-Za-z0-9-]+$/.test(label) && label[0] !== '-' &&
          label[label.length - 1] !== '-';
    });
  }

  // Whole UTF-16 (no lone surrogate): what the server calls valid text.
  function wellFormed(s) {
    if (s.isWellFormed) return s.isWellFormed();
    return !/[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/.test(s);
  }

  // The key of the field's message ("" when valid), as fcgi/http/form.cc.
  function emailError(raw) {
    var value = trimAsciiSpace(raw);
    if (value === '') return 'field.email_empty';
    if (!wellFormed(value)) return EMAIL_FORMAT;
    for (var ch of value) {
      if (forbiddenInEmail(ch.codePointAt(0))) {
        return 'field.email_space';
      }
    }
    var n = length(value);
    if (n > MAX_EMAIL) return 'field.email_too_long';
    if (n < MIN_EMAIL) return EMAIL_FORMAT;
    var at = value.indexOf('@');
    if (at < 0 || value.indexOf('@', at + 1) >= 0) return EMAIL_FORMAT;
    var local = value.slice(0, at);
    if (local === '') return EMAIL_FORMAT;
    if (length(local) > MAX_LOCAL) return 'field.email_local_too_long';
    if (!validDomain(value.slice(at + 1))) return EMAIL_FORMAT;
    return '';
  }

  function passwordError(value) {
    if (!wellFormed(value)) return 'field.password_not_text';
    var n = length(value);
    if (n < MIN_PASSWORD) return 'field.password_too_short';
    if (n > MAX_PASSWORD) return 'field.password_too_long';
    return '';
  }

  function check(input) {
    var key = input === email ? emailError(input.value) : passwordError(input.value);
    return key ? t(key, LIMITS) : '';
  }

  // --- showing messages ------------------------------------------------

  function updateTitle() {
    var any = fields.some(function (f) { return f.getAttribute('aria-invalid') === 'true'; }) ||
        formError.textContent !== '';
    document.title = any ? messages.error_title : messages.title;
  }

  // Puts "message" beside "input" (the live region announces it) and marks
  // the input; an unchanged message is left alone so it is not read twice.
  function show(input, message) {
    var box = document.getElementById(input.id + '-error');
    if (box.textContent !== message) box.textContent = message;
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    updateTitle();
  }

  function showFormError(message) {
    formError.textContent = message;
    updateTitle();
  }

  // "Reward early, punish late": a field is judged once the person leaves
  // it, and from then on at every keystroke, so a message goes away the
  // moment the value is right.
  fields.forEach(function (input) {
    var judged = input.getAttribute('aria-invalid') === 'true';
    input.addEventListener('input', function () {
      if (judged) show(input, check(input));
    });
    input.addEventListener('blur', function () {
      if (input.value === '' && !judged) return;  // just passing through
      judged = true;
      show(input, check(input));
    });
  });

  // --- the password's length and the "show password" button ----------

  var hint = document.getElementById('password-hint');
  var count = document.createElement('span');
  count.className = 'count';
  count.id = 'password-count';
  hint.appendChild(count);
  var announce = document.createElement('p');
  announce.className = 'sr-only';
  announce.setAttribute('aria-live', 'polite');
  hint.parentNode.appendChild(announce);
  var wasLongEnough = false;

  function updateCount() {
    var n = length(password.value);
    var text = plural('js.count', n);
    if (n > 0 && n < MIN_PASSWORD) text += t('js.to_go', { n: MIN_PASSWORD - n });
    if (n >= MIN_PASSWORD && n <= MAX_PASSWORD) text += t('js.long_enough');
    count.textContent = n > 0 ? text : '';
    var ok = n >= MIN_PASSWORD && n <= MAX_PASSWORD;
    count.classList.toggle('is-ok', ok);
    // Screen readers hear the length only when it becomes long enough.
    if (ok && !wasLongEnough) announce.textContent = t('js.announce_long_enough');
    if (!ok) announce.textContent = '';
    wasLongEnough = ok;
  }
  password.addEventListener('input', updateCount);
  updateCount();

  // "Show": the password in clear, for people who type on a phone. It
  // sits right after the input, so Tab reaches it next.
  var wrap = document.createElement('div');
  wrap.className = 'with-button';
  password.parentNode.insertBefore(wrap, password);
  wrap.appendChild(password);
  var reveal = document.createElement('button');
  reveal.type = 'button';
  reveal.className = 'reveal';
  reveal.setAttribute('aria-controls', password.id);
  // Visible "Show"/"Hide"; screen readers hear "Show password" (each
  // language words both; the spoken one holds the visible word).
  var revealWord = document.createElement('span');
  revealWord.setAttribute('aria-hidden', 'true');
  var revealSpoken = document.createElement('span');
  revealSpoken.className = 'sr-only';
  reveal.appendChild(revealWord);
  reveal.appendChild(revealSpoken);
  wrap.appendChild(reveal);
  function setRevealed(on) {
    password.type = on ? 'text' : 'password';
    revealWord.textContent = t(on ? 'js.hide' : 'js.show');
    revealSpoken.textContent = t(on ? 'js.hide_label' : 'js.show_label');
    announce.textContent = on ? t('js.shown') : '';
  }
  setRevealed(false);
  reveal.addEventListener('click', function () {
    var on = password.type === 'password';
    setRevealed(on);
    if (!on) announce.textContent = t('js.hidden');
  });

  // --- posting without leaving the page ---------------------------------

  var sending = false;
  var submitLabel = submit.textContent;

  function setSending(on) {
    sending = on;
    form.setAttribute('aria-busy', on ? 'true' : 'false');
    submit.setAttribute('aria-disabled', on ? 'true' : 'false');
    submit.textContent = on ? t('js.sending') : submitLabel;
  }

  function firstInvalid() {
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].getAttribute('aria-invalid') === 'true') return fields[i];
    }
    return null;
  }

  // The message for an answer that is neither 202 nor 422.
  function failureMessage(status, body) {
    if (body && typeof body.error === 'string' && body.error) return body.error;
    if (status === 429) return t('js.error_429');
    if (status === 503) return t('js.error_503');
    return t('js.error_other');
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (sending) return;
    showFormError('');
    fields.forEach(function (input) { show(input, check(input)); });
    var bad = firstInvalid();
    if (bad) { bad.focus(); return; }
    setRevealed(false);
    setSending(true);
    // The same body the form would send; Accept asks for the JSON answer.
    fetch(form.action, {
      method: 'POST',
      headers: { 'Accept': 'application/json' },
      body: new URLSearchParams(new FormData(form)),
      credentials: 'same-origin',
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (response.status === 202) {
          // The receipt is base64url: safe in a URL as it is.
          var receipt = body && typeof body.receipt === 'string' ? body.receipt : '';
          window.location.assign('/register/sent' +
              (/^[A-Za-z0-9_-]+$/.test(receipt) ? '?r=' + receipt : ''));
          return;
        }
        setSending(false);
        if (response.status === 422 && body && body.errors) {
          show(email, body.errors.email || '');
          show(password, body.errors.password || '');
          (firstInvalid() || email).focus();
          return;
        }
        showFormError(failureMessage(response.status, body));
      });
    }).catch(function () {
      setSending(false);
      showFormError(t('js.error_network'));
    });
  });
})();
