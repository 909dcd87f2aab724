/*
 * DIR-1: every statement that touches a tenant table binds the tenant as
 * $1 and filters on it, unless it is marked platform-wide on purpose. The
 * tenant tables are read from the migrated schema (every table with a
 * tenant_id column), not kept by hand: a new one is checked from the
 * migration that adds it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db/db.h"
#include "testdb.h"

#define MAX_TABLES 64

/* Every table of the schema with a tenant_id column; returns how many. */
static size_t
read_tenant_tables(sqlite3 *h, char names[][64])
{
    sqlite3_stmt *st = NULL;
    size_t n = 0;
    int rc;

    if (sqlite3_prepare_v2(h,
                           "SELECT m.name FROM sqlite_master m "
                           "WHERE m.type = 'table' AND EXISTS (SELECT 1 FROM "
                           "pragma_table_info(m.name) c "
                           "WHERE c.name = 'tenant_id') ORDER BY m.name",
                           -1, &st, NULL) != SQLITE_OK)
        fail_msg("tenant tables: %s", sqlite3_errmsg(h));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        assert_true(n < MAX_TABLES);
        snprintf(names[n++], 64, "%s",
                 (const char *)sqlite3_column_text(st, 0));
    }
    assert_int_equal(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    return n;
}

static bool
mentions_table(const char *sql, const char *table)
{
    size_t n = strlen(table);
    for (const char *p = strstr(sql, table); p; p = strstr(p + 1, table)) {
        char before = p == sql ? ' ' : p[-1];
        char after = p[n];
        if ((before == ' ' || before == '(') &&
            (after == ' ' || after == '\0' || after == '('))
            return true;
    }
    return false;
}

static void
test_sql_tenant_statements_filter_on_tenant(void **state)
{
    (void)state;
    size_t n = 0, scoped = 0, n_tables;
    char dir[64], tenant_tables[MAX_TABLES][64];
    sqlite3 *h = sv_testdb_open_migrated(dir, "sql");

    n_tables = read_tenant_tables(h, tenant_tables);
    sv_testdb_close_migrated(h, dir);
    assert_true(n_tables > 10); /* the schema really was read */
    for (const struct sv_sql *q = __start_sv_sql; q < __stop_sv_sql; q++) {
        bool tenant_table = false;
        n++;
        for (size_t i = 0; i < n_tables; i++)
            tenant_table |= mentions_table(q->text, tenant_tables[i]);
        if (!tenant_table || (q->flags & SV_SQL_PLATFORM))
            continue;
        scoped++;
        if (strncmp(q->text, "INSERT", 6) == 0) {
            /* The tenant is the first column, so $1. */
            const char *cols = strchr(q->text, '(');
            if (cols == NULL || strncmp(cols, "(tenant_id,", 11) != 0)
                fail_msg("%s: INSERT must list tenant_id first", q->name);
        } else if (strstr(q->text, "tenant_id = $1") == NULL) {
            fail_msg("%s: no 'tenant_id = $1' filter: %s", q->name, q->text);
        }
    }
    assert_true(n > 20); /* the registry really is populated */
    assert_true(scoped > 10);
}

static void
test_sql_names_unique(void **state)
{
    (void)state;
    for (const struct sv_sql *a = __start_sv_sql; a < __stop_sv_sql; a++)
        for (const struct sv_sql *b = a + 1; b < __stop_sv_sql; b++)
            if (strcmp(a->name, b->name) == 0)
                fail_msg("duplicate statement name %s", a->name);
}

/*
 * Every statement prepares on SQLite against the migrated schema (the
 * PostgreSQL twin is in test_db): a statement only a rare path runs cannot
 * hide an error until production.
 */
static void
test_sql_every_statement_prepares_on_sqlite(void **state)
{
    char dir[64];
    sqlite3 *h = sv_testdb_open_migrated(dir, "sql");
    (void)state;

    for (const struct sv_sql *q = __start_sv_sql; q < __stop_sv_sql; q++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(h, q->text, -1, &st, NULL) != SQLITE_OK)
            fail_msg("%s: %s", q->name, sqlite3_errmsg(h));
        sqlite3_finalize(st);
    }
    sv_testdb_close_migrated(h, dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_tenant_statements_filter_on_tenant),
        cmocka_unit_test(test_sql_every_statement_prepares_on_sqlite),
        cmocka_unit_test(test_sql_names_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
