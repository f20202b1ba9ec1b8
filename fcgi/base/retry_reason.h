// RetryReason: why an attempt at a job is tried again later. The mailer
// (mail/smtp.h) and the webhook sender (events/webhook.h) give it, the
// outbox records it with the retry (storage/outbox.h), and its name is the
// label of the retry metric (/internal/metrics).
#ifndef FCGI_BASE_RETRY_REASON_H_
#define FCGI_BASE_RETRY_REASON_H_

namespace reg {

enum class RetryReason {
  kConnect,  // no connection: refused, or the host did not resolve
  kTimeout,  // no answer in time (a mail may have gone through: see smtp.h)
  k4xx,      // the SMTP server answered 4xx: try again later
  kNetwork,  // any other transport failure, or no handle to send with
  kTls,      // TLS failed: handshake, certificate, STARTTLS refused
  kStatus,   // the webhook receiver answered, but not with a 2xx
  kConfig,   // no WEBHOOK_URL: the event waits until one is set
};

// The name recorded with the retry and shown as the metric's label:
// "connect", "timeout", "4xx", "network", "tls", "status", "config".
// Never null.
const char* RetryReasonName(RetryReason reason);

}  // namespace reg

#endif  // FCGI_BASE_RETRY_REASON_H_
