/*
 * Failure counters (AUTH-4) and stuffing detection (AUTH-5) against a real
 * SQLite database: decay over time, the CAPTCHA and lock thresholds, the
 * growing back-off, names counted case-insensitively whether or not the
 * account exists, and a source blacklisted after many distinct names.
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
#include "identity/guard.h"
#include "identity/identity.h"

static struct sv_app app;
static char dir[64];

static int
setup(void **state)
{
    char cmd[512], path[128], err[256];
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sv-guard-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(cmd, sizeof cmd,
             "printf '[password]\\nopslimit = 1\\nmemlimit_kib = 8192\\n"
             "blocklist =\\n[auth]\\ncaptcha_after = 3\\nlock_after = 5\\n"
             "failure_decay_s = 60\\nlock_base_s = 10\\nlock_max_s = 35\\n"
             "stuffing_accounts = 3\\nstuffing_window_s = 600\\n' "
             "> %s/salesvault.conf",
             dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/root.key", dir);
    if (sv_keyring_create_file(path) != SV_OK)
        return -1;
    return sv_app_open(&app, dir, 1, err, sizeof err) == SV_OK ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[128];
    (void)state;
    sv_app_close(&app);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

struct op {
    struct sv_guard *g;
    int64_t now;
    bool fail, read;
    const char *slug, *user, *ip; /* session: what the login typed */
};

static enum sv_err
op_tx(struct sv_dbc *c, void *cls)
{
    struct op *o = cls;
    struct sv_actor actor = {NULL, "test", o->g->ip, "unit"};
    enum sv_err rc = sv_db_scope_platform(c);
    if (rc != SV_OK)
        return rc;
    if (o->fail)
        return sv_guard_fail_tx(c, &app, o->g, NULL, &actor, o->now);
    if (o->read)
        return sv_guard_read(c, &app, o->g, o->now);
    if (o->ip != NULL && (rc = sv_guard_password_ok_tx(c, o->g)) != SV_OK)
        return rc;
    return sv_guard_session_tx(c, &app, o->slug, o->user);
}

static void
fail_at(struct sv_guard *g, int64_t now)
{
    struct op o = {g, now, true, false, NULL, NULL, NULL};
    assert_int_equal(sv_db_run_tx(app.db, "t", op_tx, &o), SV_OK);
}

static void
read_at(struct sv_guard *g, int64_t now)
{
    struct op o = {g, now, false, true, NULL, NULL, NULL};
    assert_int_equal(sv_db_run_tx(app.db, "t", op_tx, &o), SV_OK);
}

/* A login that ended in a session. */
static void
session(struct sv_guard *g, const char *slug, const char *user, const char *ip)
{
    struct op o = {g, 0, false, false, slug, user, ip};
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
    session(&g, "acme", "alice", "10.0.0.1");
    read_at(&g, T0 + 90000);
    assert_int_equal(g.name_score, 0); /* a session forgets the name's */
    assert_int_equal(g.ip_score, 500); /* and refunds one attempt */
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
    session(&g, "ACME", "Bob", "10.0.0.2");
    read_at(&g, T0 + 30000);
    assert_int_equal(g.locked_until, 0);
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

static void
test_stuffing_blacklists_source(void **state)
{
    const char *names[] = {"u1", "u2", "u2", "u3"};
    struct bl b = {"10.9.9.9", false};
    (void)state;
    for (int i = 0; i < 3; i++) { /* u1, u2, u2: two distinct names */
        struct sv_guard g;
        sv_guard_init(&app, &g, "acme", names[i], "10.9.9.9", "");
        fail_at(&g, sv_now_ms());
    }
    assert_int_equal(sv_db_run_ro(app.db, bl_tx, &b), SV_OK);
    assert_false(b.hit);
    struct sv_guard g;
    sv_guard_init(&app, &g, "acme", names[3], "10.9.9.9", "");
    fail_at(&g, sv_now_ms()); /* the third distinct name */
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
        cmocka_unit_test(test_names_case_insensitive_exist_or_not),
        cmocka_unit_test(test_stuffing_blacklists_source),
        cmocka_unit_test(test_ipv6_counts_per_64),
    };
    if (sodium_init() < 0)
        return 1;
    sv_json_init();
    return cmocka_run_group_tests(tests, setup, teardown);
}
