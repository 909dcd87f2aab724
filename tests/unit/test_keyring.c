/* DATA-2: key hierarchy, AEAD round trip, tamper and AAD refusal, blind index.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/keyring.h"

struct fixture {
    char path[64];
    char keys[64]; /* the key store: tenant master keys */
    struct sv_keyring *kr;
    struct sv_tenant_keys *tk;
    uint8_t wrapped[SV_WRAPPED_KEK_MAX];
    size_t wrapped_len;
    uint8_t index[SV_WRAPPED_KEK_MAX]; /* T1's blind-index key, wrapped */
    size_t index_len;
};

static const char T1[] = "01a212de-3de2-77cd-a21a-e93af5eccf68";
static const char T2[] = "01a212de-3de2-77cd-a21a-e93af5eccf69";

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];

    snprintf(f->path, sizeof f->path, "/tmp/sv-root-%d.key", (int)getpid());
    unlink(f->path);
    assert_int_equal(sv_keyring_create_file(f->path), SV_OK);
    assert_int_equal(sv_keyring_load(f->path, &f->kr, err, sizeof err), SV_OK);
    snprintf(f->keys, sizeof f->keys, "/tmp/sv-keys-XXXXXX");
    assert_non_null(mkdtemp(f->keys));
    sv_keyring_set_tenant_dir(f->kr, f->keys);
    assert_int_equal(sv_keyring_tmk_create(f->kr, T1), SV_OK);
    assert_int_equal(sv_keyring_tmk_create(f->kr, T2), SV_OK);
    assert_int_equal(
        sv_keyring_kek_new(f->kr, T1, 1, f->wrapped, &f->wrapped_len), SV_OK);
    assert_int_equal(
        sv_keyring_index_key_new(f->kr, T1, f->index, &f->index_len), SV_OK);
    assert_int_equal(sv_keyring_tenant_open(f->kr, T1, 1, f->wrapped,
                                            f->wrapped_len, f->index,
                                            f->index_len, &f->tk),
                     SV_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[96];
    sv_tenant_keys_free(f->tk);
    sv_keyring_free(f->kr);
    unlink(f->path);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->keys);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void
test_keyring_root_file_rules(void **state)
{
    struct fixture *f = *state;
    struct sv_keyring *kr = NULL;
    struct stat st;
    char err[256];

    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, SV_KEY_LEN);
    /* Never overwritten. */
    assert_int_equal(sv_keyring_create_file(f->path), SV_E_EXISTS);
    /* Readable by others: refused. */
    chmod(f->path, 0644);
    assert_int_not_equal(sv_keyring_load(f->path, &kr, err, sizeof err), SV_OK);
    assert_non_null(strstr(err, "chmod 600"));
    chmod(f->path, 0600);
    assert_int_equal(
        sv_keyring_load("/nonexistent/root.key", &kr, err, sizeof err),
        SV_E_NOT_FOUND);
}

static void
test_keyring_kek_bound_to_tenant_and_version(void **state)
{
    struct fixture *f = *state;
    struct sv_tenant_keys *tk = NULL;

    /* A wrapped KEK moved to another tenant or version does not open. */
    assert_int_equal(sv_keyring_tenant_open(f->kr, T2, 1, f->wrapped,
                                            f->wrapped_len, f->index,
                                            f->index_len, &tk),
                     SV_E_TAMPERED);
    assert_int_equal(sv_keyring_tenant_open(f->kr, T1, 2, f->wrapped,
                                            f->wrapped_len, f->index,
                                            f->index_len, &tk),
                     SV_E_TAMPERED);
    f->wrapped[f->wrapped_len - 1] ^= 1;
    assert_int_equal(sv_keyring_tenant_open(f->kr, T1, 1, f->wrapped,
                                            f->wrapped_len, f->index,
                                            f->index_len, &tk),
                     SV_E_TAMPERED);
    f->wrapped[f->wrapped_len - 1] ^= 1;
    assert_null(tk);
}

static void
test_aead_round_trip(void **state)
{
    struct fixture *f = *state;
    const struct sv_aad aad = {T1, "accounts", "email", "row-1"};
    const char *msg = "alice@example.com";
    uint8_t ct[128], pt[128];
    size_t ct_len = 0, pt_len = 0;

    assert_int_equal(sv_field_seal(f->tk, &aad, (const uint8_t *)msg,
                                   strlen(msg), ct, &ct_len),
                     SV_OK);
    assert_true(ct_len <= sv_field_sealed_len(strlen(msg)));
    assert_true(ct[0] == 1 || ct[0] == 2); /* format version */
    assert_int_equal(sv_field_key_id(ct, ct_len), 1);
    assert_null(memmem(ct, ct_len, msg, strlen(msg)));
    assert_int_equal(sv_field_open(f->tk, &aad, ct, ct_len, pt, &pt_len),
                     SV_OK);
    assert_int_equal(pt_len, strlen(msg));
    assert_memory_equal(pt, msg, pt_len);

    /* Same plaintext twice: different ciphertexts (random nonce). */
    uint8_t ct2[128];
    size_t ct2_len;
    assert_int_equal(sv_field_seal(f->tk, &aad, (const uint8_t *)msg,
                                   strlen(msg), ct2, &ct2_len),
                     SV_OK);
    assert_memory_not_equal(ct, ct2, ct_len);
}

static void
test_aead_tamper_refused(void **state)
{
    struct fixture *f = *state;
    const struct sv_aad aad = {T1, "accounts", "email", "row-1"};
    uint8_t ct[128], pt[128];
    size_t ct_len = 0, pt_len = 0;

    assert_int_equal(
        sv_field_seal(f->tk, &aad, (const uint8_t *)"secret", 6, ct, &ct_len),
        SV_OK);
    for (size_t i = 0; i < ct_len; i++) {
        ct[i] ^= 0x40;
        assert_int_not_equal(
            sv_field_open(f->tk, &aad, ct, ct_len, pt, &pt_len), SV_OK);
        ct[i] ^= 0x40;
    }
    /* Truncated. */
    assert_int_equal(sv_field_open(f->tk, &aad, ct, ct_len - 1, pt, &pt_len),
                     SV_E_TAMPERED);
    assert_int_equal(sv_field_open(f->tk, &aad, ct, 3, pt, &pt_len),
                     SV_E_TAMPERED);
}

static void
test_aead_aad_mismatch_refused(void **state)
{
    struct fixture *f = *state;
    const struct sv_aad aad = {T1, "accounts", "email", "row-1"};
    const struct sv_aad other_row = {T1, "accounts", "email", "row-2"};
    const struct sv_aad other_col = {T1, "accounts", "phone", "row-1"};
    const struct sv_aad other_tab = {T1, "contacts", "email", "row-1"};
    const struct sv_aad other_ten = {T2, "accounts", "email", "row-1"};
    uint8_t ct[128], pt[128];
    size_t ct_len = 0, pt_len = 0;

    assert_int_equal(
        sv_field_seal(f->tk, &aad, (const uint8_t *)"x", 1, ct, &ct_len),
        SV_OK);
    assert_int_equal(sv_field_open(f->tk, &other_row, ct, ct_len, pt, &pt_len),
                     SV_E_TAMPERED);
    assert_int_equal(sv_field_open(f->tk, &other_col, ct, ct_len, pt, &pt_len),
                     SV_E_TAMPERED);
    assert_int_equal(sv_field_open(f->tk, &other_tab, ct, ct_len, pt, &pt_len),
                     SV_E_TAMPERED);
    assert_int_equal(sv_field_open(f->tk, &other_ten, ct, ct_len, pt, &pt_len),
                     SV_E_TAMPERED);
}

static void
test_aead_other_tenant_key_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t wrapped[SV_WRAPPED_KEK_MAX], ct[128], pt[128];
    size_t wlen, ct_len, pt_len;
    struct sv_tenant_keys *tk2 = NULL;
    const struct sv_aad aad = {T1, "accounts", "email", "row-1"};

    /* Another tenant's keys cannot open (even with T1 in the AAD). */
    uint8_t iw[SV_WRAPPED_KEK_MAX];
    size_t iw_len;
    assert_int_equal(sv_keyring_kek_new(f->kr, T2, 1, wrapped, &wlen), SV_OK);
    assert_int_equal(sv_keyring_index_key_new(f->kr, T2, iw, &iw_len), SV_OK);
    assert_int_equal(
        sv_keyring_tenant_open(f->kr, T2, 1, wrapped, wlen, iw, iw_len, &tk2),
        SV_OK);
    assert_int_equal(
        sv_field_seal(f->tk, &aad, (const uint8_t *)"x", 1, ct, &ct_len),
        SV_OK);
    assert_int_not_equal(sv_field_open(tk2, &aad, ct, ct_len, pt, &pt_len),
                         SV_OK);
    sv_tenant_keys_free(tk2);
}

static void
test_blind_index(void **state)
{
    struct fixture *f = *state;
    uint8_t a[32], b[32], c[32], d[32];

    sv_blind_index(f->tk, "accounts.email", "a@x.io", 6, a);
    sv_blind_index(f->tk, "accounts.email", "a@x.io", 6, b);
    sv_blind_index(f->tk, "accounts.email", "b@x.io", 6, c);
    sv_blind_index(f->tk, "contacts.email", "a@x.io", 6, d);
    assert_memory_equal(a, b, 32);     /* deterministic: exact match */
    assert_memory_not_equal(a, c, 32); /* different values */
    assert_memory_not_equal(a, d, 32); /* columns separated */
    /* Not a bare hash of the value: needs the tenant's key. */
    uint8_t plain[32];
    crypto_hash_sha256(plain, (const uint8_t *)"a@x.io", 6);
    assert_memory_not_equal(a, plain, 32);
}

static void
test_platform_signature(void **state)
{
    struct fixture *f = *state;
    uint8_t sig[SV_SIG_LEN], pk[SV_SIGN_PK_LEN];
    const uint8_t msg[] = "audit head";

    assert_int_equal(sv_keyring_sign(f->kr, msg, sizeof msg, sig), SV_OK);
    assert_true(sv_keyring_verify(f->kr, msg, sizeof msg, sig));
    /* Deterministic from the root key, checkable with the public key. */
    sv_keyring_public_key(f->kr, pk);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, pk), 0);
    sig[0] ^= 1;
    assert_false(sv_keyring_verify(f->kr, msg, sizeof msg, sig));
    sig[0] ^= 1;
    assert_false(sv_keyring_verify(f->kr, msg, sizeof msg - 1, sig));
}

/*
 * DATA-2, rotation: a new KEK version has a field key of its own (a value
 * sealed under one version opens only under it) and the tenant's one
 * blind-index key (an index made under version 1 matches under version 2).
 * The index key is bound to its tenant; the legacy one (derived from KEK
 * version 1, for tenants made before migration 016) is stable.
 */
static void
test_keyring_versions_share_the_index_key(void **state)
{
    struct fixture *f = *state;
    uint8_t w2[SV_WRAPPED_KEK_MAX], ct[128], pt[128];
    uint8_t i1[SV_BLIND_INDEX_LEN], i2[SV_BLIND_INDEX_LEN];
    size_t w2_len = 0, ct_len = 0, pt_len = 0;
    struct sv_tenant_keys *v2 = NULL, *other = NULL;
    const struct sv_aad aad = {T1, "accounts", "email", "row-1"};

    assert_int_equal(sv_keyring_kek_new(f->kr, T1, 2, w2, &w2_len), SV_OK);
    assert_int_equal(sv_keyring_tenant_open(f->kr, T1, 2, w2, w2_len, f->index,
                                            f->index_len, &v2),
                     SV_OK);
    assert_int_equal(v2->version, 2);
    sv_blind_index(f->tk, "accounts.email", "a@example.com", 13, i1);
    sv_blind_index(v2, "accounts.email", "a@example.com", 13, i2);
    assert_memory_equal(i1, i2, sizeof i1);
    assert_memory_not_equal(f->tk->field_key, v2->field_key, SV_KEY_LEN);
    assert_int_equal(
        sv_field_seal(f->tk, &aad, (const uint8_t *)"abc", 3, ct, &ct_len),
        SV_OK);
    assert_int_equal(sv_field_key_id(ct, ct_len), 1);
    assert_int_equal(sv_field_open(v2, &aad, ct, ct_len, pt, &pt_len),
                     SV_E_TAMPERED);
    assert_int_equal(sv_field_open(f->tk, &aad, ct, ct_len, pt, &pt_len),
                     SV_OK);
    /* A dead (destroyed) key neither seals nor opens. */
    __atomic_store_n(&v2->dead, 1, __ATOMIC_RELEASE);
    assert_int_equal(
        sv_field_seal(v2, &aad, (const uint8_t *)"abc", 3, ct, &ct_len),
        SV_E_CRYPTO);
    /* The index key is bound to its tenant. */
    assert_int_equal(sv_keyring_tenant_open(f->kr, T1, 1, f->wrapped,
                                            f->wrapped_len, w2, w2_len, &other),
                     SV_E_TAMPERED);
    assert_null(other);
    sv_tenant_keys_free(v2);
}

/*
 * DATA-7: the master key in the key store wraps every key of its tenant.
 * Shredded, no wrapped key of the tenant opens any more (a copy of the
 * database from before holds only wrapped keys); another tenant's keys
 * still open. The key store refuses a second key for a tenant, a file
 * readable by others, and a name that is not a tenant id.
 */
static void
test_keyring_master_key_shredding(void **state)
{
    struct fixture *f = *state;
    uint8_t w[SV_WRAPPED_KEK_MAX], iw[SV_WRAPPED_KEK_MAX];
    size_t w_len = 0, iw_len = 0;
    struct sv_tenant_keys *tk = NULL;
    char path[128];

    assert_int_equal(sv_keyring_tmk_create(f->kr, T2), SV_E_EXISTS);
    assert_int_equal(sv_keyring_tmk_create(f->kr, "../etc"),
                     SV_E_FIELD_INVALID);
    assert_int_equal(sv_keyring_kek_new(f->kr, T2, 1, w, &w_len), SV_OK);
    assert_int_equal(sv_keyring_index_key_new(f->kr, T2, iw, &iw_len), SV_OK);
    assert_int_equal(
        sv_keyring_tenant_open(f->kr, T2, 1, w, w_len, iw, iw_len, &tk), SV_OK);
    sv_tenant_keys_free(tk);
    tk = NULL;
    /* A master key file readable by others is refused. */
    snprintf(path, sizeof path, "%s/%s.tmk", f->keys, T2);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(
        sv_keyring_tenant_open(f->kr, T2, 1, w, w_len, iw, iw_len, &tk),
        SV_E_TAMPERED);
    assert_int_equal(chmod(path, 0600), 0);
    assert_true(sv_keyring_tmk_exists(f->kr, T2));
    assert_int_equal(sv_keyring_tmk_shred(f->kr, T2), SV_OK);
    assert_false(sv_keyring_tmk_exists(f->kr, T2));
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(
        sv_keyring_tenant_open(f->kr, T2, 1, w, w_len, iw, iw_len, &tk),
        SV_E_NOT_FOUND);
    assert_null(tk);
    assert_int_equal(sv_keyring_kek_new(f->kr, T2, 2, w, &w_len),
                     SV_E_NOT_FOUND);
    assert_int_equal(sv_keyring_tmk_shred(f->kr, T2), SV_OK); /* again */
    /* T1 untouched. */
    assert_int_equal(sv_keyring_tenant_open(f->kr, T1, 1, f->wrapped,
                                            f->wrapped_len, f->index,
                                            f->index_len, &tk),
                     SV_OK);
    sv_tenant_keys_free(tk);
    /* A new master key for T2 does not open what the old one wrapped. */
    assert_int_equal(sv_keyring_tmk_create(f->kr, T2), SV_OK);
    tk = NULL;
    assert_int_equal(
        sv_keyring_tenant_open(f->kr, T2, 1, w, w_len, iw, iw_len, &tk),
        SV_E_TAMPERED);
    assert_null(tk);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyring_root_file_rules),
        cmocka_unit_test(test_keyring_kek_bound_to_tenant_and_version),
        cmocka_unit_test(test_aead_round_trip),
        cmocka_unit_test(test_aead_tamper_refused),
        cmocka_unit_test(test_aead_aad_mismatch_refused),
        cmocka_unit_test(test_aead_other_tenant_key_refused),
        cmocka_unit_test(test_blind_index),
        cmocka_unit_test(test_platform_signature),
        cmocka_unit_test(test_keyring_versions_share_the_index_key),
        cmocka_unit_test(test_keyring_master_key_shredding),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
