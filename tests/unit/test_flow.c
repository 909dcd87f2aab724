/*
 * The CAPTCHA step of the login flow (AUTH-4) against a real SQLite
 * database: a challenge asks for a CAPTCHA, only the right answer passes
 * (case and look-alikes folded), a wrong one is counted and needs a new
 * image, the token binds the challenge to its client, and a solved
 * challenge cannot be used twice. (The API suites cannot read a CAPTCHA;
 * this is where the solved path is proven.)
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
#include "auth/captcha.h"
#include "core/json.h"
#include "login/login.h"
#include "identity/identity.h"
#include "testdb.h"

static struct sv_app app;
static char dir[64];

static int
setup(void **state)
{
    (void)state;
    return sv_testapp_open(&app, dir, "flow", NULL);
}

static int
teardown(void **state)
{
    (void)state;
    return sv_testapp_close(&app, dir);
}

/* Put a CAPTCHA with a known answer on challenge @p id (as a draw would). */
static void
plant(const char *id, const char *answer)
{
    char path[128];
    uint8_t h[SV_CAPTCHA_HASH_LEN];
    sqlite3 *db;
    sqlite3_stmt *st;

    sv_captcha_hash(app.code_key, id, answer, h);
    snprintf(path, sizeof path, "%s/salesvault.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "UPDATE challenges SET captcha_hash = "
                                        "?1 WHERE id = ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, h, sizeof h, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void
new_challenge(struct sv_outcome *o)
{
    struct sv_client cl = {
        .kind = SV_CLIENT_WEB, .ip = "10.0.0.7", .user_agent = "unit"};
    snprintf(cl.device, sizeof cl.device,
             "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000");
    uint8_t key[32];
    memset(key, 7, sizeof key);
    memset(o, 0, sizeof *o);
    assert_int_equal(
        sv_login_captcha_challenge(&app, NULL, "acme", "Alice", key, &cl, o),
        SV_OK);
    assert_true(o->challenge);
    assert_string_equal(o->next, "captcha");
    assert_true(strlen(o->ch_token) > 40);
}

static enum sv_err
answer(const struct sv_outcome *o, const char *token, const char *typed,
       char *slug, char *user, struct sv_client *cl)
{
    uint8_t key[32];
    enum sv_err rc;
    memset(cl, 0, sizeof *cl);
    cl->ip = "10.0.0.8";
    rc = sv_login_captcha_answer(&app, o->ch_id, token, typed, slug, 64, user,
                                 260, key, cl);
    /* the counters' key is the challenge's, not one made anew */
    if (rc == SV_OK) {
        uint8_t want[32];
        memset(want, 7, sizeof want);
        assert_memory_equal(key, want, 32);
    }
    return rc;
}

static void
test_right_answer_once(void **state)
{
    struct sv_outcome o;
    struct sv_client cl;
    char slug[64], user[260];
    (void)state;
    new_challenge(&o);
    plant(o.ch_id, "HKX47D");
    /* What a person types: lower case, spaces, a 0 for the D. */
    assert_int_equal(answer(&o, o.ch_token, "hk x47 0", slug, user, &cl),
                     SV_OK);
    assert_string_equal(slug, "acme");
    assert_string_equal(user, "Alice");
    /* The client as the challenge recorded it; this request's address. */
    assert_int_equal(cl.kind, SV_CLIENT_WEB);
    assert_string_equal(cl.device, "0190aaaa-bbbb-7ccc-8ddd-eeeeffff0000");
    assert_string_equal(cl.ip, "10.0.0.8");
    /* Single use. */
    assert_int_equal(answer(&o, o.ch_token, "HKX47D", slug, user, &cl),
                     SV_E_CHALLENGE_EXPIRED);
}

static void
test_wrong_answer_needs_new_image(void **state)
{
    struct sv_outcome o;
    struct sv_client cl;
    char slug[64], user[260];
    unsigned char *png = NULL;
    size_t len = 0;
    (void)state;
    new_challenge(&o);
    plant(o.ch_id, "HKX47D");
    assert_int_equal(answer(&o, o.ch_token, "HKX47E", slug, user, &cl),
                     SV_E_CAPTCHA_INVALID);
    /* The old answer is gone with the wrong try. */
    assert_int_equal(answer(&o, o.ch_token, "HKX47D", slug, user, &cl),
                     SV_E_CAPTCHA_INVALID);
    /* A new image is drawn for the same challenge. */
    assert_int_equal(
        sv_login_captcha_image(&app, o.ch_id, o.ch_token, &png, &len, NULL),
        SV_OK);
    assert_true(len > 8 && memcmp(png, "\x89PNG", 4) == 0);
    free(png);
    /* At most five draws per challenge, counted before drawing; a wrong
     * token draws nothing and counts nothing. */
    for (int i = 0; i < 20; i++)
        assert_int_equal(sv_login_captcha_image(&app, o.ch_id, "svs_garbage",
                                                &png, &len, NULL),
                         SV_E_CHALLENGE_NOT_FOUND);
    assert_null(png);
    for (int i = 1; i < 5; i++) {
        assert_int_equal(
            sv_login_captcha_image(&app, o.ch_id, o.ch_token, &png, &len, NULL),
            SV_OK);
        free(png);
    }
    assert_int_equal(
        sv_login_captcha_image(&app, o.ch_id, o.ch_token, &png, &len, NULL),
        SV_E_RATE_LIMITED);
    assert_null(png);
    /* Five wrong answers close the challenge. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(answer(&o, o.ch_token, "AAAAAA", slug, user, &cl),
                         SV_E_CAPTCHA_INVALID);
    assert_int_equal(answer(&o, o.ch_token, "AAAAAA", slug, user, &cl),
                     SV_E_CHALLENGE_EXPIRED);
}

static void
test_token_binds_the_challenge(void **state)
{
    struct sv_outcome o, other;
    struct sv_client cl;
    char slug[64], user[260];
    (void)state;
    new_challenge(&o);
    new_challenge(&other);
    plant(o.ch_id, "HKX47D");
    assert_int_equal(answer(&o, other.ch_token, "HKX47D", slug, user, &cl),
                     SV_E_CHALLENGE_NOT_FOUND);
    assert_int_equal(answer(&o, "svs_garbage", "HKX47D", slug, user, &cl),
                     SV_E_CHALLENGE_NOT_FOUND);
    assert_int_equal(answer(&o, NULL, "HKX47D", slug, user, &cl),
                     SV_E_CHALLENGE_NOT_FOUND);
    assert_int_equal(answer(&o, o.ch_token, "HKX47D", slug, user, &cl), SV_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_right_answer_once),
        cmocka_unit_test(test_wrong_answer_needs_new_image),
        cmocka_unit_test(test_token_binds_the_challenge),
    };
    if (sodium_init() < 0)
        return 1;
    sv_json_init();
    return cmocka_run_group_tests(tests, setup, teardown);
}
