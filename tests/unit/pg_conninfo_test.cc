#include "storage/postgres/conninfo.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace reg {
namespace {

// The reason CheckDatabaseUrl gives, "" when it accepts.
std::string Refusal(const std::string& conninfo) {
  Status s = CheckDatabaseUrl(conninfo);
  if (s.ok()) return "";
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.message();
  return s.message();
}

TEST(PgConninfo, LoopbackAndUnixSocketsNeedNoTls) {
  for (const char* local :
       {"postgresql://registrar@127.0.0.1:5432/db",
        "postgresql://registrar@127.8.9.10/db", "postgresql://localhost/db",
        "postgresql://registrar@[::1]:5432/db", "postgresql:///db",
        "postgresql:///db?host=/run/postgresql", "dbname=registrar",
        "host=/var/run/postgresql dbname=registrar",
        "host=127.0.0.1,localhost dbname=registrar",
        "hostaddr=127.0.0.1 dbname=registrar"}) {
    EXPECT_EQ(Refusal(local), "") << local;
  }
}

TEST(PgConninfo, ARemoteHostNeedsAVerifiedConnection) {
  const std::string why = Refusal("postgresql://registrar@db.internal/db");
  EXPECT_NE(why.find("DATABASE_URL: host db.internal is neither a loopback "
                     "address nor a unix socket"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("sslmode=verify-full"), std::string::npos) << why;
  EXPECT_NE(why.find("sslmode=prefer"), std::string::npos) << why;
  EXPECT_NE(Refusal("host=10.0.0.5 dbname=x sslmode=require")
                .find("sslmode=require, which checks no certificate"),
            std::string::npos);
  for (const char* remote :
       {"host=192.0.2.1 dbname=x", "host=128.0.0.1 dbname=x",
        "postgresql://[2001:db8::1]/db", "hostaddr=192.0.2.1 dbname=x",
        "host=127.0.0.1,db2.internal dbname=x",
        "postgresql://db.internal/db?sslmode=disable",
        "postgresql://db.internal/db?sslmode=allow"}) {
    EXPECT_NE(Refusal(remote), "") << remote;
  }
}

TEST(PgConninfo, VerifyFullOrVerifyCaIsAccepted) {
  EXPECT_EQ(Refusal("postgresql://registrar@db.internal/db"
                    "?sslmode=verify-full&sslrootcert=/etc/registrar/ca.pem"),
            "");
  EXPECT_EQ(Refusal("host=10.0.0.5 dbname=x sslmode=verify-ca"), "");
}

TEST(PgConninfo, ValuesLeftOutComeFromLibpqsDefaults) {
  setenv("PGHOST", "db.internal", 1);
  EXPECT_NE(Refusal("dbname=registrar"), "");
  setenv("PGSSLMODE", "verify-full", 1);
  EXPECT_EQ(Refusal("dbname=registrar"), "");
  unsetenv("PGHOST");
  unsetenv("PGSSLMODE");
}

TEST(PgConninfo, AMalformedConninfoIsRefused) {
  EXPECT_NE(Refusal("host=db.internal nosuchoption=1")
                .find("DATABASE_URL: invalid connection option"),
            std::string::npos);
  EXPECT_NE(Refusal("postgresql://db.internal/db?sslmode"), "");
}

TEST(PgConninfo, LocalHosts) {
  EXPECT_TRUE(PgHostIsLocal(""));
  EXPECT_TRUE(PgHostIsLocal("/tmp"));
  EXPECT_TRUE(PgHostIsLocal("@abstract"));
  EXPECT_TRUE(PgHostIsLocal("0:0:0:0:0:0:0:1"));
  EXPECT_FALSE(PgHostIsLocal("localhost.example.com"));
  EXPECT_FALSE(PgHostIsLocal("::2"));
  EXPECT_FALSE(PgHostIsLocal("10.0.0.1"));
}

}  // namespace
}  // namespace reg
