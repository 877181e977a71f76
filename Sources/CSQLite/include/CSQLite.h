#ifndef CSQLITE_H
#define CSQLITE_H
// System SQLite (libsqlite3-dev) for the records database. SQLITE_TRANSIENT is a macro
// casting -1 to a function pointer, which Swift cannot import: wrap the binds that use it.
#include <sqlite3.h>

static inline int csqlite_bind_text(sqlite3_stmt *s, int i, const char *text, int bytes) {
    return sqlite3_bind_text(s, i, text, bytes, SQLITE_TRANSIENT);
}
#endif
