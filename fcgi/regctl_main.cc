// regctl: the operator's view of the mail outbox, on the same database the
// workers use (DATA_DIR, or -d DIR).
//   regctl jobs [STATE] [-n LIMIT]   list jobs, newest first
//   regctl show ID                   one job and its history
//   regctl retry ID                  put a failed job back in the queue
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/config.h"
#include "storage/storage.h"

namespace reg {
namespace {

constexpr const char* kUsage =
    "usage: regctl [-d DATA_DIR] jobs [queued|sending|sent|failed] [-n LIMIT]\n"
    "       regctl [-d DATA_DIR] show JOB_ID\n"
    "       regctl [-d DATA_DIR] retry JOB_ID\n";

std::string Time(std::int64_t ms) {
  if (ms == 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "regctl: %s\n", s.message().c_str());
  return 1;
}

bool ParseId(const char* text, std::int64_t* id) {
  char* end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v <= 0) return false;
  *id = v;
  return true;
}

int Jobs(Outbox& outbox, const std::string& state, int limit) {
  Result<std::vector<JobRow>> rows = outbox.ListJobs(state, limit);
  if (!rows.ok()) return Fail(rows.status());
  std::printf("%-8s %-7s %-8s %-3s %-20s %-20s %s\n", "ID", "KIND", "STATE",
              "TRY", "QUEUED", "NEXT TRY", "TO / LAST REPLY");
  for (const JobRow& r : rows.value()) {
    std::printf("%-8lld %-7s %-8s %-3d %-20s %-20s %s%s%s\n",
                static_cast<long long>(r.id), r.kind.c_str(), r.state.c_str(),
                r.attempts, Time(r.created_ms).c_str(),
                r.state == "queued" ? Time(r.next_attempt_ms).c_str() : "-",
                r.rcpt.c_str(), r.last_reply.empty() ? "" : " / ",
                r.last_reply.c_str());
  }
  return 0;
}

int Show(Outbox& outbox, std::int64_t id) {
  std::vector<JobEvent> events;
  Result<JobRow> row = outbox.GetJob(id, &events);
  if (!row.ok()) return Fail(row.status());
  const JobRow& r = row.value();
  std::printf(
      "job        %lld\nkind       %s\nto         %s\nstate      %s\n"
      "attempts   %d\nqueued     %s\nnext try   %s\nclaimed by %s\n"
      "last reply %s\nhistory:\n",
      static_cast<long long>(r.id), r.kind.c_str(), r.rcpt.c_str(),
      r.state.c_str(), r.attempts, Time(r.created_ms).c_str(),
      r.state == "queued" ? Time(r.next_attempt_ms).c_str() : "-",
      r.claimed_by.empty() ? "-" : r.claimed_by.c_str(),
      r.last_reply.empty() ? "-" : r.last_reply.c_str());
  for (const JobEvent& e : events) {
    std::printf("  %s  %-9s %s\n", Time(e.at_ms).c_str(), e.event.c_str(),
                e.detail.c_str());
  }
  return 0;
}

int Run(int argc, char** argv) {
  Result<Config> config =
      LoadConfig([](const char* name) { return std::getenv(name); });
  if (!config.ok()) return Fail(config.status());
  std::string data_dir = config.value().data_dir;
  std::vector<std::string> args;
  int limit = 50;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
      data_dir = argv[++i];
    } else if (std::strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
      limit = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "-h") == 0 ||
               std::strcmp(argv[i], "--help") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      args.push_back(argv[i]);
    }
  }
  if (args.empty() || limit <= 0) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  config.value().data_dir = data_dir;
  // The workers' own storage code, on their database; never creates one.
  SystemClock clock;
  Result<std::unique_ptr<Storage>> storage =
      OpenStorage(config.value(), clock, /*create=*/false);
  Result<std::unique_ptr<Outbox>> outbox =
      storage.ok() ? storage.value()->NewOutbox()
                   : Result<std::unique_ptr<Outbox>>(storage.status());
  if (!outbox.ok()) {
    if (outbox.status().code() == Code::kNotFound) {
      return Fail(Status::NotFound(outbox.status().message() +
                                   " (is DATA_DIR right?)"));
    }
    return Fail(outbox.status());
  }
  const std::string& cmd = args[0];
  std::int64_t id = 0;
  if (cmd == "jobs" && args.size() <= 2) {
    std::string state = args.size() == 2 ? args[1] : "";
    if (!state.empty() && state != "queued" && state != "sending" &&
        state != "sent" && state != "failed") {
      std::fputs(kUsage, stderr);
      return 2;
    }
    return Jobs(*outbox.value(), state, limit);
  }
  if (cmd == "show" && args.size() == 2 && ParseId(args[1].c_str(), &id)) {
    return Show(*outbox.value(), id);
  }
  if (cmd == "retry" && args.size() == 2 && ParseId(args[1].c_str(), &id)) {
    Status s = outbox.value()->RequeueJob(id);
    if (!s.ok()) return Fail(s);
    std::printf("job %lld queued again; a sweep sends it within SWEEP_S\n",
                static_cast<long long>(id));
    return 0;
  }
  std::fputs(kUsage, stderr);
  return 2;
}

}  // namespace
}  // namespace reg

int main(int argc, char** argv) { return reg::Run(argc, argv); }
