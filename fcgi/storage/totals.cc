#include "storage/totals.h"

#include "storage/mail_cap.h"

namespace reg {
namespace {

constexpr char kRetiredRetry[] = "retired:retry:";

std::string DeliveredWithin(int bucket) {
  return "retired:delivered_within:" + std::to_string(bucket);
}

}  // namespace

std::int64_t CounterValue(const Counters& counters, const std::string& name) {
  auto it = counters.find(name);
  return it == counters.end() ? 0 : it->second;
}

const char* CappedCounter(bool resend) {
  return resend ? "resend_capped_total" : "mail_capped_total";
}

StoreTotals TotalsFrom(const RowTotals& rows, const Counters& counters) {
  const auto get = [&](const char* name) {
    return CounterValue(counters, name);
  };
  StoreTotals t;
  t.activations = rows.verified;
  t.capped = get("mail_capped_total");
  t.retention_accounts = get("retention_accounts_deleted_total");
  t.retention_mail_bodies = get("retention_mail_bodies_deleted_total");
  // Jobs retention deleted stay counted ("retired:jobs"), and so do the
  // registrations MAIL_CAP_TOTAL sent nothing for when it dropped mail.
  t.registrations = rows.register_jobs + get("retired:jobs") + t.capped +
                    get("mail_capped_service_total");
  t.resends =
      rows.resend_jobs + get("retired:resends") + get("resend_capped_total");
  // Receipts retention forgot stay counted.
  t.receipts = rows.receipts + get("retired:receipts");
  t.bounced = get("mail_bounced_total");
  t.suppressed_mails = get("mail_suppressed_total");
  t.addresses_suppressed = rows.addresses_suppressed;
  t.domain_delayed = get(kDomainDelayedCounter);
  t.domain_held = rows.domain_held;
  return t;
}

void Retire(const JobFigures& figures, Counters* retired) {
  Counters& r = *retired;
  r["retired:jobs"] += figures.register_jobs;
  r["retired:resends"] += figures.resend_jobs;
  r["retired:sent"] += figures.sent;
  r["retired:failed"] += figures.failed;
  for (const auto& [reason, n] : figures.retries) {
    r[kRetiredRetry + reason] += n;
  }
  r["retired:delivered"] += figures.delivered;
  r["retired:delivery_ms_sum"] += figures.delivery_ms_sum;
  for (size_t i = 0; i < figures.delivered_within.size(); i++) {
    r[DeliveredWithin(static_cast<int>(i))] += figures.delivered_within[i];
  }
}

void CountRetention(const RetentionResult& result, Counters* retired) {
  (*retired)["retention_accounts_deleted_total"] += result.accounts;
  (*retired)["retention_mail_bodies_deleted_total"] += result.mail_bodies;
  (*retired)["retired:receipts"] += result.receipts;
}

void AddRetired(const Counters& counters, OutboxStats* stats) {
  stats->sent_total = stats->by_state[static_cast<int>(JobState::kSent)] +
                      CounterValue(counters, "retired:sent");
  stats->failed_total = stats->by_state[static_cast<int>(JobState::kFailed)] +
                        CounterValue(counters, "retired:failed");
  stats->delivered += CounterValue(counters, "retired:delivered");
  stats->delivery_ms_sum += CounterValue(counters, "retired:delivery_ms_sum");
  stats->delivered_within.resize(kDeliveryBucketCount, 0);
  for (int i = 0; i < kDeliveryBucketCount; i++) {
    stats->delivered_within[i] += CounterValue(counters, DeliveredWithin(i));
  }
  const std::string prefix = kRetiredRetry;
  for (const auto& [name, value] : counters) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string reason = name.substr(prefix.size());
    bool found = false;
    for (auto& [r, n] : stats->retries) {
      if (r == reason) {
        n += value;
        found = true;
      }
    }
    if (!found) stats->retries.emplace_back(reason, value);
  }
}

}  // namespace reg
