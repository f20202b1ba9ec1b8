#include "i18n/keys.h"

namespace reg {
namespace {

using K = KeyKind;

constexpr KeySpec kKeys[] = {
    // The language itself.
    {"plural_rule", K::kRule},
    {"date.months", K::kMonths},
    {"date.format", K::kText, "{day} {month} {year} {time}"},
    // What every page shares.
    {"page.error_title", K::kText, "{title}"},
    {"page.home", K::kText},
    {"page.email_label", K::kText},
    {"page.password_label", K::kText},
    // GET / and its 422.
    {"register.title", K::kText},
    {"register.lead", K::kText},
    {"register.password_hint", K::kText, "{min} {max}"},
    {"register.submit", K::kText},
    {"register.small", K::kText},
    // The "send it again" form (sent page, 410 page) and its 422 page.
    {"resend.submit", K::kText},
    {"resend.title", K::kText},
    // GET /register/sent.
    {"sent.title", K::kText},
    // ... its title and heading when no mail came (refused, bounced, not
    // sent: mail cap or suppressed).
    {"sent.title_refused", K::kText},
    {"sent.title_bounced", K::kText},
    {"sent.title_not_sent", K::kText},
    {"sent.lead", K::kText},
    {"sent.tip_wait", K::kText},
    {"sent.resend", K::kText},
    // The code form on the sent page, and its answers (POST /activate).
    {"code.lead", K::kText},
    {"code.label", K::kText},
    {"code.submit", K::kText},
    {"code.wrong", K::kText},
    {"code.too_many_title", K::kText},
    {"code.too_many_lead", K::kText},
    // What became of a receipt's mail (the sent page, /static/receipt.js).
    {"receipt.heading", K::kText},
    {"receipt.queued", K::kText},
    {"receipt.sending", K::kText},
    {"receipt.delayed", K::kText, "{when}"},
    {"receipt.delayed_cap", K::kText, "{when}"},
    {"receipt.accepted", K::kText, "{when}"},
    {"receipt.accepted_watched", K::kText, "{when}"},
    {"receipt.refused", K::kText, "{code}"},
    {"receipt.refused_address", K::kText, "{code}"},
    {"receipt.bounced", K::kText, "{code}"},
    {"receipt.bounced_address", K::kText, "{code}"},
    {"receipt.not_sent_cap", K::kText, "{when}"},
    {"receipt.not_sent_suppressed", K::kText},
    {"receipt.verified", K::kText},
    {"receipt.unknown", K::kText},
    {"receipt.reply_label", K::kText},
    {"receipt.check_again", K::kText},
    // GET /activate.
    {"activate.title", K::kText},
    {"activate.lead", K::kText},
    {"activate.lead_password", K::kText},
    {"activate.submit", K::kText},
    {"activate.small", K::kText},
    {"activate.password_missing", K::kText},
    {"activate.password_wrong", K::kText},
    {"activate.registered", K::kText, "{when}"},
    {"activate.other_ways", K::kText},
    // POST /activate.
    {"verified.title", K::kText},
    {"verified.lead", K::kText},
    {"verified.done", K::kText},
    {"already.title", K::kText},
    {"already.heading", K::kText},
    {"already.lead", K::kText},
    // 410 and 404.
    {"expired.title", K::kText},
    {"expired.lead", K::kText},
    {"expired.resend", K::kText},
    {"notfound.title", K::kText},
    {"notfound.lead", K::kText},
    {"notfound.help", K::kText},
    // Other error pages (and the JSON "error").
    {"error.status", K::kText, "{status}"},
    {"error.400.title", K::kText},
    {"error.400.text", K::kText},
    {"error.401.title", K::kText},
    {"error.401.text", K::kText},
    {"error.403.title", K::kText},
    {"error.403.text", K::kText},
    {"error.404.title", K::kText},
    {"error.404.text", K::kText},
    {"error.405.title", K::kText},
    {"error.405.text", K::kText},
    {"error.410.title", K::kText},
    {"error.410.text", K::kText},
    {"error.413.title", K::kText},
    {"error.413.text", K::kText},
    {"error.415.title", K::kText},
    {"error.415.text", K::kText},
    // The pages nginx answers itself with (http/html.h NginxErrorPages).
    {"error.414.title", K::kText},
    {"error.414.text", K::kText},
    {"error.429.title", K::kText},
    {"error.429.text", K::kText},
    {"error.502.title", K::kText},
    {"error.502.text", K::kText},
    {"error.503.title", K::kText},
    {"error.503.text", K::kText},
    {"error.500.title", K::kText},
    {"error.500.text", K::kText},
    // Field errors (http/form.h, http/password_policy.h), also in app.js.
    {"field.email_empty", K::kText},
    {"field.email_format", K::kText},
    {"field.email_space", K::kText},
    {"field.email_invisible", K::kText},
    {"field.email_too_long", K::kText},
    {"field.email_local_too_long", K::kText},
    {"field.password_not_text", K::kText},
    {"field.password_too_short", K::kText, "{min}"},
    {"field.password_too_long", K::kText, "{max}"},
    {"field.password_is_email", K::kText},
    {"field.password_common", K::kText},
    // The page script (nginx/static/app.js).
    {"js.count", K::kPlural, "{n}"},
    {"js.to_go", K::kText, "{n}"},
    {"js.long_enough", K::kText},
    {"js.announce_long_enough", K::kText},
    {"js.show", K::kText},
    {"js.hide", K::kText},
    {"js.show_label", K::kText},
    {"js.hide_label", K::kText},
    {"js.shown", K::kText},
    {"js.hidden", K::kText},
    {"js.sending", K::kText},
    {"js.error_429", K::kText},
    {"js.error_503", K::kText},
    {"js.error_other", K::kText},
    {"js.error_network", K::kText},
    // The verification mail.
    {"mail.verify.subject", K::kText},
    {"mail.verify.asked", K::kText, "{when}"},
    {"mail.verify.open_text", K::kText},
    {"mail.verify.press_text", K::kText},
    {"mail.verify.press_html", K::kText},
    {"mail.verify.button", K::kText},
    {"mail.verify.copy", K::kText},
    {"mail.verify.code", K::kText},
    {"mail.verify.ttl", K::kText, "{hours}"},
    {"mail.verify.hours", K::kPlural, "{n}"},
    {"mail.verify.not_you", K::kText},
    // The "you already have an account" mail.
    {"mail.exists.subject", K::kText},
    {"mail.exists.tried", K::kText, "{site}"},
    {"mail.exists.was_you", K::kText},
    {"mail.exists.not_you", K::kText},
    // The "no account uses this address" mail (a resend's).
    {"mail.no_account.subject", K::kText},
    {"mail.no_account.asked", K::kText, "{site}"},
    {"mail.no_account.register", K::kText},
    {"mail.no_account.button", K::kText},
    {"mail.no_account.not_you", K::kText},
};

}  // namespace

std::span<const KeySpec> MessageKeys() { return kKeys; }

}  // namespace reg
