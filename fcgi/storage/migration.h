// Migration: one numbered schema step, compiled in from sql/ by
// tools/embed_sql.sh. Each engine has its own list (storage/migrations.h for
// SQLite, storage/postgres/migrations.h).
#ifndef FCGI_STORAGE_MIGRATION_H_
#define FCGI_STORAGE_MIGRATION_H_

namespace reg {

struct Migration {
  int version;       // the file's number
  const char* name;  // the file name, for messages
  const char* sql;
};

}  // namespace reg

#endif  // FCGI_STORAGE_MIGRATION_H_
