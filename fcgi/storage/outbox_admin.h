// What the operator tool (regctl) reads and changes in the outbox.
#ifndef FCGI_STORAGE_OUTBOX_ADMIN_H_
#define FCGI_STORAGE_OUTBOX_ADMIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/db.h"

namespace reg {

struct JobRow {
  std::int64_t id = 0;
  std::string kind;
  std::string rcpt;
  std::string state;
  int attempts = 0;
  std::int64_t created_ms = 0;
  std::int64_t next_attempt_ms = 0;
  std::string last_reply;
};

struct JobEvent {
  std::int64_t at_ms = 0;
  std::string event;
  std::string detail;
};

// Jobs in "state" ("" for all), newest first, at most "limit".
Result<std::vector<JobRow>> ListJobs(Database* db, const std::string& state,
                                     int limit);

// One job and its history, oldest event first. NotFound if none.
Result<JobRow> GetJob(Database* db, std::int64_t id,
                      std::vector<JobEvent>* events);

// Puts a failed (or queued) job back in the queue, due now, with a
// "requeued" event. InvalidArgument for a job that is sent or sending.
Status RequeueJob(Database* db, std::int64_t id, std::int64_t now_ms);

}  // namespace reg

#endif  // FCGI_STORAGE_OUTBOX_ADMIN_H_
