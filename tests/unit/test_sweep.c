/*
 * The sweep of sign-in rows past their use (issue 14, part 4): approvals,
 * signed-request nonces, reset codes and sessions ended a week ago go, in
 * every tenant, those of accounts that never come back too; what is still
 * in use stays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "app.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "testdb.h"

static struct sv_app app;
static char dir[64];
static struct sv_tenant t1, t2;
static struct sv_account a1, a2;
static const struct sv_actor admin = {"01900000-0000-7000-8000-0000000000e1",
                                      "boss", "127.0.0.1", "unit"};

static enum sv_err
tenant_tx(struct sv_dbc *c, void *cls)
{
    return sv_tenant_create_tx(c, app.kr, cls, "test");
}

static int
make(struct sv_tenant *t, const char *slug, struct sv_account *a)
{
    static const char *const PW = "Hq3@wTz8nLc5";
    char hash[SV_HASH_LEN];

    snprintf(t->slug, sizeof t->slug, "%s", slug);
    snprintf(t->name, sizeof t->name, "%s", slug);
    if (sv_db_run_tx(app.db, "t", tenant_tx, t) != SV_OK ||
        sv_password_hash(&app.pw, PW, strlen(PW), hash) != SV_OK ||
        sv_account_create(&app, t->id, "wei", SV_ROLE_MEMBER, NULL, hash,
                          &admin, a) != SV_OK)
        return -1;
    return 0;
}

static int
setup(void **state)
{
    (void)state;
    if (sv_testapp_open(&app, dir, "sweep", NULL) != 0)
        return -1;
    return make(&t1, "acme", &a1) || make(&t2, "bolt", &a2) ? -1 : 0;
}

static int
teardown(void **state)
{
    (void)state;
    return sv_testapp_close(&app, dir);
}

/* Run @p sql on the data directory's database, with ?1 tenant, ?2
 * account, ?3 now (ms). */
static void
run(const char *sql, const char *tenant, const char *account, int64_t now)
{
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *st;

    snprintf(path, sizeof path, "%s/salesvault.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static int64_t
count(const char *table, const char *tenant)
{
    char path[128], sql[128];
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t n;

    snprintf(path, sizeof path, "%s/salesvault.db", dir);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE tenant_id = ?1",
             table);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, tenant, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* In tenant @p t, for account @p a: an old and a fresh row of each kind. */
static void
plant(const struct sv_tenant *t, const struct sv_account *a, int64_t now)
{
    static const char *const APPROVAL =
        "INSERT INTO approvals (id, tenant_id, account_id, challenge_id, "
        "kind, number, choices, state, created_at, expires_at) VALUES "
        "(?1 || ?2 || 'old', ?1, ?2, 'c1', 'qr', 7, '[7]', 'pending', "
        "?3 - 10800000, ?3 - 10680000), "
        "(?1 || ?2 || 'new', ?1, ?2, 'c2', 'qr', 7, '[7]', 'pending', "
        "?3 - 1000, ?3 + 119000)";
    static const char *const NONCE =
        "INSERT INTO device_nonces (tenant_id, device_id, nonce, expires_at) "
        "VALUES (?1, ?2, 'gone', ?3 - 1), (?1, ?2, 'kept', ?3 + 300000)";
    static const char *const RESET =
        "INSERT INTO reset_codes (id, tenant_id, account_id, code_hash, "
        "created_at, expires_at) VALUES "
        "(?1 || ?2 || 'old', ?1, ?2, x'00', ?3 - 90000000, ?3 - 89100000), "
        "(?1 || ?2 || 'new', ?1, ?2, x'00', ?3 - 3600000, ?3 - 2700000)";

    /* Sessions: expired 8 days ago, revoked 8 days ago (gone); expired a
     * day ago, live (kept). */
    static const char *const SESSION =
        "INSERT INTO sessions (id, tenant_id, account_id, token_hash, "
        "created_at, last_seen_at, expires_at, revoked_at) VALUES "
        "(?1 || ?2 || 'x8', ?1, ?2, randomblob(32), ?3 - 900000000, "
        "?3 - 900000000, ?3 - 691200000, NULL), "
        "(?1 || ?2 || 'r8', ?1, ?2, randomblob(32), ?3 - 900000000, "
        "?3 - 900000000, ?3 + 86400000, ?3 - 691200000), "
        "(?1 || ?2 || 'x1', ?1, ?2, randomblob(32), ?3 - 200000000, "
        "?3 - 200000000, ?3 - 86400000, NULL), "
        "(?1 || ?2 || 'ok', ?1, ?2, randomblob(32), ?3 - 1000, ?3 - 1000, "
        "?3 + 86400000, NULL)";

    run(APPROVAL, t->id, a->id, now);
    run(NONCE, t->id, a->id, now);
    run(RESET, t->id, a->id, now);
    run(SESSION, t->id, a->id, now);
}

static void
test_sweep_every_tenant_keeps_the_fresh(void **state)
{
    int64_t now = sv_now_ms();
    (void)state;

    plant(&t1, &a1, now);
    plant(&t2, &a2, now);
    assert_int_equal(count("approvals", t1.id), 2);
    assert_int_equal(count("device_nonces", t2.id), 2);
    sv_app_sweep_expired(&app);
    for (int i = 0; i < 2; i++) {
        const char *t = i == 0 ? t1.id : t2.id;
        /* An approval two hours past expiry goes; one pending stays. */
        assert_int_equal(count("approvals", t), 1);
        /* A nonce past the replay window goes. */
        assert_int_equal(count("device_nonces", t), 1);
        /* A reset code of yesterday goes; today's (expired or not, still
         * counted against the day's requests) stays. */
        assert_int_equal(count("reset_codes", t), 1);
        /* Sessions ended a week ago go; one ended yesterday and the live
         * one stay. */
        assert_int_equal(count("sessions", t), 2);
    }
    /* Twice is the same as once. */
    sv_app_sweep_expired(&app);
    assert_int_equal(count("approvals", t1.id), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep_every_tenant_keeps_the_fresh,
                                        setup, teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
