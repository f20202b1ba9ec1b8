#include "storage/postgres/conninfo.h"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/handles.h"

namespace reg {
namespace {

using ConninfoOptions =
    std::unique_ptr<PQconninfoOption, Deleter<PQconninfoFree>>;

// "list" split at commas (libpq's several hosts: "h1,h2").
std::vector<std::string> SplitHosts(const std::string& list) {
  std::vector<std::string> hosts;
  size_t start = 0;
  for (;;) {
    const size_t comma = list.find(',', start);
    hosts.push_back(list.substr(start, comma - start));
    if (comma == std::string::npos) return hosts;
    start = comma + 1;
  }
}

}  // namespace

bool PgHostIsLocal(const std::string& host) {
  if (host.empty() || host[0] == '/' || host[0] == '@') return true;
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 &&
         IN6_IS_ADDR_LOOPBACK(&v6);
}

Status CheckDatabaseUrl(const std::string& conninfo) {
  char* error = nullptr;
  ConninfoOptions parsed(PQconninfoParse(conninfo.c_str(), &error));
  if (parsed == nullptr) {
    std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return Status::InvalidArgument("DATABASE_URL: " + why);
  }
  // What the string leaves out, libpq takes from its defaults (PGHOST,
  // PGSSLMODE, ...): the check reads the values it will use.
  ConninfoOptions defaults(PQconndefaults());
  std::map<std::string, std::string> value;
  for (const PQconninfoOption* o = defaults.get(); o && o->keyword; o++) {
    if (o->val != nullptr) value[o->keyword] = o->val;
  }
  for (const PQconninfoOption* o = parsed.get(); o->keyword; o++) {
    if (o->val != nullptr) value[o->keyword] = o->val;
  }
  const std::string sslmode =
      value.count("sslmode") ? value["sslmode"] : "prefer";
  if (sslmode == "verify-full" || sslmode == "verify-ca") return Status::Ok();
  std::vector<std::string> hosts = SplitHosts(value["host"]);
  for (const std::string& addr : SplitHosts(value["hostaddr"])) {
    hosts.push_back(addr);
  }
  for (const std::string& host : hosts) {
    if (PgHostIsLocal(host)) continue;
    return Status::InvalidArgument(
        "DATABASE_URL: host " + host +
        " is neither a loopback address nor a unix socket, so the "
        "connection must be TLS with the server's certificate checked: add "
        "sslmode=verify-full and sslrootcert=<the CA's PEM file> (it has "
        "sslmode=" +
        sslmode +
        (sslmode == "prefer" ? ", libpq's default: plain text whenever the "
                               "server offers no TLS"
                             : ", which checks no certificate") +
        ")");
  }
  return Status::Ok();
}

}  // namespace reg
