#include "storage/receipts.h"

#include <cctype>

namespace reg {
namespace {

constexpr std::size_t kMaxReplyChars = 200;
constexpr std::int64_t kMailCapRetryMs = 3600 * 1000LL;

bool StartsWithReplyCode(std::string_view reply) {
  return reply.size() >= 3 && std::isdigit(static_cast<unsigned char>(reply[0])) &&
         std::isdigit(static_cast<unsigned char>(reply[1])) &&
         std::isdigit(static_cast<unsigned char>(reply[2])) &&
         (reply.size() == 3 || reply[3] == ' ' || reply[3] == '-');
}

}  // namespace

const char* NotSentName(NotSent reason) {
  switch (reason) {
    case NotSent::kMailCap:
      return "mail_cap";
    case NotSent::kSuppressed:
      return "suppressed";
    case NotSent::kNo:
      break;
  }
  return "";
}

NotSent NotSentFromName(std::string_view name) {
  if (name == "mail_cap") return NotSent::kMailCap;
  if (name == "suppressed") return NotSent::kSuppressed;
  return NotSent::kNo;
}

std::string ReplyStatusCode(std::string_view reply) {
  if (!StartsWithReplyCode(reply)) return "";
  // "5.1.1": class, subject (1-3 digits), detail (1-3 digits) (RFC 3463).
  std::string_view rest = reply.substr(std::min<std::size_t>(4, reply.size()));
  std::size_t i = 0, parts = 0, digits = 0;
  for (; i < rest.size(); i++) {
    const char c = rest[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (++digits > 3) break;
    } else if (c == '.' && digits > 0 && parts < 2) {
      parts++;
      digits = 0;
    } else {
      break;
    }
  }
  const bool end_ok = i == rest.size() || rest[i] == ' ';
  if (parts == 2 && digits > 0 && end_ok && rest[0] == reply[0]) {
    return std::string(rest.substr(0, i));
  }
  return std::string(reply.substr(0, 3));
}

std::string ServerWords(std::string_view reply) {
  if (!StartsWithReplyCode(reply)) return "";
  std::string out;
  for (char c : reply) {
    if (out.size() == kMaxReplyChars) break;
    if (c >= 0x20 && c <= 0x7e) out += c;
  }
  return out;
}

bool IsFinalReceiptState(std::string_view state) {
  return state == "refused" || state == "bounced" || state == "not_sent" ||
         state == "verified";
}

void SetNotificationFacts(std::string_view action, std::string_view status,
                          std::int64_t at_ms, ReceiptFacts* f) {
  if (action == "failed") {
    // A failure without a status code still bounced.
    f->bounce_status = status.empty() ? "5.0.0" : std::string(status);
    f->bounced_ms = at_ms;
  } else if (action == "delayed") {
    f->remote_delayed_ms = at_ms;
  }
}

ReceiptStatus ReceiptStatusOf(const ReceiptFacts& f) {
  ReceiptStatus s;
  const auto at = [](std::int64_t ms) { return ms / 1000; };
  s.takes_code = f.own && f.not_sent == NotSent::kNo && f.job_id != 0 &&
                 f.verified_ms == 0;
  if (f.verified_ms > 0) {
    s.state = "verified";
    s.since_s = at(f.verified_ms);
    return s;
  }
  if (f.not_sent != NotSent::kNo) {
    s.state = "not_sent";
    s.detail = NotSentName(f.not_sent);
    s.since_s = at(f.created_ms);
    // MAIL_CAP counts the last hour: an hour after the request held back,
    // a mail may go again.
    if (f.not_sent == NotSent::kMailCap) {
      s.retry_at_s = at(f.created_ms + kMailCapRetryMs);
    }
    return s;
  }
  if (!f.bounce_status.empty()) {
    s.state = "bounced";
    s.detail = f.bounce_status;
    s.since_s = at(f.bounced_ms);
    return s;
  }
  const std::int64_t changed = f.changed_ms > 0 ? f.changed_ms : f.created_ms;
  s.since_s = at(changed);
  if (f.job_id == 0 || f.job_state == "queued") {
    if (f.attempts == 0 && f.delayed_until_ms > 0) {
      // MAIL_CAP_TOTAL: the domain's hour is full; the mail waits for the
      // place an older one leaves.
      s.state = "delayed";
      s.detail = NotSentName(NotSent::kMailCap);
      s.since_s = at(f.created_ms);
      s.retry_at_s = at(f.delayed_until_ms);
      return s;
    }
    if (f.attempts == 0) {
      s.state = "queued";
      return s;
    }
    s.state = "delayed";
    s.retry_at_s = at(f.next_attempt_ms);
    s.reply = ServerWords(f.last_reply);
    return s;
  }
  if (f.job_state == "sent" && f.remote_delayed_ms > 0) {
    // A server further on said it keeps trying.
    s.state = "delayed";
    s.since_s = at(f.remote_delayed_ms);
    return s;
  }
  if (f.job_state == "sending") {
    s.state = "sending";
  } else if (f.job_state == "sent") {
    s.state = "accepted";
    if (f.sent_ms > 0) s.since_s = at(f.sent_ms);
    s.reply = ServerWords(f.last_reply);
  } else {
    s.state = "refused";
    s.detail = ReplyStatusCode(f.last_reply);
    s.reply = ServerWords(f.last_reply);
  }
  return s;
}

}  // namespace reg
