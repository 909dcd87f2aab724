/*
 * Shared unit-test setup: a fresh SQLite database with every migration
 * applied, opened with the plain sqlite3 API so a test can read the
 * migrated schema itself (sqlite_master, pragma_table_info).
 */
#ifndef SV_TESTS_UNIT_TESTDB_H
#define SV_TESTS_UNIT_TESTDB_H

#include <sqlite3.h>

/**
 * Migrate a new database in a fresh directory /tmp/sv-@p tag-XXXXXX, its
 * name written to @p dir (64 bytes), and open it. Fails the test on error.
 */
sqlite3 *sv_testdb_open_migrated(char *dir, const char *tag);

/** Close @p h and delete @p dir with everything in it. */
void sv_testdb_close_migrated(sqlite3 *h, const char *dir);

#endif
