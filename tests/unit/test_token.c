/* Session tokens: 256 random bits, only the SHA-256 is stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/token.h"

static void
test_token_new_and_hash(void **state)
{
    (void)state;
    char t[SV_TOKEN_LEN + 1];
    uint8_t h1[32], h2[32];

    sv_token_new(t, h1);
    assert_int_equal(strlen(t), SV_TOKEN_LEN);
    assert_memory_equal(t, "svs_", 4);
    assert_true(sv_token_hash(t, h2));
    assert_memory_equal(h1, h2, 32);
    /* The stored value is SHA-256 of the token text. */
    uint8_t want[32];
    crypto_hash_sha256(want, (const uint8_t *)t, strlen(t));
    assert_memory_equal(h1, want, 32);
}

static void
test_token_unique(void **state)
{
    (void)state;
    char a[SV_TOKEN_LEN + 1], b[SV_TOKEN_LEN + 1];
    uint8_t h[32];
    sv_token_new(a, h);
    sv_token_new(b, h);
    assert_string_not_equal(a, b);
}

static void
test_token_rejects_malformed(void **state)
{
    (void)state;
    char t[SV_TOKEN_LEN + 1];
    uint8_t h[32];

    sv_token_new(t, h);
    assert_false(sv_token_hash("", h));
    assert_false(sv_token_hash("svs_", h));
    t[0] = 'x'; /* wrong prefix */
    assert_false(sv_token_hash(t, h));
    t[0] = 's';
    t[10] = '*'; /* not base64url */
    assert_false(sv_token_hash(t, h));
    char longer[SV_TOKEN_LEN + 2];
    sv_token_new(t, h);
    snprintf(longer, sizeof longer, "%sA", t);
    assert_false(sv_token_hash(longer, h));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_new_and_hash),
        cmocka_unit_test(test_token_unique),
        cmocka_unit_test(test_token_rejects_malformed),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
