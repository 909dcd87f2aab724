/* AUTH-1: each password rule refuses a password and names itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/policy.h"

static const char *const common[] = {"password1", "qwerty123", "iloveyou"};

static const struct sv_pw_context ctx = {
    .username = "alice",
    .tenant_slug = "acme",
    .tenant_name = "Acme Trading",
    .email = "a.smith@example.com",
};

static enum sv_err
check(enum sv_pw_policy_kind kind, int min_score, const char *pw)
{
    struct sv_pw_policy pol = {kind, min_score};
    return sv_policy_check(&pol, &ctx, pw, strlen(pw));
}

static int
setup(void **state)
{
    (void)state;
    sv_policy_set_blocklist(common, 3);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sv_policy_free_blocklist();
    return 0;
}

static void
test_policy_accepts_strong(void **state)
{
    (void)state;
    assert_int_equal(check(SV_PWPOL_DEFAULT, 2, "Tr0ub4dor&3xyz"), SV_OK);
    assert_int_equal(check(SV_PWPOL_NIST, 3, "correct horse battery staple"),
                     SV_OK);
}

static void
test_policy_rejects_short(void **state)
{
    (void)state;
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "Ab1!x"),
                     SV_E_PASSWORD_TOO_SHORT);
    /* NIST: 8 minimum, so 7 characters are too short there only. */
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "Zq8#Lm2"), SV_OK);
    assert_int_equal(check(SV_PWPOL_NIST, 0, "Zq8#Lm2"),
                     SV_E_PASSWORD_TOO_SHORT);
}

static void
test_policy_rejects_long(void **state)
{
    (void)state;
    /* 21 characters: over the paper's 20, fine for NIST (64). */
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "Zq8#Lm2Wx9$Kp4Rt7@Yh5"),
                     SV_E_PASSWORD_TOO_LONG);
    assert_int_equal(check(SV_PWPOL_NIST, 0, "Zq8#Lm2Wx9$Kp4Rt7@Yh5"), SV_OK);
    char big[66];
    memset(big, 'q', 65);
    big[65] = '\0';
    big[0] = 'Z';
    assert_int_equal(check(SV_PWPOL_NIST, 0, big), SV_E_PASSWORD_TOO_LONG);
}

static void
test_policy_counts_code_points(void **state)
{
    (void)state;
    /* Six CJK characters (18 bytes) are six characters, not eighteen. */
    assert_int_equal(check(SV_PWPOL_NIST, 0, "密码安全策略"),
                     SV_E_PASSWORD_TOO_SHORT);
}

static void
test_policy_rejects_single_class(void **state)
{
    (void)state;
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "zqxwvjkm"),
                     SV_E_PASSWORD_TOO_SIMPLE);
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "83729164"),
                     SV_E_PASSWORD_TOO_SIMPLE);
    /* NIST mode has no composition rule. */
    assert_int_equal(check(SV_PWPOL_NIST, 0, "zqxwvjkmtp"), SV_OK);
}

static void
test_policy_rejects_username(void **state)
{
    (void)state;
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "xxALICE77!"),
                     SV_E_PASSWORD_CONTAINS_PERSONAL);
}

static void
test_policy_rejects_tenant_and_email(void **state)
{
    (void)state;
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "9acme!Zq8"),
                     SV_E_PASSWORD_CONTAINS_PERSONAL);
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "Q#a.smith42"),
                     SV_E_PASSWORD_CONTAINS_PERSONAL);
}

static void
test_policy_rejects_common(void **state)
{
    (void)state;
    /* Passes composition, caught by the list, case-insensitively. */
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "Password1"),
                     SV_E_PASSWORD_COMMON);
}

static void
test_policy_rejects_weak_score(void **state)
{
    (void)state;
    assert_int_equal(check(SV_PWPOL_DEFAULT, 2, "Abcdefg1"),
                     SV_E_PASSWORD_TOO_WEAK);
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "Abcdefg1"), SV_OK);
}

static void
test_policy_score_uses_context(void **state)
{
    (void)state;
    struct sv_pw_context none = {0};
    /* The tenant name as a dictionary word lowers the score. */
    assert_true(sv_policy_score(&ctx, "tradingacme") <
                sv_policy_score(&none, "tradingacme"));
}

static void
test_policy_kind_parse(void **state)
{
    (void)state;
    enum sv_pw_policy_kind k;
    assert_true(sv_policy_kind_parse("nist", &k));
    assert_int_equal(k, SV_PWPOL_NIST);
    assert_false(sv_policy_kind_parse("NIST", &k));
    assert_false(sv_policy_kind_parse("", &k));
}

static void
test_policy_load_blocklist_file(void **state)
{
    (void)state;
    char path[] = "/tmp/sv-blocklist-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "#!comment: header\nletmein\nDragon99\n";
    assert_int_equal(write(fd, text, sizeof text - 1), sizeof text - 1);
    close(fd);
    assert_int_equal(sv_policy_load_blocklist(path), SV_OK);
    unlink(path);
    assert_int_equal(check(SV_PWPOL_DEFAULT, 0, "dragon99"),
                     SV_E_PASSWORD_COMMON);
    assert_int_equal(sv_policy_load_blocklist("/nonexistent/list"),
                     SV_E_NOT_FOUND);
    sv_policy_set_blocklist(common, 3);
}

/* The check as you type: the same verdict as sv_policy_check, and each
 * rule's own verdict. */
static void
test_policy_report_matches_check(void **state)
{
    static const char *const pws[] = {
        "Xk9#mQ2v!Lp7",
        "Ab1!",
        "Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!",
        "abcdefghijkl",
        "xxALICE99xx",
        "Acme-9-Qzvt",
        "password1",
        "abc123",
        "smith-Q7z!",
        "abcdefghijklmnopqrstuvwxyz-long-but-simple",
    };
    (void)state;
    for (int kind = SV_PWPOL_DEFAULT; kind <= SV_PWPOL_NIST; kind++) {
        for (int score = 0; score <= 4; score += 2) {
            struct sv_pw_policy pol = {(enum sv_pw_policy_kind)kind, score};
            for (size_t i = 0; i < sizeof pws / sizeof pws[0]; i++) {
                struct sv_pw_report r;
                size_t fails = 0;
                sv_policy_report(&pol, &ctx, pws[i], strlen(pws[i]), &r);
                assert_int_equal(r.verdict, sv_policy_check(&pol, &ctx, pws[i],
                                                            strlen(pws[i])));
                if (r.ok[0]) /* longer ones: only the head is scored */
                    assert_int_equal(r.score, sv_policy_score(&ctx, pws[i]));
                for (size_t k = 0; k < r.n_rules; k++)
                    fails += !r.ok[k];
                assert_int_equal(fails == 0, r.verdict == SV_OK);
            }
        }
    }
}

static void
test_policy_rules_in_force(void **state)
{
    struct sv_pw_policy def = {SV_PWPOL_DEFAULT, 2}, nist = {SV_PWPOL_NIST, 3};
    struct sv_pw_rule r[SV_PW_RULES_MAX];
    (void)state;
    assert_int_equal(sv_policy_rules(&def, r), 5);
    assert_string_equal(r[0].rule, "length");
    assert_int_equal(r[0].min, 6);
    assert_int_equal(r[0].max, 20);
    assert_string_equal(r[1].rule, "classes");
    assert_string_equal(r[4].rule, "score");
    assert_int_equal(r[4].min, 2);
    assert_int_equal(sv_policy_rules(&nist, r), 4);
    assert_int_equal(r[0].min, 8);
    assert_int_equal(r[0].max, 64);
    assert_string_equal(r[1].rule, "no_context");
    assert_int_equal(r[3].min, 3);
}

/* Over the policy's longest length only the head is scored, cut between
 * characters; the verdict is the length's. */
static void
test_policy_report_caps_scoring(void **state)
{
    struct sv_pw_policy pol = {SV_PWPOL_NIST, 2};
    struct sv_pw_report r;
    char pw[1025];
    (void)state;
    for (size_t i = 0; i + 2 <= 1024; i += 2)
        memcpy(pw + i, "\xc3\xa9", 2); /* é */
    pw[1024] = '\0';
    sv_policy_report(&pol, &ctx, pw, 1024, &r);
    assert_int_equal(r.verdict, SV_E_PASSWORD_TOO_LONG);
    assert_false(r.ok[0]);
    pw[64 * 2] = '\0'; /* NIST: 64 characters */
    assert_int_equal(r.score, sv_policy_score(&ctx, pw));
    memset(pw, 'q', 30);
    pw[30] = '\0'; /* default: 20 characters */
    pol.kind = SV_PWPOL_DEFAULT;
    sv_policy_report(&pol, &ctx, pw, 30, &r);
    pw[20] = '\0';
    assert_int_equal(r.score, sv_policy_score(&ctx, pw));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_accepts_strong),
        cmocka_unit_test(test_policy_rejects_short),
        cmocka_unit_test(test_policy_rejects_long),
        cmocka_unit_test(test_policy_counts_code_points),
        cmocka_unit_test(test_policy_rejects_single_class),
        cmocka_unit_test(test_policy_rejects_username),
        cmocka_unit_test(test_policy_rejects_tenant_and_email),
        cmocka_unit_test(test_policy_rejects_common),
        cmocka_unit_test(test_policy_rejects_weak_score),
        cmocka_unit_test(test_policy_score_uses_context),
        cmocka_unit_test(test_policy_kind_parse),
        cmocka_unit_test(test_policy_load_blocklist_file),
        cmocka_unit_test(test_policy_report_matches_check),
        cmocka_unit_test(test_policy_rules_in_force),
        cmocka_unit_test(test_policy_report_caps_scoring),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
