// The PostgreSQL schema migrations in sql/postgres/, compiled in
// (tools/embed_sql.sh).
#ifndef FCGI_STORAGE_POSTGRES_MIGRATIONS_H_
#define FCGI_STORAGE_POSTGRES_MIGRATIONS_H_

#include "storage/migration.h"

namespace reg {

// In ascending version order; schema_version records each one run.
extern const Migration kPgMigrations[];
extern const int kPgMigrationCount;

}  // namespace reg

#endif  // FCGI_STORAGE_POSTGRES_MIGRATIONS_H_
