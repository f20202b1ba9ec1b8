// Every page the service serves, as complete HTML documents (UTF-8).
// Pages link /static/app.css (and the registration page /static/app.js),
// carry no inline style or script (the CSP forbids them) and no
// third-party resource. Every dynamic value goes through HtmlEscape
// (base/escape.h). Every word comes from "m", the language of the request
// (<html lang> says which). All functions are pure and thread-safe.
#ifndef FCGI_HTTP_HTML_H_
#define FCGI_HTTP_HTML_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "i18n/messages.h"

namespace reg {

// What the registration page shows. Empty strings show nothing.
struct RegisterForm {
  // The address as typed, shown again in the field.
  std::string email;
  // Messages (in the page's language) beside each field.
  std::string email_error;
  std::string password_error;
};

// The registration page: <form method="post" action="/register"> with the
// email and password inputs, each error beside its field (the first
// invalid field is focused on load, and the title starts "Error: "). The
// password is never echoed. Works with JavaScript off; /static/app.js adds
// checks as the user types and posts without leaving the page, with the
// messages of "m" the form carries in data-messages (JSON).
std::string RegisterPage(const Messages& m, const RegisterForm& form);

// The "send it again" form: <form method="post" action="/register/resend">
// with an email input and a button; "lead" (HTML) above it.
std::string ResendForm(const Messages& m, const std::string& lead);

// What a receipt says of its mail (GET /register/status's fields), for
// the "check your inbox" page.
struct ReceiptView {
  std::string receipt;  // R, as in ?r=R (base64url)
  bool known = false;   // false: unknown or expired
  std::string state;    // queued, sending, delayed, accepted, ...
  std::int64_t since_s = 0;
  std::string detail;
  std::int64_t retry_at_s = 0;
  std::string reply;   // the server's words, printable ASCII
  bool final = false;  // the state changes no more
  // BOUNCE_ADDRESS is set: a bounce of an accepted mail would show here,
  // and "accepted" says so (without it, nothing tells of one).
  bool bounces_watched = false;
  // The code form (POST /activate with a receipt and a code), for a
  // registration's own receipt; "code_error" beside its field.
  bool code_form = false;
  std::string code_error;
  // The receipt the code form posts: "" for "receipt" itself. A resend's
  // receipt takes no code: its page, in the browser whose cookie holds the
  // own receipt of the registration the resent mail was for, posts that.
  std::string code_receipt;
};

// The words of a receipt's state: the message key (receipt.*) for
// "view"; a wrong address (5.1.x) and a fault of ours or the server's
// read apart.
std::string ReceiptMessageKey(const ReceiptView& view);

// "Check your inbox", after a registration, with the resend form. With
// "receipt" it also shows what became of that mail in a role="status"
// region that /static/receipt.js keeps up to date, and a "check again"
// button that works without JavaScript; with its code_form, a labelled
// code field (inputmode="numeric" autocomplete="one-time-code") that posts
// the receipt and the code to /activate. A mail that was refused, bounced
// or never sent changes the title and heading to say so (SentTitleKey),
// and the page offers no link, no code and no wait.
std::string SentPage(const Messages& m, const ReceiptView* receipt = nullptr);

// The message key (sent.title*) of the sent page's title and heading for
// "receipt" (nullptr: none); receipt.js picks it alike.
std::string SentTitleKey(const ReceiptView* receipt);

// For 410: too many wrong codes for the address; its link still works.
std::string CodeTooManyPage(const Messages& m);

// "Send the link again": the resend form (POST /register/resend) with
// "email" kept (escaped) and "email_error" beside it (the 422 answer).
std::string ResendPage(const Messages& m, std::string_view email,
                       std::string_view email_error);

// The page behind a verification link: one button that posts "token" to
// /activate. Opening it changes nothing.
std::string ActivatePage(const Messages& m, std::string_view token);

// POST /activate from a browser that did not register: the password chosen
// at the registration of "registered_s" (Unix seconds, shown as its date),
// the token kept in the form, "password_error" beside the field, and the
// other ways on (the code where one registered, or registering again).
std::string ActivatePasswordPage(const Messages& m, std::string_view token,
                                 std::int64_t registered_s,
                                 std::string_view password_error);

// "Your email is verified": worded for a first verification and for a
// repeated press of the same link alike.
std::string VerifiedPage(const Messages& m);

// 200 page for a link pressed again, or an account another link verified.
std::string AlreadyVerifiedPage(const Messages& m);

// For 410: the link expired; the resend form to get a new one.
std::string ExpiredPage(const Messages& m);

// For 404: an unknown link or page.
std::string NotFoundPage(const Messages& m);

// A generic error page (400, 403, 405, 413, 415, 429, 500, 503). "title"
// and "message" are plain text (escaped here).
std::string ErrorPage(const Messages& m, int http_status,
                      std::string_view title, std::string_view message);

// An error's answer from its messages "key" ("error.413": key.title and
// key.text): the page, and the JSON body {"error": text}. The workers'
// errors (handlers/router.cc) and nginx's own (NginxErrorPages) alike.
std::string ErrorPageFor(const Messages& m, int http_status,
                         std::string_view key);
std::string ErrorJson(const Messages& m, std::string_view key);

// The answers nginx gives itself, for errors the workers never see: 400
// (a request nginx cannot read, or headers over its buffers), 413 (a body
// over client_max_body_size), 414 (an address over its buffers), 429 (a
// rate or connection limit), 502 and 504 (the workers down, or too slow).
// For each catalogue "tag", file name → content: "<status>.<tag>.html",
// the ErrorPage, and "<status>.<tag>.json", {"error": text} as the
// workers' JSON errors.
// The build writes them (error_pages_main.cc: BUILD/errors/, installed in
// /usr/share/registrar/errors/); the nginx configs pick one by the
// client's first language and whether it asked for JSON
// (nginx/error_pages.conf).
std::map<std::string, std::string> NginxErrorPages(const Catalogues& langs);

}  // namespace reg

#endif  // FCGI_HTTP_HTML_H_
