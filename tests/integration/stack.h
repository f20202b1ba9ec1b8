// The real stack for integration tests: tools/stack (nginx + spawn-fcgi +
// registrar workers) on free 127.0.0.1 ports with a temp DATA_DIR, and the
// real SMTP sink (tools/smtp_sink.py) with its fault knobs.
#ifndef TESTS_INTEGRATION_STACK_H_
#define TESTS_INTEGRATION_STACK_H_

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

struct pg_conn;  // libpq's PGconn

namespace reg::testing {

// Request headers and a password the suites share.
inline const std::string kJson = "Content-Type: application/json";
inline const std::string kForm =
    "Content-Type: application/x-www-form-urlencoded";
inline const std::string kAcceptJson = "Accept: application/json";
inline const std::string kPassword = "a good password";

// How many registrations the load tests send (Load, TwoHosts): 2,000, or
// REGISTRAR_LOAD (tests/run.sh gives the sanitized runs fewer).
int LoadCount();

// Waits until done() holds for as long as progress() keeps rising (a
// loaded machine is slow, not wrong); false once progress() stood still
// for "stall" without done().
bool WaitWhileProgressing(const std::function<bool()>& done,
                          const std::function<int()>& progress,
                          std::chrono::seconds stall = std::chrono::seconds(60));

// "s" in ASCII lower case.
std::string Lower(std::string s);

// A libcurl write callback that throws the body away.
size_t Discard(char*, size_t size, size_t n, void*);

struct HttpResponse {
  long status = 0;                             // 0: no answer (see error)
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  double seconds = 0;  // time to the whole answer
  std::string error;
  std::string Header(const std::string& name) const;
};

// One HTTP request with libcurl. "headers" as "Name: value"; "from": the
// local address to send from ("127.0.0.2"; "": the kernel's choice).
// Thread-safe.
HttpResponse Http(const std::string& method, const std::string& url,
                  const std::string& body = "",
                  const std::vector<std::string>& headers = {},
                  const std::string& from = "");

// Starts argv with "env" added; stdout+stderr to "log". The child gets
// SIGTERM if this test process dies, so nothing outlives a crashed test.
pid_t Spawn(const std::vector<std::string>& argv,
            const std::map<std::string, std::string>& env,
            const std::string& log);
// Waits up to "ms" for "pid" (our child) to exit.
bool Reap(pid_t pid, int ms);

// A free loopback port other than "taken" (FreePort: testutil.h).
int FreePortOtherThan(int taken);
// A new directory under /tmp, removed when the test binary exits, pass or
// fail (REGISTRAR_KEEP_TEST_DIRS=1 keeps them for a look).
std::string MakeTempDir();
std::string ReadFile(const std::string& path);
void WriteFileAtomic(const std::string& path, const std::string& content);
// The repository's root (REGISTRAR_ROOT, else the working directory).
std::string RepoRoot();

// The SMTP sink process. Mail lands in dir/mail/*.eml.
class Sink {
 public:
  // Starts at once; port 0 picks a free one.
  explicit Sink(std::string dir, int port = 0);
  ~Sink();
  void Start();
  void Stop();
  int port() const { return port_; }
  std::string url() const {
    return "smtp://127.0.0.1:" + std::to_string(port_);
  }
  // Replaces dir/control.json (the fault knobs) atomically.
  void Control(const std::string& json);
  std::vector<std::string> Mails() const;  // raw messages, oldest first
  int MailCount() const;
  int HeldCount() const;  // messages held by "hold_data" (markers)

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
  bool forked_ = false;  // by the zygote (stack.cc): not ours to reap
};

// The engine of this run's stacks: PostgreSQL when the test binary runs
// with REGISTRAR_ENGINE=postgres, else SQLite in each stack's DATA_DIR.
bool UsingPostgres();
// A new, empty database on the PostgreSQL server this test binary starts
// on first use (tests/pg_server.h; stopped and removed at exit): its URL,
// "" if the server or createdb failed.
std::string NewPgDatabase();
// The PostgreSQL server of NewPgDatabase (starting it if need be): false
// when it could not start. Stop/Start let a test take it away and back.
bool PgStop();
bool PgStart();

// The events receiver (tools/webhook_receiver.py), checking signatures
// with "secret_file". Attempts and events are recorded in "dir".
class Receiver {
 public:
  Receiver(std::string dir, std::string secret_file, int port);
  ~Receiver();
  void Start();  // waits until it listens
  void Stop();
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/events";
  }
  // Replaces dir/control.json: {"fail": N} or {"delay_s": S, "delay_count": N}.
  void Control(const std::string& json);
  // One JSON object per line, oldest first: every attempt, with "id",
  // "valid" (signature and timestamp), "status" answered, "duplicate".
  std::vector<std::string> Attempts() const;
  // The distinct valid events it took (bodies), oldest first.
  std::vector<std::string> Events() const;

 private:
  std::string dir_;
  std::string secret_file_;
  int port_;
  pid_t pid_ = -1;
};

// One running stack. Extra environment ("SCRYPT_LOG2_N", ...) is passed
// to tools/stack; PORT, INTERNAL_PORT, DATA_DIR and (when a sink is given)
// SMTP_URL are set here. RATE_LIMIT, CONN_LIMIT, MAIL_CAP and
// MAIL_CAP_TOTAL default to 0 (off) unless given. Under UsingPostgres(), a
// stack given no DATABASE_URL gets a database of its own (NewPgDatabase).
class Stack {
 public:
  explicit Stack(std::map<std::string, std::string> env, const Sink* sink,
                 std::string data_dir = "");
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // SIGTERM to tools/stack; true when it and every process it started
  // (workers, nginx, sink) are gone within 10 s, and no worker logged a
  // sanitizer report.
  bool Stop();
  bool running() const { return pid_ > 0; }
  // SIGKILL to tools/stack, every worker and nginx at once, as when the
  // host dies: nothing gets to clean up or record anything.
  void Kill();

  int port() const { return port_; }
  int internal_port() const { return internal_port_; }
  const std::string& data_dir() const { return data_dir_; }
  // The stack's DATABASE_URL, "" on SQLite.
  const std::string& database_url() const { return database_url_; }
  // The job secret's path (JOB_SECRET_FILE or DATA_DIR/job.secret).
  const std::string& job_secret_file() const { return secret_file_; }
  // A URL on the public listener, and on the internal one (/internal/…).
  std::string Url(const std::string& path) const;
  std::string InternalUrl(const std::string& path) const;
  HttpResponse Get(const std::string& path,
                   const std::vector<std::string>& headers = {}) const;
  HttpResponse Post(const std::string& path, const std::string& body,
                    const std::vector<std::string>& headers = {}) const;
  // POST to the internal listener.
  HttpResponse InternalPost(const std::string& path, const std::string& body,
                            const std::vector<std::string>& headers = {}) const;
  // POST /register as JSON; returns the answer.
  HttpResponse Register(const std::string& email,
                        const std::string& password) const;

  std::vector<pid_t> WorkerPids() const;
  pid_t NginxPid() const;
  // The value of one metric line (exact name with labels), from the
  // internal listener; -1 if absent.
  double Metric(const std::string& name) const;
  // Runs one SQL query on the stack's database (SQLite read-only, or its
  // PostgreSQL database); the first column of each row as text, booleans
  // as 1 and 0 on both. Write queries both engines take alike.
  std::vector<std::string> Query(const std::string& sql) const;
  // The first row of Query(sql), "" if none.
  std::string QueryOne(const std::string& sql) const;
  // The state of mail job "id" ("queued", "sent", ...), "" if none.
  std::string JobState(long long id) const;
  // The id of the newest mail job to "email" (as typed), 0 if none.
  long long JobIdFor(const std::string& email) const;
  // Output of tools/stack so far (for failure messages).
  std::string Output() const;
  // For a request left without an answer: the tails of the workers' log
  // and of nginx's error and access logs, and where each worker thread
  // waits (state and kernel wait channel, from /proc).
  std::string Diagnosis() const;

 private:
  int port_;
  int internal_port_;
  std::string data_dir_;
  std::string database_url_;
  std::string secret_file_;
  pid_t pid_ = -1;
  std::vector<pid_t> started_;  // every pid the stack reported
  // Query's session on PostgreSQL, kept: a new one per query cost the
  // server a backend each (tests poll with queries).
  mutable std::mutex query_mu_;
  mutable pg_conn* query_conn_ = nullptr;
};

// A sink and the stack that mails to it, in a temp dir of their own.
struct Running {
  explicit Running(std::map<std::string, std::string> env)
      : stack(std::move(env), &sink) {}
  std::string dir = MakeTempDir();
  Sink sink{dir};
  Stack stack;
};

// A test suite sharing one Running: a suite calls StartStack(env) in its
// SetUpTestSuite; after its last test the stack is stopped, and a process
// left behind (or a worker's sanitizer report) fails the suite.
class StackSuite : public ::testing::Test {
 protected:
  static void StartStack(std::map<std::string, std::string> env = {});
  static void TearDownTestSuite();
  static Stack& stack() { return run_->stack; }
  static Sink& sink() { return run_->sink; }

 private:
  static Running* run_;
};

// The mails "sink" took for "to" (exactly as typed), oldest first.
std::vector<std::string> MailsTo(const Sink& sink, const std::string& to);
// Runs the build's regctl (REGISTRAR_BUILD) with "args" on the stack's
// database (its DATA_DIR, or its DATABASE_URL); stdout and stderr.
std::string Regctl(const Stack& stack, const std::string& args);

// The link in a verification mail, "" if none.
std::string LinkIn(const std::string& mail);
// The token of a link, "" if none.
std::string TokenIn(const std::string& mail);
// The code of a verification mail: its first line of exactly 6 digits,
// "" if none.
std::string CodeIn(const std::string& mail);
// The receipt R of an accepted answer's body, which must be exactly
// {"status":"verification_sent","receipt":R} with R base64url of at least
// 16 bytes; "" for any other body.
std::string AcceptedReceipt(const std::string& body);
// The receipt R of an accepted form answer's Location, which must be
// exactly /register/sent?r=R; "" otherwise.
std::string SentReceipt(const std::string& location);

// An answer's status, headers (but Date) and body, with its receipt (of
// the body or the Location) written "R": two accepted answers that differ
// only in their receipts have the same shape.
std::string AnswerShape(const HttpResponse& r);

// A header's value in a raw mail (first occurrence), "" if absent.
std::string MailHeader(const std::string& mail, const std::string& name);
// Signs "body" with the stack's job.secret at "timestamp".
std::string SignJob(const Stack& stack, long long timestamp,
                    const std::string& body);

}  // namespace reg::testing

#endif  // TESTS_INTEGRATION_STACK_H_
