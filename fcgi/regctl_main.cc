// regctl: the operator's view of the accounts and the mail outbox, on the
// same database the workers use: DATA_DIR from -d, else the environment,
// else the service's environment file (-e FILE, default
// /etc/registrar/registrar.env when it exists), else ./run; with
// DATABASE_URL set (the environment, else that file), that PostgreSQL.
//   regctl jobs [STATE] [-n LIMIT]   list jobs, newest first
//   regctl show ID                   one job and its history
//   regctl retry ID                  put a failed job back in the queue
//   regctl accounts [TEXT] [-n N]    accounts whose address contains TEXT
//   regctl account ADDRESS           one account: registered, verified, mails
//   regctl bounce [ADDRESS]          records the notification on stdin (the
//                                    MTA's alias pipe); exits 0 or 75
//   regctl suppressions [-n N]       addresses that get no mail now
//   regctl unsuppress ADDRESS        lets mail go to ADDRESS again
#include <pwd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/config.h"
#include "base/env_file.h"
#include "base/escape.h"
#include "base/log.h"
#include "crypto/bounce_tag.h"
#include "crypto/secret_file.h"
#include "mail/bounce.h"
#include "mail/dsn.h"
#include "storage/storage.h"

namespace reg {
namespace {

constexpr const char* kUsage =
    "usage: regctl [-d DATA_DIR | -e ENV_FILE] jobs "
    "[queued|sending|sent|failed]"
    " [-n LIMIT]\n"
    "       regctl [-d DATA_DIR | -e ENV_FILE] show JOB_ID\n"
    "       regctl [-d DATA_DIR | -e ENV_FILE] retry JOB_ID\n"
    "       regctl [-d DATA_DIR | -e ENV_FILE] accounts [TEXT] [-n LIMIT]\n"
    "       regctl [-d DATA_DIR | -e ENV_FILE] account ADDRESS\n"
    "       regctl [-d DATA_DIR | -e ENV_FILE] bounce [ADDRESS] < MESSAGE\n"
    "       regctl [-d DATA_DIR | -e ENV_FILE] suppressions [-n LIMIT]\n"
    "       regctl [-d DATA_DIR | -e ENV_FILE] unsuppress ADDRESS\n";

// sysexits.h's EX_TEMPFAIL: the MTA keeps the message and tries again.
constexpr int kTempFail = 75;

constexpr const char* kDefaultEnvFile = "/etc/registrar/registrar.env";

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

// Where a job goes: its address, or WEBHOOK_URL for an event.
std::string To(const JobRow& r) {
  return r.channel == "webhook" ? "WEBHOOK_URL" : r.rcpt;
}

int Jobs(Outbox& outbox, const std::string& state, int limit) {
  Result<std::vector<JobRow>> rows = outbox.ListJobs(state, limit);
  if (!rows.ok()) return Fail(rows.status());
  std::printf("%-8s %-7s %-16s %-8s %-3s %-20s %-20s %s\n", "ID", "CHANNEL",
              "KIND", "STATE", "TRY", "QUEUED", "NEXT TRY", "TO / LAST REPLY");
  // What came from outside (addresses, SMTP replies) is printed escaped.
  for (const JobRow& r : rows.value()) {
    std::printf("%-8lld %-7s %-16s %-8s %-3d %-20s %-20s %s%s%s\n",
                static_cast<long long>(r.id), r.channel.c_str(), r.kind.c_str(),
                r.state.c_str(), r.attempts, Time(r.created_ms).c_str(),
                r.state == "queued" ? Time(r.next_attempt_ms).c_str() : "-",
                EscapeControls(To(r)).c_str(),
                r.last_reply.empty() ? "" : " / ",
                EscapeControls(r.last_reply).c_str());
  }
  return 0;
}

int Show(Outbox& outbox, std::int64_t id) {
  std::vector<JobEvent> events;
  Result<JobRow> row = outbox.GetJob(id, &events);
  if (!row.ok()) return Fail(row.status());
  const JobRow& r = row.value();
  std::printf(
      "job        %lld\nchannel    %s\nkind       %s\nto         %s\n"
      "state      %s\n"
      "attempts   %d\nqueued     %s\nnext try   %s\nclaimed by %s\n"
      "last reply %s\nhistory:\n",
      static_cast<long long>(r.id), r.channel.c_str(), r.kind.c_str(),
      EscapeControls(To(r)).c_str(), r.state.c_str(), r.attempts,
      Time(r.created_ms).c_str(),
      r.state == "queued" ? Time(r.next_attempt_ms).c_str() : "-",
      r.claimed_by.empty() ? "-" : EscapeControls(r.claimed_by).c_str(),
      r.last_reply.empty() ? "-" : EscapeControls(r.last_reply).c_str());
  for (const JobEvent& e : events) {
    std::printf("  %s  %-9s %s\n", Time(e.at_ms).c_str(), e.event.c_str(),
                EscapeControls(e.detail).c_str());
  }
  return 0;
}

int Accounts(Store& store, const std::string& part, int limit) {
  Result<std::vector<AccountRow>> rows = store.ListAccounts(part, limit);
  if (!rows.ok()) return Fail(rows.status());
  std::printf("%-8s %-20s %-20s %-5s %s\n", "ID", "REGISTERED", "VERIFIED",
              "MAILS", "ADDRESS");
  for (const AccountRow& r : rows.value()) {
    std::printf("%-8lld %-20s %-20s %-5d %s\n", static_cast<long long>(r.id),
                Time(r.created_ms).c_str(), Time(r.verified_ms).c_str(),
                r.mails, EscapeControls(r.email).c_str());
  }
  return 0;
}

int Account(Store& store, const std::string& email) {
  Result<AccountRow> row = store.FindAccount(email);
  if (!row.ok()) return Fail(row.status());
  const AccountRow& r = row.value();
  Result<std::vector<std::int64_t>> jobs = store.AccountJobIds(r.id);
  if (!jobs.ok()) return Fail(jobs.status());
  std::printf("account    %lld\naddress    %s\nregistered %s\nverified   %s\n",
              static_cast<long long>(r.id), EscapeControls(r.email).c_str(),
              Time(r.created_ms).c_str(),
              r.verified_ms == 0 ? "no" : Time(r.verified_ms).c_str());
  std::printf("mails      %d%s", r.mails, r.mails > 0 ? " (jobs" : "\n");
  for (std::int64_t id : jobs.value()) {
    std::printf(" %lld", static_cast<long long>(id));
  }
  if (r.mails > 0) std::printf("; regctl show ID)\n");
  return 0;
}

int Suppressions(Store& store, int limit) {
  Result<std::vector<SuppressionRow>> rows = store.ListSuppressions(limit);
  if (!rows.ok()) return Fail(rows.status());
  std::printf("%-20s %-20s %-7s %-8s %s\n", "SINCE", "UNTIL", "STATUS", "JOB",
              "ADDRESS");
  for (const SuppressionRow& r : rows.value()) {
    std::printf("%-20s %-20s %-7s %-8lld %s\n", Time(r.since_ms).c_str(),
                Time(r.until_ms).c_str(), EscapeControls(r.status).c_str(),
                static_cast<long long>(r.job_id),
                EscapeControls(r.address).c_str());
  }
  return 0;
}

// One line of regctl bounce's: on stderr (the log) and to syslog's mail
// facility.
void Note(const char* format, ...) __attribute__((format(printf, 1, 2)));
void Note(const char* format, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(line, sizeof line, format, ap);
  va_end(ap);
  Log("%s", line);
  syslog(LOG_INFO, "%s", line);
}

// The message on stdin, at most kMaxDsnBytes; false when it is longer.
bool ReadMessage(std::string* message) {
  char buf[65536];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, stdin);
    if (n == 0) break;
    message->append(buf, n);
    if (message->size() > kMaxDsnBytes) return false;
  }
  return true;
}

// regctl bounce: the tag is checked before the database is opened, so a
// forged or stray message costs no database work. Every outcome is one
// log line on stderr (which the MTA keeps only on a failure), never with
// a status code of its own at the start (Postfix would take it for one).
// 0: recorded or ignored; kTempFail: a failure that is not the message's.
int Bounce(const Config& config, const std::vector<std::string>& args,
           const Config& where) {
  // Also to the mail log, where an MTA's admin looks (an MTA drops the
  // output of a command that exits 0).
  openlog("regctl", LOG_PID, LOG_MAIL);
  std::string rcpt = args.size() == 2 ? args[1] : "";
  for (const char* name : {"ORIGINAL_RECIPIENT", "RECIPIENT"}) {
    if (!rcpt.empty()) break;
    if (const char* v = std::getenv(name)) rcpt = v;
  }
  if (rcpt.empty()) {
    Note("bounce: no envelope recipient (argument, ORIGINAL_RECIPIENT or "
        "RECIPIENT); kept for later");
    return kTempFail;
  }
  std::string message;
  if (!ReadMessage(&message)) {
    Note("bounce: ignored: the message is over %zu bytes", kMaxDsnBytes);
    return 0;
  }
  // The workers' job secret. Run by root (by hand: an MTA runs it as the
  // alias file's owner), regctl takes the one of DATA_DIR's owner, as its
  // other commands act on that user's data as root.
  Result<uid_t> owner = SecretOwner(geteuid(), where.data_dir);
  if (!owner.ok()) {
    Note("bounce: %s: run as root, regctl reads only the job secret of "
        "DATA_DIR's owner (give the workers' DATA_DIR, or run it as their "
        "user); kept for later",
        owner.status().message().c_str());
    return kTempFail;
  }
  Result<std::string> secret = LoadSecret(SecretPath(config), owner.value());
  if (!secret.ok()) {
    Note("bounce: the job secret: %s (it must be the workers' own: mode "
        "0600, owned by the user DATA_DIR belongs to, who runs regctl bounce "
        "under the MTA; fix its owner or mode, or give the workers' "
        "DATA_DIR); kept for later",
        secret.status().message().c_str());
    return kTempFail;
  }
  Result<BounceTagger> tagger = BounceTagger::Create(secret.value());
  if (!tagger.ok()) {
    Note("bounce: %s; kept for later", tagger.status().ToString().c_str());
    return kTempFail;
  }
  const BounceVerdict v = ReadBounce(message, rcpt, tagger.value());
  if (!v.record) {
    Note("bounce: ignored (to %s): %s", EscapeControls(rcpt).c_str(),
        v.why.c_str());
    return 0;
  }
  SystemClock clock;
  Result<std::unique_ptr<Storage>> storage =
      OpenStorage(where, clock, /*create=*/false);
  Result<std::unique_ptr<Store>> store =
      storage.ok() ? storage.value()->NewStore()
                   : Result<std::unique_ptr<Store>>(storage.status());
  if (!store.ok()) {
    Note("bounce: job %lld: the database: %s; kept for later",
        static_cast<long long>(v.job_id), store.status().ToString().c_str());
    return kTempFail;
  }
  Notification n;
  n.job_id = v.job_id;
  n.created_s = v.created_s;
  n.rcpt = v.rcpt;
  n.action = v.action;
  n.status = v.status;
  n.diagnostic = v.diagnostic;
  Result<NotificationResult> done = store.value()->RecordNotification(
      n, static_cast<std::int64_t>(config.suppress_s) * 1000);
  if (!done.ok()) {
    Note("bounce: job %lld: recording: %s; kept for later",
        static_cast<long long>(v.job_id), done.status().ToString().c_str());
    return kTempFail;
  }
  const char* what = done.value() == NotificationResult::kSuppressed
                         ? "recorded; address suppressed"
                     : done.value() == NotificationResult::kRecorded
                         ? "recorded"
                         : "ignored: no such mail";
  Note("bounce: job %lld: %s %s: %s", static_cast<long long>(v.job_id),
      v.action.c_str(), EscapeControls(v.status).c_str(), what);
  return 0;
}

// Files regctl makes next to the database (registrar.db-wal, -shm) must
// stay openable by the workers. Run by the owner of DATA_DIR they are; run
// by root too, because SQLite gives them the database file's owner when it
// runs as root. Anyone else is refused before touching anything.
Status CheckRunAs(const std::string& data_dir) {
  struct stat st;
  if (stat(data_dir.c_str(), &st) != 0) {
    return Status::NotFound(data_dir + ": no such folder (is DATA_DIR right?)");
  }
  if (st.st_uid == geteuid() || geteuid() == 0) return Status::Ok();
  const passwd* owner = getpwuid(st.st_uid);
  const std::string name =
      owner != nullptr ? owner->pw_name : std::to_string(st.st_uid);
  return Status::InvalidArgument(
      data_dir + " belongs to " + name + ": run regctl as " + name +
      " or as root, so that the files it makes there stay openable by the "
      "service");
}

int Run(int argc, char** argv) {
  std::string data_dir;
  std::string env_path;
  std::vector<std::string> args;
  int limit = 50;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
      data_dir = argv[++i];
    } else if (std::strcmp(argv[i], "-e") == 0 && i + 1 < argc) {
      env_path = argv[++i];
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
  EnvMap env_file;
  if (env_path.empty() && access(kDefaultEnvFile, F_OK) == 0) {
    env_path = kDefaultEnvFile;
  }
  if (!env_path.empty() && data_dir.empty()) {
    Result<EnvMap> read = ReadEnvFile(env_path);
    if (!read.ok()) return Fail(read.status());
    env_file = std::move(read).value();
  }
  // bounce reads the job secret and SUPPRESS_S too; it runs under the
  // MTA, where any failure that is not the message's must say "later".
  const bool bounce = args[0] == "bounce" && args.size() <= 2;
  Config loaded;
  if (data_dir.empty() || bounce) {
    Result<Config> config = LoadConfig(EnvThenFile(env_file));
    if (!config.ok()) {
      if (bounce) {
        Note("bounce: %s; kept for later", config.status().message().c_str());
        return kTempFail;
      }
      return Fail(config.status());
    }
    loaded = std::move(config).value();
    if (data_dir.empty()) data_dir = loaded.data_dir;
    loaded.data_dir = data_dir;
  }
  Config where;
  where.data_dir = data_dir;
  // DATABASE_URL (the environment's, else the env file's): the workers'
  // PostgreSQL database, whatever DATA_DIR says.
  if (const char* url = EnvThenFile(env_file)("DATABASE_URL")) {
    where.database_url = url;
  }
  if (where.database_url.empty()) {
    if (Status s = CheckRunAs(data_dir); !s.ok()) {
      if (bounce) {
        Note("bounce: %s; kept for later", s.message().c_str());
        return kTempFail;
      }
      return Fail(s);
    }
  }
  if (bounce) return Bounce(loaded, args, where);
  // The workers' own storage code, on their database; never creates one.
  SystemClock clock;
  Result<std::unique_ptr<Storage>> storage =
      OpenStorage(where, clock, /*create=*/false);
  Result<std::unique_ptr<Store>> store =
      storage.ok() ? storage.value()->NewStore()
                   : Result<std::unique_ptr<Store>>(storage.status());
  Result<std::unique_ptr<Outbox>> outbox =
      storage.ok() ? storage.value()->NewOutbox()
                   : Result<std::unique_ptr<Outbox>>(storage.status());
  if (!outbox.ok() || !store.ok()) {
    const Status failed = outbox.ok() ? store.status() : outbox.status();
    if (failed.code() == Code::kNotFound) {
      return Fail(Status::NotFound(failed.message() + " (is DATA_DIR right?)"));
    }
    return Fail(failed);
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
  if (cmd == "accounts" && args.size() <= 2) {
    return Accounts(*store.value(), args.size() == 2 ? args[1] : "", limit);
  }
  if (cmd == "account" && args.size() == 2) {
    return Account(*store.value(), args[1]);
  }
  if (cmd == "suppressions" && args.size() == 1) {
    return Suppressions(*store.value(), limit);
  }
  if (cmd == "unsuppress" && args.size() == 2) {
    Status s = store.value()->Unsuppress(args[1]);
    if (!s.ok()) return Fail(s);
    std::printf("%s is no longer suppressed\n",
                EscapeControls(args[1]).c_str());
    return 0;
  }
  std::fputs(kUsage, stderr);
  return 2;
}

}  // namespace
}  // namespace reg

int main(int argc, char** argv) { return reg::Run(argc, argv); }
