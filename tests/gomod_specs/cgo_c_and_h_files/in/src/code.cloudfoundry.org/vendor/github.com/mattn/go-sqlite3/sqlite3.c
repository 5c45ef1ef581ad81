#include "sqlite3.h"

int fixture_sqlite_version(void) { return 3046001; }
