// POST /register: validate, hash, store account + mail job in one
// transaction, answer; the job is posted after the answer is finished.
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "crypto/password.h"
#include "crypto/token.h"
#include "handlers/handlers.h"
#include "http/html.h"
#include "mail/mail_templates.h"
#include "mail/mime.h"
#include "storage/mail_cap.h"

namespace reg {
namespace {

// 422: the messages of error keys "email_key" and "password_key" ("" for
// none) in the request's language, as JSON or beside the fields.
Reply Invalid(const Request& request, const Messages& m,
              const std::string& email, const std::string& email_key,
              const std::string& password_key) {
  const std::string email_error =
      email_key.empty() ? "" : FieldMessage(m, email_key);
  const std::string password_error =
      password_key.empty() ? "" : FieldMessage(m, password_key);
  if (request.WantsJson()) {
    nlohmann::json errors = nlohmann::json::object();
    if (!email_error.empty()) errors["email"] = email_error;
    if (!password_error.empty()) errors["password"] = password_error;
    return Answer(
        Response::Json(422, nlohmann::json{{"errors", errors}}.dump()));
  }
  RegisterForm form;
  form.email = email;
  form.email_error = email_error;
  form.password_error = password_error;
  return Answer(Response::Html(422, RegisterPage(m, form)));
}

// The mail of "kind" for "to", rendered and sealed (PrepareMails).
Result<PreparedJob> PrepareMail(const Services& services, const Messages& m,
                                MailKind kind, const std::string& to,
                                const LinkTexts& link,
                                std::int64_t registered_s) {
  const Config& config = *services.config;
  MailText text =
      kind == MailKind::kVerify
          ? VerificationMail(
                m, config.base_url + "/activate?token=" + link.token, link.code,
                std::max(1, config.token_ttl_s / 3600), registered_s)
      : kind == MailKind::kExists ? AccountExistsMail(m, config.base_url)
                                  : NoAccountMail(m, config.base_url);
  unsigned char random[16];
  Status s = RandomBytes(random, sizeof random);
  if (!s.ok()) return s;
  const std::string unique = Base64UrlEncode(
      std::string_view(reinterpret_cast<char*>(random), sizeof random));
  MailParts parts{config.mail_from, to,        text.subject,
                  text.text,        text.html, config.mail_from_name,
                  text.language};
  Result<RenderedMail> mail = RenderMail(parts, services.clock->NowS(), unique);
  if (!mail.ok()) return mail.status();
  Result<std::string> sealed = services.sealer->Seal(mail.value().bytes);
  if (!sealed.ok()) return sealed.status();
  return PreparedJob{mail.value().message_id, std::move(sealed).value()};
}

}  // namespace

Result<RegistrationMails> PrepareMails(const Services& services,
                                       const Messages& m, const std::string& to,
                                       const LinkTexts& link,
                                       std::int64_t registered_s, bool resend) {
  RegistrationMails mails;
  for (const auto& [kind, mail] :
       {std::pair{MailKind::kVerify, &mails.verify},
        std::pair{MailKind::kExists, &mails.exists},
        std::pair{MailKind::kNoAccount, &mails.no_account}}) {
    if (kind == MailKind::kNoAccount && !resend) continue;
    Result<PreparedJob> prepared =
        PrepareMail(services, m, kind, to, link, registered_s);
    if (!prepared.ok()) return prepared.status();
    *mail = std::move(prepared).value();
  }
  return mails;
}

Result<Reply> HandleRegister(const Request& request, Context& context) {
  const Services& services = context.services;
  const Config& config = *services.config;
  Result<Fields> fields = ReadFields(request);
  if (!fields.ok()) return fields.status();
  auto field = [&](const char* name) {
    auto it = fields.value().find(name);
    return it != fields.value().end() ? it->second : std::string();
  };
  const std::string email(TrimSpace(field("email")));
  const std::string password = field("password");
  const Messages& m = LanguageOf(request, context);
  const std::string email_error = EmailError(email);
  std::string password_error = PasswordError(password);
  if (password_error.empty() && email_error.empty() &&
      services.passwords != nullptr) {
    password_error = services.passwords->Check(password, email);
  }
  if (!email_error.empty() || !password_error.empty()) {
    return Invalid(request, m, email, email_error, password_error);
  }

  // Every accepted registration costs one hash, known address or not, so
  // neither the answer nor its time tells them apart.
  NewRegistration reg;
  {
    HashSlot slot(services.hash_gate,
                  std::chrono::milliseconds(config.hash_wait_ms));
    if (!slot.held()) return Status::Unavailable("all hash slots busy");
    Result<std::string> hash =
        HashPassword(password, ScryptParams{config.scrypt_log2_n, 8, 1});
    if (!hash.ok()) return hash.status();
    reg.password_hash = std::move(hash).value();
  }
  Result<LinkTexts> link = NewLink(services, email, reg);
  if (!link.ok()) return link.status();

  Result<RegistrationMails> mails =
      PrepareMails(services, m, email, link.value(), services.clock->NowS(),
                   /*resend=*/false);
  if (!mails.ok()) return mails.status();
  Result<RegisterOutcome> outcome =
      context.store.Register(reg, LimitsFrom(config), mails.value());
  if (!outcome.ok()) return outcome.status();
  // Only a registration's answer sets the cookie: it keeps this
  // browser's own receipts.
  return Accepted(request, outcome.value().job_to_post(), link.value().receipt,
                  ReceiptCookie(request, config, link.value().receipt));
}

RegisterLimits LimitsFrom(const Config& config) {
  RegisterLimits limits;
  limits.token_ttl_ms = config.token_ttl_s * 1000LL;
  limits.mail_cap = config.mail_cap;
  limits.mail_cap_day = MailCapDay(config.mail_cap);
  limits.mail_cap_total = config.mail_cap_total;
  return limits;
}

}  // namespace reg
