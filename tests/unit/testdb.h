/*
 * Shared unit-test setup: a fresh SQLite database with every migration
 * applied, opened with the plain sqlite3 API so a test can read the
 * migrated schema itself (sqlite_master, pragma_table_info).
 */
#ifndef SV_TESTS_UNIT_TESTDB_H
#define SV_TESTS_UNIT_TESTDB_H

#include <sqlite3.h>

struct sv_app;

/**
 * Migrate a new database in a fresh directory /tmp/sv-@p tag-XXXXXX, its
 * name written to @p dir (64 bytes), and open it. Fails the test on error.
 */
sqlite3 *sv_testdb_open_migrated(char *dir, const char *tag);

/** Close @p h and delete @p dir with everything in it. */
void sv_testdb_close_migrated(sqlite3 *h, const char *dir);

/**
 * Open @p app on a fresh data directory /tmp/sv-@p tag-XXXXXX (its name in
 * @p dir, 64 bytes) with a new root key file and a salesvault.conf of cheap
 * hashing, no blocklist, and @p extra_conf appended (INI lines, or NULL).
 * 0, or -1 on any failure (a cmocka setup's answer).
 */
int sv_testapp_open(struct sv_app *app, char *dir, const char *tag,
                    const char *extra_conf);

/**
 * Make @p account_id a tenant admin of @p tenant_id (an assignment: the
 * grants need no account row), so an actor of that id passes the
 * permission model's checks. Fails the test on error.
 */
void sv_testapp_admin(struct sv_app *app, const char *tenant_id,
                      const char *account_id);

/** Close @p app and delete @p dir with everything in it; 0 or -1. */
int sv_testapp_close(struct sv_app *app, const char *dir);

#endif
