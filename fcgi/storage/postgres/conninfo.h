// What DATABASE_URL must say before any connection is made, read by
// libpq's own parser (PQconninfoParse: a postgresql:// URI or key=value).
#ifndef FCGI_STORAGE_POSTGRES_CONNINFO_H_
#define FCGI_STORAGE_POSTGRES_CONNINFO_H_

#include <string>

#include "base/status.h"

namespace reg {

// OK when every host "conninfo" names (host, hostaddr; a value it leaves
// out is libpq's default, PGHOST and PGSSLMODE included) is a loopback
// address (127.0.0.0/8, ::1, "localhost") or a unix socket (a path, or no
// host), or when it asks for a verified TLS connection (sslmode=verify-full
// or verify-ca). Else kInvalidArgument saying which host and why; also for
// a conninfo libpq cannot parse.
Status CheckDatabaseUrl(const std::string& conninfo);

// True for a host libpq reaches without leaving this machine: a loopback
// address or name, a unix socket directory ("/..."; "@..." abstract), "".
bool PgHostIsLocal(const std::string& host);

}  // namespace reg

#endif  // FCGI_STORAGE_POSTGRES_CONNINFO_H_
