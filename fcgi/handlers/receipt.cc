// Receipts (CONTRACT section 8): the accepted answer that carries one,
// the cookie that keeps a browser's own, and GET /register/status.
#include <nlohmann/json.hpp>

#include "crypto/code.h"
#include "crypto/token.h"
#include "handlers/handlers.h"
#include "http/form.h"

namespace reg {
namespace {

// The receipts a cookie keeps: those of the browser's last registrations.
constexpr std::size_t kCookieReceipts = 3;

}  // namespace

std::string ReceiptCookieName(const Config& config) {
  // __Host-: only over https, for this host alone, on every path.
  return config.base_url.rfind("https://", 0) == 0 ? "__Host-registrar_receipt"
                                                   : "registrar_receipt";
}

std::vector<std::string> CookieReceipts(const Request& request,
                                        const Config& config) {
  std::vector<std::string> out;
  const std::string value = request.Cookie(ReceiptCookieName(config));
  std::size_t start = 0;
  while (start <= value.size() && out.size() < kCookieReceipts) {
    std::size_t end = value.find('.', start);
    if (end == std::string::npos) end = value.size();
    const std::string r = value.substr(start, end - start);
    if (LooksLikeReceipt(r)) out.push_back(r);
    start = end + 1;
  }
  return out;
}

std::string ReceiptCookie(const Request& request, const Config& config,
                          const std::string& receipt) {
  // Newest first; base64url never holds the ".", so it parts them.
  std::string value = receipt;
  std::size_t kept = 1;
  for (const std::string& r : CookieReceipts(request, config)) {
    if (kept == kCookieReceipts) break;
    if (r == receipt) continue;
    value += "." + r;
    kept++;
  }
  std::string cookie = ReceiptCookieName(config) + "=" + value +
                       "; Max-Age=" + std::to_string(config.token_ttl_s) +
                       "; Path=/; HttpOnly; SameSite=Lax";
  if (config.base_url.rfind("https://", 0) == 0) cookie += "; Secure";
  return cookie;
}

Result<LinkTexts> NewLink(const Services& services, const std::string& email,
                          NewRegistration& reg) {
  if (services.codes == nullptr) return Status::Internal("no code key");
  LinkTexts texts;
  Result<std::string> token = NewToken();
  if (!token.ok()) return token.status();
  texts.token = std::move(token).value();
  Result<std::string> receipt = NewReceiptText();
  if (!receipt.ok()) return receipt.status();
  texts.receipt = std::move(receipt).value();
  Result<std::string> code = NewCode();
  if (!code.ok()) return code.status();
  texts.code = std::move(code).value();
  reg.email = email;
  reg.email_norm = NormalizeEmail(email);
  reg.mailbox = MailboxKey(email);
  reg.token_hash = TokenHash(texts.token);
  reg.receipt_hash = ReceiptHash(texts.receipt);
  reg.code_mac = services.codes->Mac(reg.mailbox, texts.code);
  if (reg.code_mac.empty()) return Status::Internal("code mac failed");
  return texts;
}

Reply Accepted(const Request& request, std::int64_t job_id,
               const std::string& receipt, const std::string& set_cookie) {
  // The same answer whether the address was new, unverified or verified,
  // but for the receipt's own value.
  Reply reply;
  if (request.WantsJson()) {
    // In the contract's order (nlohmann::json would sort the keys); the
    // receipt is base64url, which JSON takes as it is.
    reply.response = Response::Json(
        202, R"({"status":"verification_sent","receipt":")" + receipt + "\"}");
  } else {
    // The receipt is base64url: nothing in it needs escaping in a URL.
    reply.response = Response::SeeOther("/register/sent?r=" + receipt);
  }
  if (!set_cookie.empty()) reply.response.AddHeader("Set-Cookie", set_cookie);
  if (job_id != 0) reply.after = PostJob{job_id};
  return reply;
}

std::string ReceiptStatusJson(const ReceiptStatus& status) {
  nlohmann::json j = {{"state", status.state}, {"since", status.since_s}};
  j["detail"] = status.detail.empty() ? nlohmann::json(nullptr)
                                      : nlohmann::json(status.detail);
  if (status.retry_at_s != 0) j["retry_at"] = status.retry_at_s;
  if (!status.reply.empty()) j["reply"] = status.reply;
  return j.dump();
}

Result<Reply> HandleStatus(const Request& request, Context& context) {
  const std::string receipt = request.QueryParam("r");
  if (!LooksLikeReceipt(receipt)) return Status::NotFound("malformed receipt");
  Result<ReceiptStatus> status = context.store.Receipt(ReceiptHash(receipt));
  if (!status.ok()) return status.status();
  Response response = Response::Json(200, ReceiptStatusJson(status.value()));
  return Answer(std::move(response));
}

}  // namespace reg
