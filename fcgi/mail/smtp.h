// Mailer: hands one finished message to an SMTP server.
#ifndef FCGI_MAIL_SMTP_H_
#define FCGI_MAIL_SMTP_H_

#include <chrono>
#include <string>

#include "base/config.h"
#include "base/curl_handles.h"
#include "base/retry_reason.h"

namespace reg {

struct SendResult {
  enum class Outcome {
    kSent,       // the server said 250 to the data
    kRetry,      // connection failure, timeout or a 4xx: try again later
    kPermanent,  // a 5xx: never retry
  };
  Outcome outcome = Outcome::kRetry;
  std::string reply;  // the server's last reply line, or the transport error
  // For kRetry: kConnect, kTimeout, k4xx, kNetwork or kTls.
  RetryReason reason = RetryReason::kNetwork;
  // For kPermanent: the 5xx answered RCPT TO (the recipient, not the
  // message or the session, was refused).
  bool rcpt_refused = false;
};

// One Mailer per thread; not thread-safe.
class Mailer {
 public:
  virtual ~Mailer() = default;
  // Sends "message" (a complete RFC 5322 message, CRLF line ends) to
  // "rcpt", with "sender" as the envelope sender ("": MAIL_FROM's address).
  virtual SendResult Send(const std::string& rcpt, const std::string& message,
                          const std::string& sender) = 0;
  // Closes a kept connection that has been idle for the configured time
  // (SMTP_IDLE_S), politely (QUIT). Call it when there is nothing to send.
  virtual void CloseIfIdle() {}
};

// What the server said to our last EHLO on the kept connection.
enum class Smtputf8 { kUnknown, kOffered, kNotOffered };

// libcurl SMTP with one kept connection, reused across messages. After any
// failure the handle is thrown away (libcurl 7.88 would otherwise re-use a
// connection that timed out).
// Timeouts by phase: connecting, TLS and EHLO within SMTP_CONNECT_S; then
// each reply within SMTP_TIMEOUT_S (the reply to the final dot may take
// 10 minutes: RFC 5321 4.5.3.2.6).
// A recipient with a non-ASCII local part goes only with SMTPUTF8 (libcurl
// adds it to MAIL FROM when the server offers it); to a server that does
// not, the message is stopped before its first byte and the job fails for
// good, with a reply saying why.
class CurlSmtpMailer : public Mailer {
 public:
  explicit CurlSmtpMailer(const Config& config);
  SendResult Send(const std::string& rcpt, const std::string& message,
                  const std::string& sender) override;
  void CloseIfIdle() override;

  // The URL libcurl is given: SMTP_URL with the EHLO name as its path.
  const std::string& url() const { return url_; }

 private:
  SendResult SendOnce(const std::string& rcpt, const std::string& message,
                      const std::string& sender, bool* reused);

  const Config& config_;
  std::string url_;
  CurlEasy curl_;
  Smtputf8 smtputf8_ = Smtputf8::kUnknown;
  std::chrono::steady_clock::time_point last_used_;
};

}  // namespace reg

#endif  // FCGI_MAIL_SMTP_H_
