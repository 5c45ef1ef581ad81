// Package sqlite3 is a fixture stand-in for a cgo database driver.
package sqlite3

/*
#include "sqlite3.h"
*/
import "C"

// Version reports the C library's version.
func Version() int { return int(C.fixture_sqlite_version()) }
