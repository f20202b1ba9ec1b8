// Mailer: hands one finished message to an SMTP server.
#ifndef FCGI_MAIL_SMTP_H_
#define FCGI_MAIL_SMTP_H_

#include <string>

#include "base/config.h"
#include "base/curl_handles.h"

namespace reg {

struct SendResult {
  enum class Outcome {
    kSent,       // the server said 250 to the data
    kRetry,      // connection failure, timeout or a 4xx: try again later
    kPermanent,  // a 5xx: never retry
  };
  Outcome outcome = Outcome::kRetry;
  std::string reply;  // the server's last reply line, or the transport error
  std::string
      reason;  // for kRetry: "connect", "timeout", "4xx", "network", "tls"
};

// One Mailer per thread; not thread-safe.
class Mailer {
 public:
  virtual ~Mailer() = default;
  // Sends "message" (a complete RFC 5322 message, CRLF line ends) to "rcpt".
  virtual SendResult Send(const std::string& rcpt,
                          const std::string& message) = 0;
};

// libcurl SMTP with one kept connection, reused across messages. After any
// failure the handle is thrown away (libcurl 7.88 would otherwise re-use a
// connection that timed out).
class CurlSmtpMailer : public Mailer {
 public:
  explicit CurlSmtpMailer(const Config& config);
  SendResult Send(const std::string& rcpt, const std::string& message) override;

 private:
  SendResult SendOnce(const std::string& rcpt, const std::string& message,
                      bool* reused);

  const Config& config_;
  std::string url_;
  CurlEasy curl_;
};

}  // namespace reg

#endif  // FCGI_MAIL_SMTP_H_
