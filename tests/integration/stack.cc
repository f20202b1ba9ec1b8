#include "stack.h"

#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "crypto/job_signer.h"
#include "pg_server.h"
#include "storage/postgres/pg.h"
#include "testutil.h"

namespace reg::testing {
namespace {

// libcurl's global init is not thread-safe: once, before any test thread.
struct CurlInit {
  CurlInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
} curl_init;

size_t Collect(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t CollectHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
      value.pop_back();
    // A field sent twice reads as one list (RFC 9110, 5.3), so a test that
    // expects one value sees a repeat.
    auto [it, added] = headers->emplace(name, value);
    if (!added) it->second += ", " + value;
  }
  return size * n;
}

// A process that still runs. A zombie does not: a worker that exited is
// reparented to init (its parent, spawn-fcgi, is long gone), which may
// reap it late on a busy machine.
bool Alive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || line.compare(paren, 4, ") Z ") != 0;
}

std::vector<pid_t> ReadPids(const std::string& path) {
  std::vector<pid_t> pids;
  std::istringstream in(ReadFile(path));
  long pid;
  while (in >> pid) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

}  // namespace

// Starts argv with "env" added; stdout+stderr to "log". The child gets
// SIGTERM if this test process dies, so nothing outlives a crashed test.
pid_t Spawn(const std::vector<std::string>& argv,
            const std::map<std::string, std::string>& env,
            const std::string& log) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  FILE* out = std::fopen(log.c_str(), "a");
  if (out != nullptr) {
    dup2(fileno(out), 1);
    dup2(fileno(out), 2);
  }
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

// Waits up to "ms" for "pid" (our child) to exit.
bool Reap(pid_t pid, int ms) {
  for (int waited = 0; waited <= ms; waited += 10) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it != headers.end() ? it->second : std::string();
}

HttpResponse Http(const std::string& method, const std::string& url,
                  const std::string& body,
                  const std::vector<std::string>& headers,
                  const std::string& from) {
  HttpResponse r;
  CURL* h = curl_easy_init();
  if (!from.empty()) {
    curl_easy_setopt(h, CURLOPT_INTERFACE, ("host!" + from).c_str());
  }
  curl_slist* list = nullptr;
  for (const std::string& header : headers)
    list = curl_slist_append(list, header.c_str());
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "HEAD") curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (!body.empty() || method == "POST") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &r.seconds);
  } else {
    r.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  return r;
}

namespace {

// The directories MakeTempDir made; removed by the destructor at exit,
// after every suite stopped its processes.
class MadeDirs {
 public:
  ~MadeDirs() {
    if (std::getenv("REGISTRAR_KEEP_TEST_DIRS") != nullptr) return;
    std::error_code ignored;
    for (const std::string& d : dirs_) std::filesystem::remove_all(d, ignored);
  }
  void Add(const std::string& dir) {
    std::lock_guard<std::mutex> lock(mu_);
    dirs_.push_back(dir);
  }

 private:
  std::mutex mu_;
  std::vector<std::string> dirs_;
};

MadeDirs made_dirs;

}  // namespace

int FreePortOtherThan(int taken) {
  int port = FreePort();
  while (port == taken) port = FreePort();
  return port;
}

std::string MakeTempDir() {
  std::string tmpl = "/tmp/registrar-test-XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  if (dir == nullptr) return std::string();
  made_dirs.Add(dir);
  return dir;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFileAtomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::binary) << content;
  std::rename(tmp.c_str(), path.c_str());
}

std::string RepoRoot() {
  if (const char* root = std::getenv("REGISTRAR_ROOT")) return root;
  char buf[4096];
  return getcwd(buf, sizeof buf) != nullptr ? std::string(buf) : ".";
}

namespace {

// The contents of "file" once a process has written it (a port), waiting
// up to 5 s; "" if it never did.
std::string WaitForFile(const std::string& file) {
  for (int i = 0; i < 500; i++) {
    std::string content = ReadFile(file);
    if (!content.empty()) return content;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

// SIGTERM, then SIGKILL after 5 s; *pid becomes -1.
void StopProcess(pid_t* pid) {
  if (*pid <= 0) return;
  kill(*pid, SIGTERM);
  if (!Reap(*pid, 5000)) {
    kill(*pid, SIGKILL);
    Reap(*pid, 5000);
  }
  *pid = -1;
}

}  // namespace

namespace {

// The sinks' zygote (tools/smtp_sink.py --zygote): one Python that has
// imported all and forks a sink per request, started with the first sink
// and ended with this process (and its sinks with it). A sink started
// afresh costs about 0.25 s of processor time, a fork of the zygote a few
// milliseconds; a `make check` starts about 140 sinks. Where the zygote
// cannot start, each sink is a process of its own.
class SinkZygote {
 public:
  static SinkZygote& Get() {
    static SinkZygote zygote;
    return zygote;
  }

  // The new sink's pid, or -1 if the zygote is not there.
  pid_t Fork(const std::vector<std::string>& args, const std::string& log) {
    std::lock_guard<std::mutex> lock(mu_);
    if (pid_ <= 0) return -1;
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = dir_.File("zygote.sock");
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    std::string answer;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      const std::string request =
          nlohmann::json{{"argv", args}, {"log", log}}.dump() + "\n";
      if (write(fd, request.data(), request.size()) ==
          static_cast<ssize_t>(request.size())) {
        char buf[32];
        ssize_t n;
        while (answer.find('\n') == std::string::npos &&
               (n = read(fd, buf, sizeof(buf))) > 0) {
          answer.append(buf, static_cast<size_t>(n));
        }
      }
    }
    close(fd);
    const pid_t pid = static_cast<pid_t>(std::atol(answer.c_str()));
    return pid > 0 ? pid : -1;
  }

 private:
  SinkZygote() {
    if (dir_.path().empty()) return;
    // Not Spawn: its PR_SET_PDEATHSIG would end the zygote, and every
    // sink with it, when the thread that started it ends. The zygote ends
    // within a second of this process (it watches its parent).
    const std::string script = RepoRoot() + "/tools/smtp_sink.py";
    const std::string socket = dir_.File("zygote.sock");
    const std::string log = dir_.File("zygote.log");
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execl("/usr/bin/python3", "python3", script.c_str(), "--zygote",
            socket.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 1000 && access(dir_.File("zygote.sock").c_str(), F_OK);
         i++) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~SinkZygote() { StopProcess(&pid_); }

  TempDir dir_;
  std::mutex mu_;
  pid_t pid_ = -1;
};

}  // namespace

Sink::Sink(std::string dir, int port) : dir_(std::move(dir)), port_(port) {
  Start();
}

Sink::~Sink() { Stop(); }

void Sink::Start() {
  std::remove((dir_ + "/sink.port").c_str());
  const std::vector<std::string> args = {
      "--quiet", "--port", std::to_string(port_), "--dir", dir_};
  pid_ = SinkZygote::Get().Fork(args, dir_ + "/sink.log");
  forked_ = pid_ > 0;
  if (!forked_) {
    std::vector<std::string> argv = {"/usr/bin/python3",
                                     RepoRoot() + "/tools/smtp_sink.py"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = Spawn(argv, {}, dir_ + "/sink.log");
  }
  const std::string port = WaitForFile(dir_ + "/sink.port");
  if (!port.empty()) port_ = std::atoi(port.c_str());
}

void Sink::Stop() {
  if (!forked_) return StopProcess(&pid_);
  // The zygote's child: not ours to reap; gone once kill(pid, 0) fails.
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 500 && Alive(pid_); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (Alive(pid_)) kill(pid_, SIGKILL);
  for (int i = 0; i < 500 && Alive(pid_); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  pid_ = -1;
}

void Sink::Control(const std::string& json) {
  WriteFileAtomic(dir_ + "/control.json", json);
}

namespace {

std::vector<std::string> Files(const std::string& dir,
                               const std::string& suffix) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > suffix.size() && name[0] != '.' &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) ==
              0) {
        names.push_back(dir + "/" + name);
      }
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::vector<std::string> Sink::Mails() const {
  std::vector<std::string> mails;
  for (const std::string& f : Files(dir_ + "/mail", ".eml"))
    mails.push_back(ReadFile(f));
  return mails;
}

int Sink::MailCount() const {
  return static_cast<int>(Files(dir_ + "/mail", ".eml").size());
}

int Sink::HeldCount() const {
  return static_cast<int>(Files(dir_ + "/held", "").size());
}

int LoadCount() {
  const char* n = std::getenv("REGISTRAR_LOAD");
  return n != nullptr && std::atoi(n) > 0 ? std::atoi(n) : 2000;
}

bool WaitWhileProgressing(const std::function<bool()>& done,
                          const std::function<int()>& progress,
                          std::chrono::seconds stall) {
  int last = progress();
  auto moved = std::chrono::steady_clock::now();
  while (!done()) {
    if (std::chrono::steady_clock::now() - moved > stall) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (const int now = progress(); now > last) {
      last = now;
      moved = std::chrono::steady_clock::now();
    }
  }
  return true;
}

bool UsingPostgres() {
  const char* engine = std::getenv("REGISTRAR_ENGINE");
  return engine != nullptr && std::string(engine) == "postgres";
}

std::string NewPgDatabase() {
  static std::atomic<int> n{0};
  PgServer& server = PgServer::Shared();
  if (!server.ok()) return "";
  return server.CreateDatabase("stack_" + std::to_string(++n));
}

bool PgStop() { return PgServer::Shared().ok() && PgServer::Shared().Stop(); }
bool PgStart() { return PgServer::Shared().ok() && PgServer::Shared().Start(); }

Receiver::Receiver(std::string dir, std::string secret_file, int port)
    : dir_(std::move(dir)), secret_file_(std::move(secret_file)), port_(port) {}

Receiver::~Receiver() { Stop(); }

void Receiver::Start() {
  std::remove((dir_ + "/receiver.port").c_str());
  pid_ = Spawn({"/usr/bin/python3", RepoRoot() + "/tools/webhook_receiver.py",
                "--secret", secret_file_, "--port", std::to_string(port_),
                "--dir", dir_},
               {}, dir_ + "/receiver.log");
  WaitForFile(dir_ + "/receiver.port");
}

void Receiver::Stop() { StopProcess(&pid_); }

void Receiver::Control(const std::string& json) {
  WriteFileAtomic(dir_ + "/control.json", json);
}

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos;
       start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  return lines;
}

}  // namespace

std::vector<std::string> Receiver::Attempts() const {
  return Lines(ReadFile(dir_ + "/attempts.jsonl"));
}

std::vector<std::string> Receiver::Events() const {
  return Lines(ReadFile(dir_ + "/events.jsonl"));
}

Stack::Stack(std::map<std::string, std::string> env, const Sink* sink,
             std::string data_dir)
    : port_(FreePort()),
      internal_port_(FreePortOtherThan(port_)),
      data_dir_(data_dir.empty() ? MakeTempDir() : std::move(data_dir)) {
  std::error_code ignored;  // a given DATA_DIR may not exist yet
  std::filesystem::create_directories(data_dir_, ignored);
  env["PORT"] = std::to_string(port_);
  env["INTERNAL_PORT"] = std::to_string(internal_port_);
  env["DATA_DIR"] = data_dir_;
  if (UsingPostgres() && env.count("DATABASE_URL") == 0) {
    env["DATABASE_URL"] = NewPgDatabase();
  }
  database_url_ = env.count("DATABASE_URL") ? env["DATABASE_URL"] : "";
  secret_file_ = env.count("JOB_SECRET_FILE") ? env["JOB_SECRET_FILE"]
                                              : data_dir_ + "/job.secret";
  if (sink != nullptr) env["SMTP_URL"] = sink->url();
  env.emplace("RATE_LIMIT", "0");
  env.emplace("MAIL_CAP", "0");
  env.emplace("MAIL_CAP_TOTAL", "0");
  env.emplace("CONN_LIMIT", "0");
  env.emplace("SCRYPT_LOG2_N", "4");
  env.emplace("WORKERS", "2");
  env.emplace("THREADS", "4");
  const char* build = std::getenv("REGISTRAR_BUILD");
  env["BUILD"] = build != nullptr ? build : "build";
  pid_ = Spawn({RepoRoot() + "/tools/stack"}, env, data_dir_ + "/stack.out");
  for (int i = 0; i < 1500; i++) {
    if (Output().find("Registration service running") != std::string::npos)
      break;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (pid_ > 0) {
    started_ = WorkerPids();
    started_.push_back(NginxPid());
  }
}

Stack::~Stack() {
  Stop();
  if (query_conn_ != nullptr) PQfinish(query_conn_);
}

bool Stack::Stop() {
  if (pid_ <= 0) return false;
  // Workers started after this object was made (a restart) count too.
  for (pid_t p : WorkerPids()) started_.push_back(p);
  kill(pid_, SIGTERM);
  bool exited = Reap(pid_, 10000);
  if (!exited) {
    kill(pid_, SIGKILL);
    Reap(pid_, 5000);
  }
  pid_ = -1;
  bool clean = exited;
  for (pid_t p : started_) {
    if (Alive(p)) {
      clean = false;
      kill(p, SIGKILL);
    }
  }
  // Under `make test`'s sanitizer runs, a worker's report ends up in its
  // log (stderr): that fails the suite too.
  std::istringstream log(ReadFile(data_dir_ + "/registrar.log"));
  std::string line;
  while (std::getline(log, line)) {
    if (line.find("Sanitizer") != std::string::npos ||
        line.find("runtime error:") != std::string::npos) {
      std::fprintf(stderr, "sanitizer report in %s/registrar.log: %s\n",
                   data_dir_.c_str(), line.c_str());
      clean = false;
    }
  }
  return clean;
}

namespace {

// "pid" and every process below it (from /proc), parents first.
std::vector<pid_t> WithDescendants(pid_t pid) {
  std::map<pid_t, std::vector<pid_t>> children;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      const pid_t p = std::atoi(e->d_name);
      if (p <= 0) continue;
      std::string stat = ReadFile("/proc/" + std::to_string(p) + "/stat");
      size_t paren = stat.rfind(')');
      if (paren == std::string::npos) continue;
      std::istringstream rest(stat.substr(paren + 2));
      std::string state;
      pid_t parent = 0;
      rest >> state >> parent;
      children[parent].push_back(p);
    }
    closedir(d);
  }
  std::vector<pid_t> all = {pid};
  for (size_t i = 0; i < all.size(); i++) {
    for (pid_t c : children[all[i]]) all.push_back(c);
  }
  return all;
}

}  // namespace

void Stack::Kill() {
  if (pid_ <= 0) return;
  // The workers (spawn-fcgi's children, long since init's), and nginx and
  // its workers, the log tail and the rest (the stack script's).
  std::vector<pid_t> pids = WorkerPids();
  for (pid_t p : WithDescendants(NginxPid())) pids.push_back(p);
  for (pid_t p : WithDescendants(pid_)) pids.push_back(p);
  for (pid_t p : pids) {
    if (p > 0) kill(p, SIGKILL);
  }
  Reap(pid_, 5000);
  pid_ = -1;
  // The workers and nginx, no longer anyone's children, go to init.
  for (pid_t p : pids) {
    WaitFor([p] {
      std::string stat = ReadFile("/proc/" + std::to_string(p) + "/stat");
      size_t paren = stat.rfind(')');
      return stat.empty() || (paren != std::string::npos &&
                              stat.compare(paren, 4, ") Z ") == 0);
    });
  }
}

std::string Stack::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string Stack::InternalUrl(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(internal_port_) + path;
}

HttpResponse Stack::Get(const std::string& path,
                        const std::vector<std::string>& headers) const {
  return Http("GET", Url(path), "", headers);
}

HttpResponse Stack::Post(const std::string& path, const std::string& body,
                         const std::vector<std::string>& headers) const {
  return Http("POST", Url(path), body, headers);
}

HttpResponse Stack::InternalPost(
    const std::string& path, const std::string& body,
    const std::vector<std::string>& headers) const {
  return Http("POST", InternalUrl(path), body, headers);
}

HttpResponse Stack::Register(const std::string& email,
                             const std::string& password) const {
  std::string body =
      "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}";
  return Post("/register", body, {"Content-Type: application/json"});
}

std::vector<pid_t> Stack::WorkerPids() const {
  return ReadPids(data_dir_ + "/registrar.pid");
}

pid_t Stack::NginxPid() const {
  std::vector<pid_t> p = ReadPids(data_dir_ + "/nginx/nginx.pid");
  return p.empty() ? -1 : p[0];
}

double Stack::Metric(const std::string& name) const {
  HttpResponse r = Http("GET", InternalUrl("/internal/metrics"));
  std::istringstream in(r.body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == ' ') {
      return std::atof(line.c_str() + name.size() + 1);
    }
  }
  return -1;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

std::string Stack::QueryOne(const std::string& sql) const {
  std::vector<std::string> rows = Query(sql);
  return rows.empty() ? "" : rows[0];
}

std::vector<std::string> Stack::Query(const std::string& sql) const {
  std::vector<std::string> rows;
  if (!database_url_.empty()) {
    std::lock_guard<std::mutex> lock(query_mu_);
    // Once more on a new session when the kept one was lost (a server
    // restarted by the test): nothing was run on a lost one.
    for (int tries = 0; tries < 2; tries++) {
      if (query_conn_ == nullptr || PQstatus(query_conn_) != CONNECTION_OK) {
        if (query_conn_ != nullptr) PQfinish(query_conn_);
        query_conn_ = PQconnectdb(database_url_.c_str());
        if (PQstatus(query_conn_) != CONNECTION_OK) return rows;
      }
      PgResultPtr result(PQexec(query_conn_, sql.c_str()));
      if (PQstatus(query_conn_) != CONNECTION_OK) continue;
      const ExecStatusType status = PQresultStatus(result.get());
      if (status != PGRES_TUPLES_OK) return rows;
      for (int i = 0; i < PQntuples(result.get()); i++) {
        // Booleans as SQLite gives them (PostgreSQL's text form is t/f).
        std::string text = PQgetvalue(result.get(), i, 0);
        if (text == "t" || text == "f") text = text == "t" ? "1" : "0";
        rows.push_back(text);
      }
      return rows;
    }
    return rows;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2((data_dir_ + "/registrar.db").c_str(), &db,
                      SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        const unsigned char* text = sqlite3_column_text(stmt, 0);
        rows.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text)
                                          : "");
      }
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return rows;
}

std::string Stack::JobState(long long id) const {
  std::vector<std::string> rows =
      Query("SELECT state FROM outbox WHERE id = " + std::to_string(id));
  return rows.empty() ? std::string() : rows[0];
}

long long Stack::JobIdFor(const std::string& email) const {
  std::string quoted;
  for (char c : email)
    quoted += c == '\'' ? std::string("''") : std::string(1, c);
  std::vector<std::string> rows =
      Query("SELECT max(id) FROM outbox WHERE rcpt = '" + quoted + "'");
  return rows.empty() ? 0 : std::atoll(rows[0].c_str());
}

std::string Stack::Output() const { return ReadFile(data_dir_ + "/stack.out"); }

std::string Stack::Diagnosis() const {
  const auto tail = [](const std::string& path, std::size_t bytes) {
    const std::string text = ReadFile(path);
    return "--- " + path + ", its last " + std::to_string(bytes) + " bytes:\n" +
           text.substr(text.size() > bytes ? text.size() - bytes : 0) + "\n";
  };
  std::string said = tail(data_dir_ + "/registrar.log", 4000) +
                     tail(data_dir_ + "/nginx/error.log", 2000) +
                     tail(data_dir_ + "/nginx/access.log", 3000);
  for (pid_t pid : WorkerPids()) {
    const std::string proc = "/proc/" + std::to_string(pid);
    said += "--- worker " + std::to_string(pid) +
            "'s threads (tid, name, state, wait channel):\n";
    std::error_code gone;
    for (const auto& task :
         std::filesystem::directory_iterator(proc + "/task", gone)) {
      const std::string stat = ReadFile(task.path().string() + "/stat");
      const std::size_t paren = stat.rfind(')');
      std::string name = ReadFile(task.path().string() + "/comm");
      if (!name.empty() && name.back() == '\n') name.pop_back();
      said += task.path().filename().string() + " " + name + " " +
              (paren != std::string::npos && paren + 2 < stat.size()
                   ? stat.substr(paren + 2, 1)
                   : "?") +
              " " + ReadFile(task.path().string() + "/wchan") + "\n";
    }
    if (gone) said += "(gone)\n";
  }
  return said;
}

Running* StackSuite::run_ = nullptr;

void StackSuite::StartStack(std::map<std::string, std::string> env) {
  run_ = new Running(std::move(env));
  ASSERT_TRUE(run_->stack.running()) << run_->stack.Output();
}

void StackSuite::TearDownTestSuite() {
  if (run_ == nullptr) return;
  EXPECT_TRUE(run_->stack.Stop())
      << "processes left behind, or a sanitizer report";
  delete run_;
  run_ = nullptr;
}

std::vector<std::string> MailsTo(const Sink& sink, const std::string& to) {
  std::vector<std::string> out;
  for (std::string& m : sink.Mails()) {
    if (MailHeader(m, "To") == to) out.push_back(std::move(m));
  }
  return out;
}

std::string Regctl(const Stack& stack, const std::string& args) {
  const char* build = std::getenv("REGISTRAR_BUILD");
  std::string cmd = RepoRoot() + "/" + (build != nullptr ? build : "build") +
                    "/regctl -d " + stack.data_dir() + " " + args + " 2>&1";
  if (!stack.database_url().empty()) {
    cmd = "DATABASE_URL='" + stack.database_url() + "' " + cmd;
  }
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

std::string LinkIn(const std::string& mail) {
  const std::string marker = "/activate?token=";
  for (size_t at = mail.find(marker); at != std::string::npos;
       at = mail.find(marker, at + 1)) {
    size_t start = mail.rfind("http", at);
    if (start == std::string::npos) continue;
    const std::string scheme = mail.substr(start, 8);
    if (scheme.rfind("http://", 0) != 0 && scheme.rfind("https://", 0) != 0)
      continue;
    if (mail.substr(start, at - start).find_first_of(" \t\r\n\"<>") !=
        std::string::npos)
      continue;
    size_t end = at + marker.size();
    while (end < mail.size() &&
           (std::isalnum(static_cast<unsigned char>(mail[end])) ||
            mail[end] == '_' || mail[end] == '-')) {
      end++;
    }
    if (end > at + marker.size()) return mail.substr(start, end - start);
  }
  return std::string();
}

std::string TokenIn(const std::string& mail) {
  std::string link = LinkIn(mail);
  size_t at = link.find("token=");
  return at == std::string::npos ? std::string() : link.substr(at + 6);
}

std::string CodeIn(const std::string& mail) {
  for (size_t start = 0; start < mail.size();) {
    size_t end = mail.find('\n', start);
    if (end == std::string::npos) end = mail.size();
    std::string line = mail.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() == 6 &&
        line.find_first_not_of("0123456789") == std::string::npos) {
      return line;
    }
    start = end + 1;
  }
  return std::string();
}

namespace {

// "r" is base64url of at least 16 bytes (22 characters).
bool LooksLikeReceiptText(const std::string& r) {
  if (r.size() < 22 || r.size() > 128) return false;
  return std::all_of(r.begin(), r.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

}  // namespace

std::string AcceptedReceipt(const std::string& body) {
  const std::string head = "{\"status\":\"verification_sent\",\"receipt\":\"";
  if (body.rfind(head, 0) != 0 || body.size() < head.size() + 2 ||
      body.compare(body.size() - 2, 2, "\"}") != 0) {
    return "";
  }
  const std::string r =
      body.substr(head.size(), body.size() - head.size() - 2);
  return LooksLikeReceiptText(r) ? r : "";
}

std::string SentReceipt(const std::string& location) {
  const std::string head = "/register/sent?r=";
  if (location.rfind(head, 0) != 0) return "";
  const std::string r = location.substr(head.size());
  return LooksLikeReceiptText(r) ? r : "";
}

std::string AnswerShape(const HttpResponse& r) {
  std::string receipt = AcceptedReceipt(r.body);
  if (receipt.empty()) receipt = SentReceipt(r.Header("location"));
  const auto strip = [&](std::string text) {
    if (receipt.empty()) return text;
    for (size_t at = text.find(receipt); at != std::string::npos;
         at = text.find(receipt, at + 1)) {
      text.replace(at, receipt.size(), "R");
    }
    return text;
  };
  std::string out = std::to_string(r.status) + "\n";
  for (const auto& [name, value] : r.headers) {
    if (name == "date") continue;
    out += name + ": " + strip(value) + "\n";
  }
  return out + "\n" + strip(r.body);
}

std::string MailHeader(const std::string& mail, const std::string& name) {
  std::istringstream in(mail);
  std::string line;
  const std::string prefix = name + ": ";
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;  // end of the header block
    if (line.compare(0, prefix.size(), prefix) == 0)
      return line.substr(prefix.size());
  }
  return std::string();
}

std::string SignJob(const Stack& stack, long long timestamp,
                    const std::string& body) {
  std::string secret = ReadFile(stack.job_secret_file());
  Result<JobSigner> signer = JobSigner::Create(secret);
  return signer.ok() ? signer.value().Sign(timestamp, body) : std::string();
}

}  // namespace reg::testing
