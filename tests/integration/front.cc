#include "front.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "testutil.h"

namespace reg::testing {

Front::Front(const std::string& dir, const std::vector<int>& ports)
    : dir_(dir + "/front"), port_(FreePort()) {
  std::filesystem::create_directories(dir_ + "/tmp");
  std::string servers;
  for (int p : ports) {
    servers += "    server 127.0.0.1:" + std::to_string(p) + ";\n";
  }
  std::ofstream(dir_ + "/nginx.conf")
      << (geteuid() == 0 ? "user root;\n" : "") << "worker_processes 1;\n"
      << "pid " << dir_ << "/nginx.pid;\n"
      << "events { worker_connections 1024; }\n"
      << "http {\n  access_log off;\n"
      << "  client_body_temp_path " << dir_ << "/tmp;\n"
      << "  proxy_temp_path " << dir_ << "/tmp;\n"
      << "  upstream hosts {\n"
      << servers << "    keepalive 64;\n  }\n"
      << "  server {\n    listen 127.0.0.1:" << port_ << ";\n"
      << "    location / {\n      proxy_pass http://hosts;\n"
      << "      proxy_http_version 1.1;\n"
      << "      proxy_set_header Connection \"\";\n"
      << "      proxy_set_header Host $http_host;\n"
      << "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
      << "      proxy_next_upstream error timeout;\n    }\n  }\n}\n";
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    const std::string log = dir_ + "/error.log";
    execlp("nginx", "nginx", "-p", dir_.c_str(), "-e", log.c_str(), "-c",
           (dir_ + "/nginx.conf").c_str(), "-g", "daemon off;", nullptr);
    _exit(127);
  }
  up_ = WaitFor([this] { return Http("GET", Url("/healthz")).status != 0; });
}

Front::~Front() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
}

std::string Front::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

HttpResponse Front::Register(const std::string& email) const {
  return Http("POST", Url("/register"),
              R"({"email":")" + email + R"(","password":"a good password"})",
              {"Content-Type: application/json"});
}

}  // namespace reg::testing
