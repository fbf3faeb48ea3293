#ifndef DNS_STORAGE_EMBEDDED_SQL_H_
#define DNS_STORAGE_EMBEDDED_SQL_H_

#include <vector>

#include "storage/migrations.h"

namespace dns {

// Defined in the generated embedded_sql.cc (see embed_sql.cmake).
std::vector<Migration> EmbeddedMigrations();

}  // namespace dns

#endif  // DNS_STORAGE_EMBEDDED_SQL_H_
