// PgServer: a throwaway PostgreSQL 15 cluster for tests (Debian's
// postgresql-15). initdb into a temp directory, started on a free
// 127.0.0.1 port with its unix socket in that directory, stopped and
// removed by the destructor: no process or file is left behind. initdb
// refuses to run as root, so as root the cluster runs as the "postgres"
// user the package creates.
#ifndef TESTS_PG_SERVER_H_
#define TESTS_PG_SERVER_H_

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>

#include "testutil.h"

namespace reg {

// What a test adds to the cluster: "-c name=value" settings and pg_hba.conf
// lines (e.g. TLS on another address: "-c ssl=on -c listen_addresses=...").
struct PgServerOptions {
  std::string settings;
  std::string hba_lines;
};

class PgServer {
 public:
  explicit PgServer(PgServerOptions options = {})
      : port_(FreePort()), options_(std::move(options)) {
    if (dir_.path().empty()) return;
    if (geteuid() == 0) {
      as_ = "runuser -u postgres -- ";
      if (Run("chown postgres: " + dir_.path()) != 0) return;
    }
    if (Run(as_ + kBin + "initdb --no-sync --auth=trust --username=registrar" +
            " --encoding=UTF8 --locale=C.UTF-8 -D " + data() + " > " +
            dir_.File("initdb.log") + " 2>&1") != 0) {
      return;
    }
    if (!options_.hba_lines.empty()) {
      std::ofstream(data() + "/pg_hba.conf", std::ios::app)
          << options_.hba_lines << "\n";
    }
    ok_ = Start();
  }
  ~PgServer() { Stop(); }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // One server for the whole test binary, started on first use and
  // stopped at exit. Suites keep apart by database (CreateDatabase).
  static PgServer& Shared() {
    static PgServer server;
    return server;
  }

  // False if initdb or the start failed (see log()).
  bool ok() const { return ok_; }
  // Creates database "name" (owned by "registrar"); its URL, or "" if
  // createdb failed.
  std::string CreateDatabase(const std::string& name) {
    if (Run(as_ + kBin + "createdb -h 127.0.0.1 -p " + std::to_string(port_) +
            " -U registrar " + name) != 0) {
      return "";
    }
    return "postgresql://registrar@127.0.0.1:" + std::to_string(port_) + "/" +
           name;
  }
  int port() const { return port_; }
  std::string log() const { return dir_.File("server.log"); }

  // Starts the stopped server (on the same port); waits until it accepts.
  // True at once if it runs.
  bool Start() {
    if (running_) return true;
    // Two test hosts of 2 workers hold about 100 connections at once.
    const std::string opts = "-p " + std::to_string(port_) + " -k " +
                             dir_.path() +
                             " -c listen_addresses=127.0.0.1"
                             " -c max_connections=300"
                             // Nothing here outlives a power loss: no
                             // flush makes a stop or a checkpoint wait.
                             " -c fsync=off " +
                             options_.settings;
    running_ = Run(as_ + kBin + "pg_ctl -w -t 60 -D " + data() + " -l " +
                   log() + " -o '" + opts + "' start > /dev/null") == 0;
    return running_;
  }
  // Fast shutdown: open connections are cut, as in a crash of the link.
  bool Stop() {
    if (!running_) return true;
    running_ = Run(as_ + kBin + "pg_ctl -w -t 60 -m fast -D " + data() +
                   " stop > /dev/null") != 0;
    if (running_) Run("tail -n 20 " + log() + " >&2");
    return !running_;
  }

 private:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";
  static int Run(const std::string& command) {
    return std::system(command.c_str());
  }
  std::string data() const { return dir_.File("data"); }

  TempDir dir_;
  int port_;
  PgServerOptions options_;
  std::string as_;  // "runuser -u postgres -- " when run as root
  bool running_ = false;
  bool ok_ = false;
};

}  // namespace reg

#endif  // TESTS_PG_SERVER_H_
