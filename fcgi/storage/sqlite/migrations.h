// The SQLite schema migrations in sql/, compiled in (tools/embed_sql.sh).
#ifndef FCGI_STORAGE_SQLITE_MIGRATIONS_H_
#define FCGI_STORAGE_SQLITE_MIGRATIONS_H_

namespace reg {

struct Migration {
  int version;       // the file's number; PRAGMA user_version after it runs
  const char* name;  // the file name, for messages
  const char* sql;
};

// In ascending version order.
extern const Migration kMigrations[];
extern const int kMigrationCount;

}  // namespace reg

#endif  // FCGI_STORAGE_SQLITE_MIGRATIONS_H_
