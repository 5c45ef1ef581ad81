int fixture_sqlite_version(void);
