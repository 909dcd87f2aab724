/*
 * Failure counters (AUTH-4) and stuffing detection (AUTH-5) against a real
 * SQLite database: decay over time, the CAPTCHA and lock thresholds, the
 * growing back-off, failures behind an unsolved CAPTCHA that never lock,
 * the name's slots for checks in flight, names counted case-insensitively
 * whether or not the account exists, and a source blacklisted after many
 * distinct names (a higher bar for tenants that do not exist).
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

#include "app.h"
#include "core/json.h"
#include "core/util.h"
#include "db/db.h"
#include "identity/identity.h"
#include "risk/risk.h"
#include "testdb.h"

static struct sv_app app;
static char dir[64];

static int
setup(void **state)
{
    (void)state;
    return sv_testapp_open(
        &app, dir, "guard",
        "[auth]\ncaptcha_after = 3\nlock_after = 5\n"
        "failure_decay_s = 60\nlock_base_s = 10\nlock_max_s = 35\n"
        "stuffing_accounts = 3\nstuffing_window_s = 600\n"
        "platform_stuffing_accounts = 4\n");
}

static int
teardown(void **state)
{
    (void)state;
    return sv_testapp_close(&app, dir);
}

struct op {
    struct sv_guard *g;
    int64_t now;
    enum { OP_FAIL, OP_READ, OP_SESSION, OP_CLAIM, OP_RELEASE } what;
    enum sv_fail_kind kind;
    const char *slug, *user; /* session: what the login typed */
    bool claimed;
};

static enum sv_err
op_tx(struct sv_dbc *c, void *cls)
{
    struct op *o = cls;
    struct sv_actor actor = {NULL, "test", o->g->ip, "unit"};
    enum sv_err rc = sv_db_scope_platform(c);
    if (rc != SV_OK)
        return rc;
    switch (o->what) {
    case OP_FAIL:
        return sv_guard_fail_tx(c, &app, o->g, o->kind, NULL, &actor, o->now);
    case OP_READ:
        return sv_guard_read(c, &app, o->g, o->now);
    case OP_CLAIM:
        return sv_guard_claim_tx(c, &app, o->g, o->now, &o->claimed);
    case OP_RELEASE:
        return sv_guard_release_tx(c, o->g);
    case OP_SESSION:
        break;
    }
    return sv_guard_session_tx(c, &app, o->slug, o->user);
}

static void
fail_kind_at(struct sv_guard *g, enum sv_fail_kind kind, int64_t now)
{
    struct op o = {g, now, OP_FAIL, kind, NULL, NULL, false};
    assert_int_equal(sv_db_run_tx(app.db, "t", op_tx, &o), SV_OK);
}

static void
fail_at(struct sv_guard *g, int64_t now)
{
    fail_kind_at(g, SV_FAIL_CHECK, now);
}

static void
read_at(struct sv_guard *g, int64_t now)
{
    struct op o = {g, now, OP_READ, SV_FAIL_CHECK, NULL, NULL, false};
    assert_int_equal(sv_db_run_tx(app.db, "t", op_tx, &o), SV_OK);
}

static bool
claim_at(struct sv_guard *g, int64_t now)
{
    struct op o = {g, now, OP_CLAIM, SV_FAIL_CHECK, NULL, NULL, false};
    assert_int_equal(sv_db_run_tx(app.db, "t", op_tx, &o), SV_OK);
    return o.claimed;
}

static void
release(struct sv_guard *g)
{
    struct op o = {g, 0, OP_RELEASE, SV_FAIL_CHECK, NULL, NULL, false};
    assert_int_equal(sv_db_run_tx(app.db, "t", op_tx, &o), SV_OK);
    g->claimed = false;
}

/* A login that ended in a session. */
static void
session(struct sv_guard *g, const char *slug, const char *user)
{
    struct op o = {g, 0, OP_SESSION, SV_FAIL_CHECK, slug, user, false};
    assert_int_equal(sv_db_run_tx(app.db, "t", op_tx, &o), SV_OK);
}

static const int64_t T0 = 1800000000000LL;

static void
test_counts_and_decays(void **state)
{
    struct sv_guard g;
    (void)state;
    sv_guard_init(&app, &g, "acme", "alice", "10.0.0.1", "");
    fail_at(&g, T0);
    fail_at(&g, T0);
    read_at(&g, T0);
    assert_int_equal(g.name_score, 2000);
    assert_int_equal(g.ip_score, 2000);
    assert_int_equal(g.device_score, 0); /* no device: never counted */
    assert_false(sv_guard_captcha_due(&app, &g));
    /* One failure decays per 60 s; halfway is half a failure. */
    read_at(&g, T0 + 30000);
    assert_int_equal(g.name_score, 1500);
    read_at(&g, T0 + 120000);
    assert_int_equal(g.name_score, 0);
    /* A failure after the decay counts from what is left. */
    fail_at(&g, T0 + 90000);
    read_at(&g, T0 + 90000);
    assert_int_equal(g.name_score, 1500);
    session(&g, "acme", "alice");
    read_at(&g, T0 + 90000);
    assert_int_equal(g.name_score, 0);  /* a session forgets the name's */
    assert_int_equal(g.ip_score, 1500); /* not the source's */
}

static void
test_captcha_then_lock_with_backoff(void **state)
{
    struct sv_guard g;
    (void)state;
    sv_guard_init(&app, &g, "acme", "bob", "10.0.0.2", "dev-b");
    for (int i = 0; i < 3; i++)
        fail_at(&g, T0);
    read_at(&g, T0);
    assert_true(sv_guard_captcha_due(&app, &g));
    assert_int_equal(g.locked_until, 0);
    fail_at(&g, T0);
    fail_at(&g, T0); /* the 5th: locked for lock_base_s */
    read_at(&g, T0);
    assert_int_equal(g.locked_until, T0 + 10000);
    /* After the lock, the next failure locks again for twice as long. */
    fail_at(&g, T0 + 10000);
    read_at(&g, T0 + 10000);
    assert_int_equal(g.locked_until, T0 + 10000 + 20000);
    /* ... and is capped at lock_max_s. */
    fail_at(&g, T0 + 30000);
    read_at(&g, T0 + 30000);
    assert_int_equal(g.locked_until, T0 + 30000 + 35000);
    session(&g, "ACME", "Bob");
    read_at(&g, T0 + 30000);
    assert_int_equal(g.locked_until, 0);
}

/* Wrong CAPTCHA answers and source-only failures never lock a name. */
static void
test_soft_failures_never_lock(void **state)
{
    struct sv_guard g;
    (void)state;
    sv_guard_init(&app, &g, "acme", "carol", "10.0.0.3", "");
    for (int i = 0; i < 3; i++)
        fail_at(&g, T0);
    for (int i = 0; i < 20; i++)
        fail_kind_at(&g, SV_FAIL_SOFT, T0);
    for (int i = 0; i < 20; i++)
        fail_kind_at(&g, SV_FAIL_SOURCE, T0);
    read_at(&g, T0);
    assert_int_equal(g.locked_until, 0);
    assert_int_equal(g.name_hard, 3000);
    assert_int_equal(g.name_score, 23000); /* a CAPTCHA stays due */
    assert_int_equal(g.ip_score, 43000);
    assert_true(sv_guard_captcha_due(&app, &g));
    /* Checked passwords (behind solved CAPTCHAs) do lock, at lock_after. */
    fail_at(&g, T0);
    read_at(&g, T0);
    assert_int_equal(g.locked_until, 0);
    fail_at(&g, T0);
    read_at(&g, T0);
    assert_int_equal(g.locked_until, T0 + 10000);
}

/* At most captcha_after checks of a name in flight, counting failures. */
static void
test_slots_in_flight(void **state)
{
    struct sv_guard g[4];
    (void)state;
    for (int i = 0; i < 4; i++)
        sv_guard_init(&app, &g[i], "acme", "dave", "10.0.0.4", "");
    assert_true(claim_at(&g[0], T0));
    assert_true(claim_at(&g[1], T0));
    assert_true(claim_at(&g[2], T0));
    assert_false(claim_at(&g[3], T0)); /* three in flight: wait */
    release(&g[0]);                    /* a right password */
    assert_true(claim_at(&g[3], T0));
    release(&g[1]); /* a wrong one: its failure takes the slot's place */
    fail_at(&g[1], T0);
    assert_false(claim_at(&g[1], T0));
    /* A node that died holding slots: they end with their lease. */
    assert_true(claim_at(&g[0], T0 + 31000));
    assert_true(claim_at(&g[1], T0 + 31000));
    /* the failure has decayed to 0.48 by then: room for a third */
    assert_true(claim_at(&g[2], T0 + 31000));
    assert_false(claim_at(&g[3], T0 + 31000));
    /* In memory, per source, per node. */
    assert_true(sv_guard_source_enter("10.0.0.4", 2));
    assert_true(sv_guard_source_enter("10.0.0.4", 2));
    assert_false(sv_guard_source_enter("10.0.0.4", 2));
    assert_true(sv_guard_source_enter("10.0.0.5", 2));
    sv_guard_source_leave("10.0.0.4");
    assert_true(sv_guard_source_enter("10.0.0.4", 2));
    sv_guard_source_leave("10.0.0.4");
    sv_guard_source_leave("10.0.0.4");
    sv_guard_source_leave("10.0.0.5");
}

static void
test_fingerprint(void **state)
{
    struct sv_guard a, b;
    char fa[SV_GUARD_FP_LEN], fb[SV_GUARD_FP_LEN];
    (void)state;
    sv_guard_init(&app, &a, "acme", "Hunter2-Secret", "", "");
    sv_guard_init_key(&app, &b, a.name_key, "10.0.0.6", "");
    sv_guard_fingerprint(&a, fa);
    sv_guard_fingerprint(&b, fb);
    assert_string_equal(fa, fb);
    assert_int_equal(strlen(fa), SV_GUARD_FP_LEN - 1);
    assert_int_equal(strncmp(fa, "unknown:", 8), 0);
    assert_null(strstr(fa, "Hunter2"));
}

static void
test_names_case_insensitive_exist_or_not(void **state)
{
    struct sv_guard a, b, c;
    (void)state;
    /* No account "nobody" exists: it counts exactly like any name. */
    sv_guard_init(&app, &a, "Acme", "NoBody", "", "");
    sv_guard_init(&app, &b, "acme", "nobody", "", "");
    sv_guard_init(&app, &c, "acme2", "nobody", "", "");
    assert_memory_equal(a.name_key, b.name_key, 32);
    assert_memory_not_equal(a.name_key, c.name_key, 32);
    fail_at(&a, T0);
    read_at(&b, T0);
    assert_int_equal(b.name_score, 1000);
    read_at(&c, T0);
    assert_int_equal(c.name_score, 0);
}

struct bl {
    const char *ip;
    bool hit;
};

static enum sv_err
bl_tx(struct sv_dbc *c, void *cls)
{
    struct bl *b = cls;
    enum sv_err rc = sv_db_scope_platform(c);
    return rc != SV_OK
               ? rc
               : sv_guard_blacklisted(c, NULL, b->ip, "", sv_now_ms(), &b->hit);
}

/* Tenants that do not exist: platform_stuffing_accounts (4), not 3. */
static void
test_stuffing_blacklists_source(void **state)
{
    const char *names[] = {"u1", "u2", "u2", "u3", "u4"};
    struct bl b = {"10.9.9.9", false};
    (void)state;
    for (int i = 0; i < 4; i++) { /* u1, u2, u2, u3: three distinct names */
        struct sv_guard g;
        sv_guard_init(&app, &g, "acme", names[i], "10.9.9.9", "");
        fail_at(&g, sv_now_ms());
    }
    assert_int_equal(sv_db_run_ro(app.db, bl_tx, &b), SV_OK);
    assert_false(b.hit);
    struct sv_guard g;
    sv_guard_init(&app, &g, "acme", names[4], "10.9.9.9", "");
    fail_at(&g, sv_now_ms()); /* the fourth distinct name */
    assert_int_equal(sv_db_run_ro(app.db, bl_tx, &b), SV_OK);
    assert_true(b.hit);
    b.ip = "10.9.9.8";
    b.hit = false;
    assert_int_equal(sv_db_run_ro(app.db, bl_tx, &b), SV_OK);
    assert_false(b.hit);
}

static void
test_ipv6_counts_per_64(void **state)
{
    char a[64], b[64], c[64], d[64];
    (void)state;
    sv_guard_source("2001:db8:1:2:aaaa::1", a);
    sv_guard_source("2001:db8:1:2:bbbb:cccc:dddd:eeee", b);
    sv_guard_source("2001:db8:1:3::1", c);
    sv_guard_source("::ffff:192.0.2.7", d);
    assert_string_equal(a, "2001:db8:1:2::/64");
    assert_string_equal(a, b); /* one host, one /64 */
    assert_string_not_equal(a, c);
    assert_string_equal(d, "192.0.2.7");
    struct sv_guard g1, g2;
    sv_guard_init(&app, &g1, "acme", "x1", "2001:db8:9:9::1", "");
    sv_guard_init(&app, &g2, "acme", "x2", "2001:db8:9:9::2", "");
    assert_memory_equal(g1.ip_key, g2.ip_key, 32);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_decays),
        cmocka_unit_test(test_captcha_then_lock_with_backoff),
        cmocka_unit_test(test_soft_failures_never_lock),
        cmocka_unit_test(test_slots_in_flight),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_names_case_insensitive_exist_or_not),
        cmocka_unit_test(test_stuffing_blacklists_source),
        cmocka_unit_test(test_ipv6_counts_per_64),
    };
    if (sodium_init() < 0)
        return 1;
    sv_json_init();
    return cmocka_run_group_tests(tests, setup, teardown);
}
