/* AUTH-2: Argon2id hashing, verification, parameter upgrade; temp passwords. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/password.h"
#include "policy/policy.h"

static const struct sv_pwparams cheap = {1, 8u << 20};
static const struct sv_pwparams costlier = {2, 8u << 20};

static void
test_password_hash_verify(void **state)
{
    (void)state;
    char h[SV_HASH_LEN];
    assert_int_equal(sv_password_hash(&cheap, "s3cret!x", 8, h), SV_OK);
    assert_non_null(strstr(h, "$argon2id$"));
    assert_null(strstr(h, "s3cret"));
    assert_int_equal(sv_password_verify(h, "s3cret!x", 8), SV_OK);
    assert_int_equal(sv_password_verify(h, "s3cret!y", 8),
                     SV_E_INVALID_CREDENTIALS);
    /* Prefix of the right password is still wrong. */
    assert_int_equal(sv_password_verify(h, "s3cret!x", 7),
                     SV_E_INVALID_CREDENTIALS);
}

static void
test_password_salted(void **state)
{
    (void)state;
    char a[SV_HASH_LEN], b[SV_HASH_LEN];
    assert_int_equal(sv_password_hash(&cheap, "same", 4, a), SV_OK);
    assert_int_equal(sv_password_hash(&cheap, "same", 4, b), SV_OK);
    assert_string_not_equal(a, b);
}

static void
test_password_malformed_hash_refused(void **state)
{
    (void)state;
    assert_int_equal(sv_password_verify("not a hash", "x", 1),
                     SV_E_INVALID_CREDENTIALS);
    assert_int_equal(sv_password_verify("", "", 0), SV_E_INVALID_CREDENTIALS);
}

static void
test_password_needs_rehash(void **state)
{
    (void)state;
    char h[SV_HASH_LEN];
    assert_int_equal(sv_password_hash(&cheap, "pw", 2, h), SV_OK);
    assert_false(sv_password_needs_rehash(&cheap, h));
    assert_true(sv_password_needs_rehash(&costlier, h));
    /* Not an Argon2id string at all: upgrade too. */
    assert_true(sv_password_needs_rehash(&cheap, "$2y$10$abcdefghijk"));
}

static void
test_password_temp_meets_policies(void **state)
{
    (void)state;
    struct sv_pw_policy def = {SV_PWPOL_DEFAULT, 3};
    struct sv_pw_policy nist = {SV_PWPOL_NIST, 3};
    struct sv_pw_context ctx = {"admin", "demo", "Demo", NULL};
    char a[SV_TEMP_PASSWORD_LEN + 1], b[SV_TEMP_PASSWORD_LEN + 1];

    for (int i = 0; i < 200; i++) {
        sv_password_temp(a);
        assert_int_equal(strlen(a), SV_TEMP_PASSWORD_LEN);
        assert_int_equal(sv_policy_check(&def, &ctx, a, strlen(a)), SV_OK);
        assert_int_equal(sv_policy_check(&nist, &ctx, a, strlen(a)), SV_OK);
    }
    sv_password_temp(b);
    assert_string_not_equal(a, b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_hash_verify),
        cmocka_unit_test(test_password_salted),
        cmocka_unit_test(test_password_malformed_hash_refused),
        cmocka_unit_test(test_password_needs_rehash),
        cmocka_unit_test(test_password_temp_meets_policies),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
