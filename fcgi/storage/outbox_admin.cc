#include "storage/outbox_admin.h"

namespace reg {
namespace {

JobRow ReadRow(sqlite3_stmt* stmt) {
  JobRow row;
  row.id = ColumnInt(stmt, 0);
  row.kind = ColumnText(stmt, 1);
  row.rcpt = ColumnText(stmt, 2);
  row.state = ColumnText(stmt, 3);
  row.attempts = static_cast<int>(ColumnInt(stmt, 4));
  row.created_ms = ColumnInt(stmt, 5);
  row.next_attempt_ms = ColumnInt(stmt, 6);
  row.last_reply = ColumnText(stmt, 7);
  return row;
}

#define JOB_COLUMNS \
  "id, kind, rcpt, state, attempts, created_ms, next_attempt_ms, last_reply"

}  // namespace

Result<std::vector<JobRow>> ListJobs(Database* db, const std::string& state,
                                     int limit) {
  Status s;
  sqlite3_stmt* stmt = db->Prepare("SELECT " JOB_COLUMNS
                                   " FROM outbox WHERE ?1 = '' OR state = ?1 "
                                   "ORDER BY id DESC LIMIT ?2",
                                   &s);
  if (stmt == nullptr) return s;
  Binder(stmt).Text(state).Int(limit);
  std::vector<JobRow> rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) rows.push_back(ReadRow(stmt));
  if (rc != SQLITE_DONE) return SqliteError(db->raw(), rc, "list jobs");
  return rows;
}

Result<JobRow> GetJob(Database* db, std::int64_t id,
                      std::vector<JobEvent>* events) {
  Status s;
  sqlite3_stmt* stmt =
      db->Prepare("SELECT " JOB_COLUMNS " FROM outbox WHERE id = ?", &s);
  if (stmt == nullptr) return s;
  Binder(stmt).Int(id);
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE)
    return Status::NotFound("no job " + std::to_string(id));
  if (rc != SQLITE_ROW) return SqliteError(db->raw(), rc, "find job");
  JobRow row = ReadRow(stmt);
  sqlite3_reset(stmt);
  sqlite3_stmt* ev = db->Prepare(
      "SELECT at_ms, event, detail FROM outbox_events WHERE job_id = ? "
      "ORDER BY rowid",
      &s);
  if (ev == nullptr) return s;
  Binder(ev).Int(id);
  while ((rc = sqlite3_step(ev)) == SQLITE_ROW) {
    events->push_back({ColumnInt(ev, 0), ColumnText(ev, 1), ColumnText(ev, 2)});
  }
  if (rc != SQLITE_DONE) return SqliteError(db->raw(), rc, "job events");
  return row;
}

Status RequeueJob(Database* db, std::int64_t id, std::int64_t now_ms) {
  Transaction txn(db);
  if (!txn.status().ok()) return txn.status();
  Status s;
  sqlite3_stmt* stmt = db->Prepare(
      "UPDATE outbox SET state = 'queued', next_attempt_ms = ?, "
      "lease_until_ms = NULL WHERE id = ? AND state IN ('failed', 'queued')",
      &s);
  if (stmt == nullptr) return s;
  Binder(stmt).Int(now_ms).Int(id);
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) return SqliteError(db->raw(), rc, "requeue job");
  if (sqlite3_changes(db->raw()) == 0) {
    std::vector<JobEvent> ignored;
    Result<JobRow> row = GetJob(db, id, &ignored);
    if (!row.ok()) return row.status();
    return Status::InvalidArgument("job " + std::to_string(id) + " is " +
                                   row.value().state + ", not failed");
  }
  sqlite3_stmt* ev = db->Prepare(
      "INSERT INTO outbox_events(job_id, at_ms, event, detail) "
      "VALUES(?, ?, 'requeued', 'regctl')",
      &s);
  if (ev == nullptr) return s;
  Binder(ev).Int(id).Int(now_ms);
  rc = sqlite3_step(ev);
  if (rc != SQLITE_DONE) return SqliteError(db->raw(), rc, "requeue event");
  return txn.Commit();
}

}  // namespace reg
