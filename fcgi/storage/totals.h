// Totals: the metrics arithmetic every engine shares. The figures
// /internal/metrics shows are counted from the rows at scrape time; what
// no row records (capped registrations, what retention deleted, and the
// figures of the jobs it deleted, under "retired:") lives in a counters
// table of name -> value. Each engine reads its rows and its counters with
// its own SQL; the names and the sums are here, once.
#ifndef FCGI_STORAGE_TOTALS_H_
#define FCGI_STORAGE_TOTALS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "storage/outbox.h"
#include "storage/retention.h"
#include "storage/store.h"

namespace reg {

// The counters table, by name.
using Counters = std::map<std::string, std::int64_t>;

// The value of "name" in "counters", 0 when absent.
std::int64_t CounterValue(const Counters& counters, const std::string& name);

// The counter a mail MAIL_CAP held back bumps: a registration's or a
// resend's. (mail_capped_service_total, from when MAIL_CAP_TOTAL dropped
// mail too, is no longer bumped; what it holds stays counted in
// registrations_total.)
const char* CappedCounter(bool resend);

// What Store::Totals counts from the rows: the mail jobs of registrations
// and of resends, and the verified accounts.
struct RowTotals {
  std::int64_t register_jobs = 0;
  std::int64_t resend_jobs = 0;
  std::int64_t verified = 0;
  std::int64_t receipts = 0;  // receipts kept
  std::int64_t addresses_suppressed = 0;  // suppressions in force
  // Mails MAIL_CAP_TOTAL delayed, not yet claimed (DomainHeld).
  std::int64_t domain_held = 0;
};
// StoreTotals from the rows and the counters (capped and retired ones).
StoreTotals TotalsFrom(const RowTotals& rows, const Counters& counters);

// What /internal/metrics counts from the rows of some mail jobs: retention
// reads this of the jobs it deletes (an account's, or "no account" mails)
// before it deletes them.
struct JobFigures {
  // As Store::Totals counts them: a "no account" mail is neither.
  std::int64_t register_jobs = 0;
  std::int64_t resend_jobs = 0;
  std::int64_t sent = 0;
  std::int64_t failed = 0;
  std::vector<std::pair<std::string, std::int64_t>> retries;  // by reason
  std::int64_t delivered = 0;
  std::int64_t delivery_ms_sum = 0;
  // One count per bound of kDeliveryBuckets (cumulative).
  std::vector<std::int64_t> delivered_within;
};
// Adds "figures" to the "retired:" counters in "retired".
void Retire(const JobFigures& figures, Counters* retired);
// Adds what one retention run deleted to its counters in "retired".
void CountRetention(const RetentionResult& result, Counters* retired);

// Adds to "stats", counted from the rows, the retired figures in
// "counters", so that no total goes down when retention deletes rows.
void AddRetired(const Counters& counters, OutboxStats* stats);

}  // namespace reg

#endif  // FCGI_STORAGE_TOTALS_H_
