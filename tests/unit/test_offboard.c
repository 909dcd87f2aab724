/*
 * Offboarding (DIR-6; people/offboard.h, identity's disabled accounts):
 * the hook table's runner (order, one report per hook, the first error
 * stops it and is returned), the table's names; then against a database:
 * a disabled account's right password is answered as a wrong one
 * (SV_E_INVALID_CREDENTIALS after a full verify), its sessions stop
 * resolving at once, and enabling it again brings its password back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "db/db.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "login/login.h"
#include "people/offboard.h"
#include "testdb.h"

/* ---- the runner ---- */

static int calls; /* which hooks ran, one bit each */

static enum sv_err
hook_a(struct sv_dbc *c, const struct sv_offboard_ctx *x, json_t *report)
{
    (void)c;
    assert_string_equal(x->successor_id, "s");
    assert_int_equal(json_object_size(report), 0); /* its own, empty */
    calls |= 1;
    json_object_set_new(report, "left", json_integer(3));
    return SV_OK;
}

static enum sv_err
hook_b(struct sv_dbc *c, const struct sv_offboard_ctx *x, json_t *report)
{
    (void)c;
    (void)x;
    calls |= 2;
    json_object_set_new(report, "passed_on", json_integer(1));
    return SV_OK;
}

static enum sv_err
hook_refuses(struct sv_dbc *c, const struct sv_offboard_ctx *x, json_t *report)
{
    (void)c;
    (void)x;
    calls |= 4;
    json_object_set_new(report, "half", json_true()); /* dropped */
    return SV_E_CONFLICT;
}

static const struct sv_offboard_ctx ctx = {"t", "a", "s", NULL};

static void
test_hooks_run_in_order_each_with_its_report(void **state)
{
    const struct sv_offboard_hook hooks[] = {
        {"groups", hook_a}, {"tokens", hook_b}, {NULL, NULL}};
    json_t *report = json_object();
    char *text;
    (void)state;

    calls = 0;
    assert_int_equal(sv_offboard_run_tx(NULL, hooks, &ctx, report), SV_OK);
    assert_int_equal(calls, 3);
    text = json_dumps(report, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"groups\":{\"left\":3},"
                              "\"tokens\":{\"passed_on\":1}}");
    free(text);
    json_decref(report);
}

static void
test_first_error_stops_and_is_returned(void **state)
{
    const struct sv_offboard_hook hooks[] = {{"groups", hook_a},
                                             {"files", hook_refuses},
                                             {"tokens", hook_b},
                                             {NULL, NULL}};
    json_t *report = json_object();
    (void)state;

    calls = 0;
    assert_int_equal(sv_offboard_run_tx(NULL, hooks, &ctx, report),
                     SV_E_CONFLICT);
    assert_int_equal(calls, 1 | 4); /* tokens never ran */
    assert_null(json_object_get(report, "files"));
    json_decref(report);
}

static void
test_table_names(void **state)
{
    (void)state;
    for (const struct sv_offboard_hook *h = sv_offboard_hooks; h->name; h++) {
        assert_non_null(h->fn);
        assert_true(strlen(h->name) > 0);
        assert_int_equal(strspn(h->name, "abcdefghijklmnopqrstuvwxyz_"),
                         strlen(h->name));
        for (const struct sv_offboard_hook *o = h + 1; o->name; o++)
            assert_string_not_equal(h->name, o->name);
    }
}

/* ---- a disabled account signs in as a wrong password does ---- */

static struct sv_app app;
static char dir[64];
static struct sv_tenant t1;
static struct sv_account wei;
static const char *const PW = "Hq3@wTz8nLc5";
static const struct sv_actor admin = {"01900000-0000-7000-8000-0000000000e1",
                                      "boss", "127.0.0.1", "unit"};

static enum sv_err
tenant_tx(struct sv_dbc *c, void *cls)
{
    return sv_tenant_create_tx(c, app.kr, cls, "test");
}

static int
setup(void **state)
{
    char hash[SV_HASH_LEN];
    (void)state;
    if (sv_testapp_open(&app, dir, "offboard",
                        "[auth]\ncaptcha_after = 1000\nlock_after = 1000\n") !=
        0)
        return -1;
    snprintf(t1.slug, sizeof t1.slug, "acme");
    snprintf(t1.name, sizeof t1.name, "Acme");
    if (sv_db_run_tx(app.db, "t", tenant_tx, &t1) != SV_OK ||
        sv_password_hash(&app.pw, PW, strlen(PW), hash) != SV_OK ||
        sv_account_create(&app, t1.id, "wei", SV_ROLE_MEMBER, NULL, hash,
                          &admin, &wei) != SV_OK)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    return sv_testapp_close(&app, dir);
}

/* One password sign-in of wei: its result, and the session token. */
static enum sv_err
sign_in(const char *pw, char token[SV_TOKEN_LEN + 1])
{
    struct sv_login l;
    int64_t retry = 0;
    enum sv_err rc;

    memset(&l, 0, sizeof l);
    l.app = &app;
    l.tenant_slug = "acme";
    l.username = "wei";
    l.ip = "127.0.0.1";
    l.user_agent = "unit";
    l.client.kind = SV_CLIENT_API;
    l.client.ip = l.ip;
    l.client.user_agent = l.user_agent;
    assert_int_equal(sv_login_init(&l, pw, strlen(pw)), SV_OK);
    rc = sv_login_lookup(&app, &l);
    if (rc == SV_OK)
        rc = sv_login_gate(&l, &retry);
    assert_false(l.captcha_due);
    assert_false(l.must_wait);
    if (rc == SV_OK) {
        sv_login_work(&app, &l);
        rc = sv_login_finish(&app, &l);
    }
    sv_login_release(&app, &l);
    if (rc == SV_OK && token != NULL)
        snprintf(token, SV_TOKEN_LEN + 1, "%s", l.out.token);
    sv_login_free(&l);
    return rc;
}

struct able {
    bool disable;
    int64_t sessions;
};

static enum sv_err
able_tx(struct sv_dbc *c, void *cls)
{
    struct able *x = cls;
    return x->disable ? sv_account_disable_tx(c, t1.id, wei.id, &x->sessions)
                      : sv_account_enable_tx(c, t1.id, wei.id, NULL);
}

static void
set_disabled(bool disable, int64_t *sessions)
{
    struct able x = {disable, 0};
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, able_tx, &x),
                     SV_OK);
    if (sessions != NULL)
        *sessions = x.sessions;
}

static void
test_disabled_account_answers_as_a_wrong_password(void **state)
{
    char token[SV_TOKEN_LEN + 1], token2[SV_TOKEN_LEN + 1];
    struct sv_session s;
    struct sv_account a;
    int64_t sessions = -1;
    (void)state;

    assert_int_equal(sign_in(PW, token), SV_OK);
    assert_int_equal(sign_in(PW, token2), SV_OK);
    assert_int_equal(sv_session_resolve(&app, token, &s), SV_OK);
    assert_int_equal(sign_in("Wrong-password-1", NULL),
                     SV_E_INVALID_CREDENTIALS);

    set_disabled(true, &sessions);
    assert_int_equal(sessions, 2);
    assert_int_equal(sv_account_get(&app, t1.id, wei.id, &a), SV_OK);
    assert_true(a.disabled);
    /* Both sessions stop at once; the right password is a wrong one. */
    assert_int_equal(sv_session_resolve(&app, token, &s), SV_E_UNAUTHENTICATED);
    assert_int_equal(sv_session_resolve(&app, token2, &s),
                     SV_E_UNAUTHENTICATED);
    assert_int_equal(sign_in(PW, NULL), SV_E_INVALID_CREDENTIALS);
    assert_int_equal(sign_in("Wrong-password-2", NULL),
                     SV_E_INVALID_CREDENTIALS);
    /* Disabling twice changes nothing more. */
    set_disabled(true, &sessions);
    assert_int_equal(sessions, 0);

    /* Enabled again: its own password, a new session (the old stay gone). */
    set_disabled(false, NULL);
    assert_int_equal(sv_account_get(&app, t1.id, wei.id, &a), SV_OK);
    assert_false(a.disabled);
    assert_int_equal(sign_in(PW, token2), SV_OK);
    assert_int_equal(sv_session_resolve(&app, token2, &s), SV_OK);
    assert_int_equal(sv_session_resolve(&app, token, &s), SV_E_UNAUTHENTICATED);
    sodium_memzero(token, sizeof token);
    sodium_memzero(token2, sizeof token2);
}

int
main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_hooks_run_in_order_each_with_its_report),
        cmocka_unit_test(test_first_error_stops_and_is_returned),
        cmocka_unit_test(test_table_names),
    };
    const struct CMUnitTest db[] = {
        cmocka_unit_test(test_disabled_account_answers_as_a_wrong_password),
    };
    int failed;

    if (sodium_init() < 0)
        return 1;
    failed = cmocka_run_group_tests_name("offboard", pure, NULL, NULL);
    return failed +
           cmocka_run_group_tests_name("offboard_db", db, setup, teardown);
}
