#include "storage/retention.h"

#include <vector>

#include "storage/store.h"

namespace reg {
namespace {

// Runs "sql" bound to "value"; the rows it changed.
Result<std::int64_t> Run(Database* db, const char* sql, std::int64_t value,
                         const char* what) {
  Status s;
  sqlite3_stmt* stmt = db->Prepare(sql, &s);
  if (stmt == nullptr) return s;
  Binder(stmt).Int(value);
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) return SqliteError(db->raw(), rc, what);
  return static_cast<std::int64_t>(sqlite3_changes(db->raw()));
}

}  // namespace

Result<RetentionResult> ApplyRetention(Database* db, const Clock& clock,
                                       const RetentionPolicy& policy) {
  const std::int64_t now = clock.NowMs();
  RetentionResult result;
  Transaction txn(db);
  if (!txn.status().ok()) return txn.status();

  Result<std::int64_t> bodies =
      Run(db,
          "UPDATE outbox SET message = X'' "
          "WHERE state = 'sent' AND length(message) > 0 AND sent_ms < ?",
          now - policy.mail_body_ms, "empty bodies");
  if (!bodies.ok()) return bodies.status();
  result.mail_bodies = bodies.value();

  Status s;

  const std::int64_t cutoff = now - policy.unverified_ms;
  sqlite3_stmt* find = db->Prepare(
      "SELECT id FROM users WHERE verified_ms IS NULL AND created_ms < ?1 "
      "AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.user_id = users.id "
      "                AND t.expires_ms >= ?1) "
      "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.user_id = users.id "
      "                AND o.state IN ('queued', 'sending')) "
      "LIMIT ?2",
      &s);
  if (find == nullptr) return s;
  Binder(find).Int(cutoff).Int(policy.batch);
  std::vector<std::int64_t> ids;
  int rc;
  while ((rc = sqlite3_step(find)) == SQLITE_ROW) {
    ids.push_back(ColumnInt(find, 0));
  }
  if (rc != SQLITE_DONE) return SqliteError(db->raw(), rc, "find unverified");
  sqlite3_reset(find);

  // Children first (foreign keys are on).
  struct Step {
    const char* sql;
    const char* what;
  };
  static constexpr Step kDelete[] = {
      {"DELETE FROM outbox_events WHERE job_id IN "
       "(SELECT id FROM outbox WHERE user_id = ?)",
       "delete events"},
      {"DELETE FROM outbox WHERE user_id = ?", "delete jobs"},
      {"DELETE FROM tokens WHERE user_id = ?", "delete tokens"},
      {"DELETE FROM users WHERE id = ? AND verified_ms IS NULL",
       "delete account"},
  };
  for (std::int64_t id : ids) {
    for (const Step& step : kDelete) {
      Result<std::int64_t> n = Run(db, step.sql, id, step.what);
      if (!n.ok()) return n.status();
      if (&step == &kDelete[3]) result.accounts += n.value();
    }
  }

  if (result.accounts > 0) {
    s = BumpCounter(db, "retention_accounts_deleted_total", result.accounts);
    if (!s.ok()) return s;
  }
  if (result.mail_bodies > 0) {
    s = BumpCounter(db, "retention_mail_bodies_deleted_total",
                    result.mail_bodies);
    if (!s.ok()) return s;
  }
  s = txn.Commit();
  if (!s.ok()) return s;
  return result;
}

}  // namespace reg
