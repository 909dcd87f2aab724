/*
 * DATA-2: sealed columns through their descriptors (directory/field.h).
 * Round trip per column, AAD binding (row, tenant, table, column), the very
 * AAD and blind index the hand-written code produced before (so existing
 * databases still open), length bounds and no plaintext left on failure.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "app.h"
#include "core/util.h"
#include "crypto/keyring.h"
#include "db/db.h"
#include "directory/field.h"
#include "directory/tenant.h"
#include "identity/identity_store.h"
#include "mfa/mfa_store.h"

struct fixture {
    char path[64];
    char keys[64]; /* the key store */
    struct sv_keyring *kr;
    struct sv_tenant_keys *tk;
};

static const char T1[] = "01a212de-3de2-77cd-a21a-e93af5eccf68";
static const char T2[] = "01a212de-3de2-77cd-a21a-e93af5eccf69";
static const char ROW[] = "01a212de-3de2-77cd-a21a-000000000001";
static const char ROW2[] = "01a212de-3de2-77cd-a21a-000000000002";

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    uint8_t wrapped[SV_WRAPPED_KEK_MAX], index[SV_WRAPPED_KEK_MAX];
    size_t wrapped_len = 0, index_len = 0;
    char err[256];

    snprintf(f->path, sizeof f->path, "/tmp/sv-field-%d.key", (int)getpid());
    unlink(f->path);
    assert_int_equal(sv_keyring_create_file(f->path), SV_OK);
    assert_int_equal(sv_keyring_load(f->path, &f->kr, err, sizeof err), SV_OK);
    snprintf(f->keys, sizeof f->keys, "/tmp/sv-fkeys-XXXXXX");
    assert_non_null(mkdtemp(f->keys));
    sv_keyring_set_tenant_dir(f->kr, f->keys);
    assert_int_equal(sv_keyring_tmk_create(f->kr, T1), SV_OK);
    assert_int_equal(sv_keyring_kek_new(f->kr, T1, 1, wrapped, &wrapped_len),
                     SV_OK);
    assert_int_equal(sv_keyring_index_key_new(f->kr, T1, index, &index_len),
                     SV_OK);
    assert_int_equal(sv_keyring_tenant_open(f->kr, T1, 1, wrapped, wrapped_len,
                                            index, index_len, &f->tk),
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
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

struct column {
    const struct sv_field_desc *d;
    const char *table, *column; /* the literals the old code wrote */
    const uint8_t *pt;
    size_t len;
};

static uint8_t SECRET[SV_TOTP_SECRET_LEN]; /* filled in main() */

static void
columns(struct column out[3])
{
    out[0] = (struct column){&identity_store_email_field, "accounts", "email",
                             (const uint8_t *)"Alice@Example.COM", 17};
    out[1] = (struct column){&mfa_store_phone_field, "accounts", "phone",
                             (const uint8_t *)"+4915112345678", 14};
    out[2] = (struct column){&mfa_store_totp_secret_field, "totp", "secret",
                             SECRET, sizeof SECRET};
}

/* Seal then open, and both directions against the old hand-written AAD. */
static void
test_field_round_trip(void **state)
{
    struct fixture *f = *state;
    struct column cols[3];

    columns(cols);
    for (int i = 0; i < 3; i++) {
        const struct column *col = &cols[i];
        struct sv_aad old = {T1, col->table, col->column, ROW};
        uint8_t ct[SV_FIELD_PT_MAX + SV_AEAD_OVERHEAD], pt[SV_FIELD_PT_MAX];
        size_t ct_len = 0, n = 0;

        assert_string_equal(col->d->table, col->table);
        assert_string_equal(col->d->column, col->column);
        assert_int_equal(sv_field_seal_keys(f->tk, T1, ROW, col->d, col->pt,
                                            col->len, ct, sizeof ct, &ct_len),
                         SV_OK);
        assert_true(ct_len <= sv_field_sealed_len(col->len));
        assert_int_equal(sv_field_open_keys(f->tk, T1, ROW, col->d, ct, ct_len,
                                            pt, sizeof pt, &n),
                         SV_OK);
        assert_int_equal(n, col->len);
        assert_memory_equal(pt, col->pt, n);

        /* The helper's ciphertext opens with the old AAD ... */
        memset(pt, 0, sizeof pt);
        assert_int_equal(sv_field_open(f->tk, &old, ct, ct_len, pt, &n), SV_OK);
        assert_memory_equal(pt, col->pt, col->len);
        /* ... and one sealed the old way opens with the helper. */
        assert_int_equal(
            sv_field_seal(f->tk, &old, col->pt, col->len, ct, &ct_len), SV_OK);
        assert_int_equal(sv_field_open_keys(f->tk, T1, ROW, col->d, ct, ct_len,
                                            pt, sizeof pt, &n),
                         SV_OK);
        assert_int_equal(n, col->len);
        assert_memory_equal(pt, col->pt, n);
    }
}

static void
test_field_open_str(void **state)
{
    struct fixture *f = *state;
    const struct sv_field_desc *d = &mfa_store_phone_field;
    uint8_t ct[MFA_PHONE_ENC_MAX];
    char out[SV_PHONE_MAX + 1];
    size_t ct_len = 0;

    assert_int_equal(sv_field_seal_keys(f->tk, T1, ROW, d,
                                        (const uint8_t *)"+4915112345678", 14,
                                        ct, sizeof ct, &ct_len),
                     SV_OK);
    memset(out, 'x', sizeof out);
    assert_int_equal(
        sv_field_open_str_keys(f->tk, T1, ROW, d, ct, ct_len, out, sizeof out),
        SV_OK);
    assert_string_equal(out, "+4915112345678");
}

/* The AAD binds row, tenant, table and column; nothing is left on failure. */
static void
test_field_binding(void **state)
{
    struct fixture *f = *state;
    struct column cols[3];

    columns(cols);
    for (int i = 0; i < 3; i++) {
        const struct column *col = &cols[i];
        const struct sv_field_desc *other = cols[(i + 1) % 3].d;
        struct sv_field_desc moved = *col->d;
        uint8_t ct[SV_FIELD_PT_MAX + SV_AEAD_OVERHEAD], pt[SV_FIELD_PT_MAX];
        uint8_t zero[sizeof pt] = {0};
        size_t ct_len = 0, n = 99;

        assert_int_equal(sv_field_seal_keys(f->tk, T1, ROW, col->d, col->pt,
                                            col->len, ct, sizeof ct, &ct_len),
                         SV_OK);
        /* another row */
        memset(pt, 0xAA, sizeof pt);
        assert_int_equal(sv_field_open_keys(f->tk, T1, ROW2, col->d, ct, ct_len,
                                            pt, sizeof pt, &n),
                         SV_E_TAMPERED);
        assert_int_equal(n, 0);
        assert_memory_equal(pt, zero, sizeof pt); /* wiped, not partial */
        /* another tenant (same key: only the AAD differs) */
        assert_int_equal(sv_field_open_keys(f->tk, T2, ROW, col->d, ct, ct_len,
                                            pt, sizeof pt, &n),
                         SV_E_TAMPERED);
        /* another column of the same or another table */
        assert_int_equal(sv_field_open_keys(f->tk, T1, ROW, other, ct, ct_len,
                                            pt, sizeof pt, &n),
                         SV_E_TAMPERED);
        moved.table = "elsewhere";
        assert_int_equal(sv_field_open_keys(f->tk, T1, ROW, &moved, ct, ct_len,
                                            pt, sizeof pt, &n),
                         SV_E_TAMPERED);
        moved = *col->d;
        moved.column = "elsewhere";
        assert_int_equal(sv_field_open_keys(f->tk, T1, ROW, &moved, ct, ct_len,
                                            pt, sizeof pt, &n),
                         SV_E_TAMPERED);
        assert_memory_equal(pt, zero, sizeof pt);
        /* a flipped bit */
        ct[ct_len - 1] ^= 1;
        assert_int_equal(sv_field_open_keys(f->tk, T1, ROW, col->d, ct, ct_len,
                                            pt, sizeof pt, &n),
                         SV_E_TAMPERED);
    }
}

/* Length bounds: a TOTP secret is exactly SV_TOTP_SECRET_LEN bytes, a phone at
 * most 16. */
static void
test_field_bounds(void **state)
{
    struct fixture *f = *state;
    const struct sv_field_desc *totp = &mfa_store_totp_secret_field;
    const struct sv_field_desc *phone = &mfa_store_phone_field;
    struct sv_aad old = {T1, "totp", "secret", ROW};
    uint8_t ct[SV_FIELD_PT_MAX + SV_AEAD_OVERHEAD], pt[SV_FIELD_PT_MAX];
    uint8_t secret[SV_TOTP_SECRET_LEN];
    char str[SV_PHONE_MAX + 1];
    size_t ct_len = 0, n = 0;

    assert_int_equal(sv_field_seal_keys(f->tk, T1, ROW, totp, SECRET,
                                        SV_TOTP_SECRET_LEN - 1, ct, sizeof ct,
                                        &ct_len),
                     SV_E_FIELD_INVALID);
    assert_int_equal(sv_field_seal_keys(f->tk, T1, ROW, phone,
                                        (const uint8_t *)"+12345678901234567",
                                        18, ct, sizeof ct, &ct_len),
                     SV_E_FIELD_INVALID);
    /* A genuine ciphertext of the wrong length still does not open. */
    assert_int_equal(
        sv_field_seal(f->tk, &old, SECRET, SV_TOTP_SECRET_LEN - 1, ct, &ct_len),
        SV_OK);
    assert_int_equal(
        sv_field_open_keys(f->tk, T1, ROW, totp, ct, ct_len, pt, sizeof pt, &n),
        SV_E_TAMPERED);
    /* Exactly the secret's size fits; one byte less does not. */
    assert_int_equal(
        sv_field_seal(f->tk, &old, SECRET, sizeof SECRET, ct, &ct_len), SV_OK);
    assert_int_equal(sv_field_open_keys(f->tk, T1, ROW, totp, ct, ct_len,
                                        secret, sizeof secret, &n),
                     SV_OK);
    assert_memory_equal(secret, SECRET, sizeof SECRET);
    assert_int_equal(sv_field_open_keys(f->tk, T1, ROW, totp, ct, ct_len,
                                        secret, sizeof secret - 1, &n),
                     SV_E_TAMPERED);
    /* An over-long phone under the phone AAD. */
    old = (struct sv_aad){T1, "accounts", "phone", ROW};
    assert_int_equal(sv_field_seal(f->tk, &old,
                                   (const uint8_t *)"+12345678901234567", 18,
                                   ct, &ct_len),
                     SV_OK);
    memset(str, 'x', sizeof str);
    assert_int_equal(sv_field_open_str_keys(f->tk, T1, ROW, phone, ct, ct_len,
                                            str, sizeof str),
                     SV_E_TAMPERED);
    assert_string_equal(str, "");
}

/* The blind indexes are the ones the hand-written code computed. */
static void
test_field_blind_index(void **state)
{
    struct fixture *f = *state;
    uint8_t got[SV_BLIND_INDEX_LEN], want[SV_BLIND_INDEX_LEN];
    char v[SV_UUID_LEN + 1 + 16];

    /* e-mail: lower-cased, label "accounts.email" */
    sv_field_blind_index_keys(f->tk, &identity_store_email_field,
                              "Alice@Example.COM", got);
    sv_blind_index(f->tk, "accounts.email", "alice@example.com", 17, want);
    assert_memory_equal(got, want, sizeof got);
    sv_field_blind_index_keys(f->tk, &identity_store_email_field,
                              "alice@example.com", want);
    assert_memory_equal(got, want, sizeof got);

    /* recovery codes: "account id:code" as is */
    snprintf(v, sizeof v, "%s:%s", ROW, "abcd-efgh");
    sv_field_blind_index_keys(f->tk, &mfa_store_recovery_field, v, got);
    sv_blind_index(f->tk, "recovery_codes.code_hash", v, strlen(v), want);
    assert_memory_equal(got, want, sizeof got);
    /* ... case-sensitive: no normaliser */
    snprintf(v, sizeof v, "%s:%s", ROW, "ABCD-EFGH");
    sv_field_blind_index_keys(f->tk, &mfa_store_recovery_field, v, want);
    assert_memory_not_equal(got, want, sizeof got);
}

/* The old normaliser, verbatim (identity.c lower_copy). */
static void
old_lower_copy(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] != '\0' && i + 1 < cap; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

static void
test_field_norm_lower(void **state)
{
    const char *in[] = {"", "a", "MiXeD.Case+Tag@Example.ORG", "ÄÖ@x.de"};
    char a[16], b[16];
    (void)state;
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        sv_field_norm_lower(a, in[i], sizeof a); /* truncates like before */
        old_lower_copy(b, in[i], sizeof b);
        assert_string_equal(a, b);
    }
}

/* Through the tenant key cache and a database: the _tx variants. */
struct tx_ctx {
    struct sv_app *app;
    struct sv_tenant t;
    uint8_t ct[MFA_PHONE_ENC_MAX];
    size_t ct_len;
    char out[SV_PHONE_MAX + 1];
    uint8_t bidx[SV_BLIND_INDEX_LEN], want[SV_BLIND_INDEX_LEN];
};

static enum sv_err
tx_seal(struct sv_dbc *c, void *cls)
{
    struct tx_ctx *x = cls;
    const struct sv_tenant_keys *tk;
    enum sv_err rc;

    snprintf(x->t.slug, sizeof x->t.slug, "acme");
    snprintf(x->t.name, sizeof x->t.name, "Acme");
    rc = sv_tenant_create_tx(c, x->app->kr, &x->t, "test");
    if (rc == SV_OK)
        rc = sv_db_scope_tenant(c, x->t.id);
    if (rc == SV_OK)
        rc = sv_field_seal_tx(c, x->t.id, ROW, &mfa_store_phone_field,
                              (const uint8_t *)"+33612345678", 12, x->ct,
                              sizeof x->ct, &x->ct_len);
    if (rc == SV_OK)
        rc = sv_field_open_str_tx(c, x->t.id, ROW, &mfa_store_phone_field,
                                  x->ct, x->ct_len, x->out, sizeof x->out);
    if (rc == SV_OK)
        rc = sv_field_blind_index_tx(c, x->t.id, &identity_store_email_field,
                                     "Bob@Example.com", x->bidx);
    if (rc == SV_OK)
        rc = sv_tenant_keys_get(c, x->t.id, 0, &tk);
    if (rc == SV_OK)
        sv_blind_index(tk, "accounts.email", "bob@example.com", 15, x->want);
    return rc;
}

static void
test_field_tx(void **state)
{
    char dir[64], cmd[256], path[128], err[256];
    struct sv_app app;
    struct tx_ctx x;
    (void)state;

    memset(&x, 0, sizeof x);
    snprintf(dir, sizeof dir, "/tmp/sv-field-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/root.key", dir);
    assert_int_equal(sv_keyring_create_file(path), SV_OK);
    snprintf(cmd, sizeof cmd,
             "printf '[password]\\nopslimit = 1\\nmemlimit_kib = 8192\\n"
             "blocklist =\\n' > %s/salesvault.conf",
             dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(sv_app_open(&app, dir, 1, err, sizeof err), SV_OK);
    x.app = &app;
    assert_int_equal(sv_db_run_tx(app.db, "field", tx_seal, &x), SV_OK);
    assert_string_equal(x.out, "+33612345678");
    assert_memory_equal(x.bidx, x.want, sizeof x.bidx);
    sv_app_close(&app);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_field_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_open_str, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_blind_index, setup,
                                        teardown),
        cmocka_unit_test(test_field_norm_lower),
        cmocka_unit_test(test_field_tx),
    };
    if (sodium_init() < 0)
        return 1;
    for (size_t i = 0; i < sizeof SECRET; i++)
        SECRET[i] = (uint8_t)(i + 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
