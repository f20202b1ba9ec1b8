// The words of the mails the service sends, as text and HTML, before
// RenderMail turns them into a message.
#ifndef FCGI_MAIL_MAIL_TEMPLATES_H_
#define FCGI_MAIL_MAIL_TEMPLATES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "i18n/messages.h"

namespace reg {

// Subject and bodies of a mail, before rendering, and their language tag
// (for Content-Language).
struct MailText {
  std::string subject, text, html, language;
};

// The verification mail: "link" (BASE_URL/activate?token=T) on a line of
// its own in the text part and as <a href> in the HTML part, then "code"
// (6 digits) to type in the browser that registered, on a line of its
// own in both parts; says the link
// works for "ttl_hours" hours; says when the registration was made
// ("registered_s", Unix seconds, shown in UTC) and that the reader can
// ignore the mail if it was not them. In the language of "m", with its
// plural form of the hours and its date form; the text part is wrapped at
// 72 characters (the link alone on its line).
MailText VerificationMail(const Messages& m, std::string_view link,
                          std::string_view code, int ttl_hours,
                          std::int64_t registered_s);

// The notice sent when a verified address registers again. Holds no link
// that activates anything.
MailText AccountExistsMail(const Messages& m, std::string_view base_url);

// The "no account uses this address" mail, sent when "send it again" is
// asked for an address with no account: says so, with a link to register
// (BASE_URL/) in both parts. Holds no link that activates anything.
MailText NoAccountMail(const Messages& m, std::string_view base_url);

}  // namespace reg

#endif  // FCGI_MAIL_MAIL_TEMPLATES_H_
