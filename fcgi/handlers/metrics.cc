// GET /internal/metrics: Prometheus text format, counted from the rows at
// scrape time (nothing is counted on the write path), so every worker
// process answers with the same figures.
#include <cstdio>
#include <map>
#include <string>

#include "base/retry_reason.h"
#include "handlers/handlers.h"

namespace reg {
namespace {

void Line(std::string* out, const std::string& name, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, " %.17g\n", value);
  *out += name;
  *out += buf;
}

void Header(std::string* out, const char* name, const char* type,
            const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n";
  *out += std::string("# TYPE ") + name + " " + type + "\n";
}

}  // namespace

Result<Reply> HandleMetrics(const Request&, Context& context) {
  Result<StoreTotals> totals = context.store.Totals();
  if (!totals.ok()) return totals.status();
  Result<OutboxStats> r = context.outbox.Stats();
  if (!r.ok()) return r.status();
  const OutboxStats& stats = r.value();
  const auto state = [&](JobState s) {
    return static_cast<double>(stats.by_state[static_cast<int>(s)]);
  };
  const auto event_state = [&](JobState s) {
    return static_cast<double>(stats.events_by_state[static_cast<int>(s)]);
  };
  const std::int64_t now = context.services.clock->NowMs();
  std::string out;
  struct Simple {
    const char* name;
    const char* help;
    double value;
  };
  for (const Simple& c : {
           Simple{"registrations_total",
                  "POST /register requests accepted (202/303).",
                  static_cast<double>(totals.value().registrations)},
           Simple{"activations_total", "Accounts verified through their link.",
                  static_cast<double>(totals.value().activations)},
           Simple{"mail_sent_total", "Mails the SMTP server accepted.",
                  static_cast<double>(stats.sent_total)},
           Simple{"mail_failed_total",
                  "Mails given up: a 5xx, or retries past 48 h.",
                  static_cast<double>(stats.failed_total)},
           Simple{"mail_capped_total",
                  "Registrations that sent nothing (MAIL_CAP).",
                  static_cast<double>(totals.value().capped)},
           Simple{"mail_domain_delayed_total",
                  "Mails delayed because their recipient domain had "
                  "MAIL_CAP_TOTAL mails in the hour.",
                  static_cast<double>(totals.value().domain_delayed)},
           Simple{"retention_accounts_deleted_total",
                  "Unverified accounts deleted with their tokens "
                  "(RETAIN_UNVERIFIED_S after their last link expired).",
                  static_cast<double>(totals.value().retention_accounts)},
           Simple{"retention_mail_bodies_deleted_total",
                  "Sealed bodies of sent mails deleted (RETAIN_MAIL_S after "
                  "sending); the job and its history stay.",
                  static_cast<double>(totals.value().retention_mail_bodies)},
           Simple{"resends_total",
                  "POST /register/resend requests for a known address.",
                  static_cast<double>(totals.value().resends)},
           Simple{"receipts_total",
                  "Receipts handed out by POST /register and "
                  "/register/resend (CONTRACT section 8).",
                  static_cast<double>(totals.value().receipts)},
           Simple{"mail_bounced_total",
                  "Mails a failed delivery status notification came back "
                  "for (regctl bounce).",
                  static_cast<double>(totals.value().bounced)},
           Simple{"mail_suppressed_total",
                  "Mails not sent: their address was suppressed.",
                  static_cast<double>(totals.value().suppressed_mails)},
           Simple{"webhook_sent_total",
                  "account.verified events WEBHOOK_URL answered with a 2xx.",
                  event_state(JobState::kSent)},
           Simple{"webhook_failed_total",
                  "Events given up after 48 h of retries.",
                  event_state(JobState::kFailed)},
       }) {
    Header(&out, c.name, "counter", c.help);
    Line(&out, c.name, c.value);
  }
  Header(&out, "addresses_suppressed", "gauge",
         "Addresses that get no mail now (SUPPRESS_S; regctl suppressions).");
  Line(&out, "addresses_suppressed",
       static_cast<double>(totals.value().addresses_suppressed));
  Header(&out, "mail_domain_held", "gauge",
         "Mails MAIL_CAP_TOTAL holds back now, queued for when their "
         "recipient domain's hour has room.");
  Line(&out, "mail_domain_held",
       static_cast<double>(totals.value().domain_held));
  Header(&out, "mail_queue_depth", "gauge", "Jobs neither sent nor given up.");
  Line(&out, "mail_queue_depth",
       state(JobState::kQueued) + state(JobState::kSending));
  Header(&out, "webhook_queue_depth", "gauge",
         "Events neither delivered nor given up.");
  Line(&out, "webhook_queue_depth",
       event_state(JobState::kQueued) + event_state(JobState::kSending));
  Header(&out, "mail_jobs", "gauge", "Jobs by state.");
  for (int i = 0; i < 4; i++) {
    Line(&out,
         std::string("mail_jobs{state=\"") +
             JobStateName(static_cast<JobState>(i)) + "\"}",
         static_cast<double>(stats.by_state[i]));
  }
  Header(&out, "mail_oldest_queued_age_seconds", "gauge",
         "Age of the oldest job not yet sent nor given up (0: none).");
  Line(&out, "mail_oldest_queued_age_seconds",
       stats.oldest_waiting_ms == 0
           ? 0.0
           : static_cast<double>(now - stats.oldest_waiting_ms) / 1000);
  Header(&out, "mail_retries_total", "counter",
         "Failed attempts put back for later, by reason.");
  // The reasons the mailer gives (SendResult::reason), each shown even at 0.
  std::map<std::string, std::int64_t> retries;
  for (RetryReason reason :
       {RetryReason::k4xx, RetryReason::kConnect, RetryReason::kNetwork,
        RetryReason::kTimeout, RetryReason::kTls}) {
    retries[RetryReasonName(reason)] = 0;
  }
  for (const auto& [reason, count] : stats.retries) retries[reason] = count;
  for (const auto& [reason, count] : retries) {
    Line(&out, "mail_retries_total{reason=\"" + reason + "\"}",
         static_cast<double>(count));
  }
  Header(&out, "mail_delivery_seconds", "histogram",
         "Time from the registration's answer to the SMTP server's 250.");
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    char name[96];
    std::snprintf(name, sizeof name, "mail_delivery_seconds_bucket{le=\"%g\"}",
                  kDeliveryBuckets[i]);
    Line(&out, name, static_cast<double>(stats.delivered_within[i]));
  }
  const double count = static_cast<double>(stats.delivered);
  Line(&out, "mail_delivery_seconds_bucket{le=\"+Inf\"}", count);
  Line(&out, "mail_delivery_seconds_sum",
       static_cast<double>(stats.delivery_ms_sum) / 1000);
  Line(&out, "mail_delivery_seconds_count", count);
  Response response = Response::Text(200, std::move(out));
  response.headers[0].second = "text/plain; version=0.0.4; charset=utf-8";
  return Answer(std::move(response));
}

}  // namespace reg
