// The SQLite schema migrations in sql/, compiled in (tools/embed_sql.sh);
// PostgreSQL's are in storage/postgres/migrations.h.
#ifndef FCGI_STORAGE_MIGRATIONS_H_
#define FCGI_STORAGE_MIGRATIONS_H_

#include "storage/migration.h"

namespace reg {

// In ascending version order; PRAGMA user_version is the last one run.
extern const Migration kMigrations[];
extern const int kMigrationCount;

}  // namespace reg

#endif  // FCGI_STORAGE_MIGRATIONS_H_
