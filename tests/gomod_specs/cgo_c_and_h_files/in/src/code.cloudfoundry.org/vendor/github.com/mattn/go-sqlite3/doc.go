// Without cgo the package still compiles, but cannot open databases.
package sqlite3
