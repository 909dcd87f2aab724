#include "identity/flow.h"
#include "identity/mfa.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "identity/identity_store.h"
#include "identity/mfa_store.h"
#include "notify/notify.h"
#include "policy/policy.h"
#include "risk/risk.h"

#define TOTP_ISSUER "Salesvault"
#define RESET_TAG "sv-reset-code-v1"
#define HOUR_MS (3600 * INT64_C(1000))

/* ---- rules ---- */

bool
sv_check_phone(const char *s)
{
    size_t n;

    if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
        return false;
    n = strlen(s + 1);
    if (n < 7 || n > 15)
        return false;
    for (size_t i = 1; i <= n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool
six_digits(const char *s)
{
    if (strlen(s) != SV_TOTP_DIGITS)
        return false;
    for (size_t i = 0; i < SV_TOTP_DIGITS; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static enum sv_err
qs_change(enum sv_qs qs)
{
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

/* ---- keyed hashes of codes ---- */

/*
 * Recovery codes: the tenant's blind-index key (HMAC-SHA-256) over account
 * id and code. A keyed hash, so a stolen database does not give the codes
 * up to an offline search; the tenant key because sv_totp_check_tx() runs
 * on a bare connection. Like the e-mail blind index it uses the newest key
 * version: a key rotation must re-key these rows.
 */
static enum sv_err
recovery_hash(struct sv_dbc *c, const char *tenant_id, const char *account_id,
              const char *code, uint8_t out[MFA_HASH_LEN])
{
    char v[SV_UUID_LEN + 1 + SV_RECOVERY_CODE_LEN + 1];
    enum sv_err rc;

    _Static_assert(SV_BLIND_INDEX_LEN == MFA_HASH_LEN, "hash sizes");
    snprintf(v, sizeof v, "%s:%s", account_id, code);
    rc = sv_field_blind_index_tx(c, tenant_id, &mfa_store_recovery_field, v,
                                 out);
    sodium_memzero(v, sizeof v);
    return rc;
}

/* Reset codes: BLAKE2b keyed with app->code_key over (tag, row id, code). */
static void
reset_hash(const struct sv_app *app, const char *row_id, const char *code,
           uint8_t out[MFA_HASH_LEN])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, app->code_key, sizeof app->code_key,
                            MFA_HASH_LEN);
    crypto_generichash_update(&st, (const uint8_t *)RESET_TAG,
                              sizeof RESET_TAG); /* with its NUL */
    crypto_generichash_update(&st, (const uint8_t *)row_id, strlen(row_id) + 1);
    crypto_generichash_update(&st, (const uint8_t *)code, strlen(code));
    crypto_generichash_final(&st, out, MFA_HASH_LEN);
    sodium_memzero(&st, sizeof st);
}

/* ---- TOTP ---- */

static enum sv_err
open_secret(struct sv_dbc *c, const char *tenant_id, const char *account_id,
            const struct totp_row *r, uint8_t secret[SV_TOTP_SECRET_LEN])
{
    size_t n = 0;

    /* The descriptor demands exactly SV_TOTP_SECRET_LEN bytes. */
    return sv_field_open_tx(c, tenant_id, account_id,
                            &mfa_store_totp_secret_field, r->secret_enc,
                            r->secret_enc_len, secret, SV_TOTP_SECRET_LEN, &n);
}

enum sv_err
sv_totp_enrolled_tx(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, bool *enrolled)
{
    struct totp_row r;
    enum sv_qs qs = mfa_store_totp_find(c, tenant_id, account_id, &r);

    *enrolled = qs == SV_QS_ONE && r.confirmed;
    if (qs == SV_QS_ONE)
        sodium_memzero(&r, sizeof r);
    return qs_change(qs);
}

/* Mark a recovery code used; trace it (it is the last resort). */
static enum sv_err
use_recovery_code(struct sv_dbc *c, const char *tenant_id,
                  const char *account_id, const char *code, bool *ok)
{
    char norm[SV_RECOVERY_CODE_LEN + 1];
    uint8_t h[MFA_HASH_LEN];
    struct sv_actor actor = {account_id, NULL, NULL, NULL};
    enum sv_err rc;
    enum sv_qs qs;

    if (!sv_recovery_code_normalise(code, norm))
        return SV_OK;
    rc = recovery_hash(c, tenant_id, account_id, norm, h);
    sodium_memzero(norm, sizeof norm);
    if (rc != SV_OK)
        return rc;
    qs = mfa_store_recovery_use(c, tenant_id, account_id, h, sv_now_ms());
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_OK;
    *ok = true;
    rc = sv_account_audit(c, tenant_id, &actor, SV_AUDIT_MFA_RECOVERY_CODE_USED,
                          account_id, "success", NULL, NULL);
    if (rc == SV_OK)
        rc = sv_inbox_post_tx(
            c, tenant_id, account_id, "security", "A recovery code was used",
            "One of your recovery codes was used to sign in or to confirm a "
            "change. Each code works once. If this was not you, contact your "
            "administrator.");
    return rc;
}

enum sv_err
sv_totp_check_tx(struct sv_dbc *c, const char *tenant_id,
                 const char *account_id, const char *code, bool *ok)
{
    uint8_t secret[SV_TOTP_SECRET_LEN];
    struct totp_row r;
    int64_t step = 0;
    bool good;
    enum sv_err rc;
    enum sv_qs qs;

    *ok = false;
    qs = mfa_store_totp_find(c, tenant_id, account_id, &r);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE || !r.confirmed) {
        sodium_memzero(&r, sizeof r);
        return SV_E_TOTP_NOT_ENROLLED;
    }
    if (!six_digits(code)) {
        sodium_memzero(&r, sizeof r);
        return use_recovery_code(c, tenant_id, account_id, code, ok);
    }
    rc = open_secret(c, tenant_id, account_id, &r, secret);
    if (rc != SV_OK)
        goto cleanup;
    good = sv_totp_verify(secret, sizeof secret, code, sv_now_ms() / 1000,
                          r.last_step, &step);
    if (good) {
        /* The step is spent: the same code never passes twice. */
        qs = mfa_store_totp_advance(c, tenant_id, account_id, step);
        rc = qs_change(qs);
        *ok = qs == SV_QS_ONE;
    }
cleanup:
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(&r, sizeof r);
    return rc;
}

void
sv_totp_enrolment_fini(struct sv_totp_enrolment *e)
{
    if (e->uri != NULL) {
        sodium_memzero(e->uri, strlen(e->uri));
        free(e->uri);
    }
    sodium_memzero(e, sizeof *e);
}

struct start_ctx {
    const struct sv_session *s;
    const struct sv_actor *actor;
    uint8_t secret[SV_TOTP_SECRET_LEN];
};

static enum sv_err
start_tx(struct sv_dbc *c, void *cls)
{
    struct start_ctx *st = cls;
    const struct sv_session *s = st->s;
    uint8_t enc[MFA_SECRET_ENC_MAX];
    size_t enc_len = 0;
    bool enrolled;
    enum sv_err rc;
    enum sv_qs qs;

    rc = sv_totp_enrolled_tx(c, s->tenant_id, s->account_id, &enrolled);
    if (rc != SV_OK)
        return rc;
    if (enrolled)
        return SV_E_TOTP_ALREADY_ENROLLED;
    rc = sv_field_seal_tx(c, s->tenant_id, s->account_id,
                          &mfa_store_totp_secret_field, st->secret,
                          sizeof st->secret, enc, sizeof enc, &enc_len);
    if (rc != SV_OK)
        return rc;
    qs = mfa_store_totp_put_pending(c, s->tenant_id, s->account_id, enc,
                                    enc_len, sv_now_ms());
    if (qs == SV_QS_NONE)
        return SV_E_TOTP_ALREADY_ENROLLED; /* confirmed meanwhile */
    if (qs < 0)
        return sv_qs_err(qs);
    return sv_account_audit(c, s->tenant_id, st->actor,
                            SV_AUDIT_MFA_TOTP_ENROL_START, s->account_id,
                            "success", NULL, NULL);
}

enum sv_err
sv_totp_enrol_start(struct sv_app *app, const struct sv_session *s,
                    const struct sv_actor *actor, struct sv_totp_enrolment *out)
{
    struct start_ctx st = {s, actor, {0}};
    char label[SV_USERNAME_MAX + 1 + SV_SLUG_MAX + 1];
    enum sv_err rc;

    memset(out, 0, sizeof *out);
    sv_totp_secret_new(st.secret);
    rc = sv_db_run_tenant_tx(app->db, "totp_enrol_start", s->tenant_id,
                             start_tx, &st);
    if (rc == SV_OK) {
        snprintf(label, sizeof label, "%s@%s", s->username, s->tenant_slug);
        sv_totp_base32(st.secret, sizeof st.secret, out->secret_b32);
        out->uri = sv_totp_uri(TOTP_ISSUER, label, st.secret, sizeof st.secret);
        if (out->uri == NULL)
            rc = SV_E_INTERNAL;
    }
    sodium_memzero(&st, sizeof st);
    return rc;
}

struct confirm_ctx {
    const struct sv_session *s;
    const struct sv_actor *actor;
    const char *code;
    char (*codes)[SV_RECOVERY_CODE_LEN + 1];
    enum sv_err verdict;
};

/* SV_RECOVERY_CODES new codes, distinct, stored hashed. */
static enum sv_err
make_recovery_codes(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id,
                    char (*codes)[SV_RECOVERY_CODE_LEN + 1])
{
    uint8_t h[MFA_HASH_LEN];
    enum sv_err rc;
    enum sv_qs qs;

    qs = mfa_store_recovery_delete(c, tenant_id, account_id);
    if (qs < 0)
        return sv_qs_err(qs);
    for (int i = 0; i < SV_RECOVERY_CODES; i++) {
        bool dup;
        do {
            sv_recovery_code_new(codes[i]);
            dup = false;
            for (int j = 0; j < i; j++)
                dup |= strcmp(codes[i], codes[j]) == 0;
        } while (dup);
        rc = recovery_hash(c, tenant_id, account_id, codes[i], h);
        if (rc != SV_OK)
            return rc;
        qs = mfa_store_recovery_insert(c, tenant_id, account_id, h);
        if (qs != SV_QS_ONE)
            return sv_qs_err(qs);
    }
    return SV_OK;
}

/*
 * Removing an authenticator takes one of its codes: after 5 wrong ones
 * (decaying like login failures) the account must wait, so a stolen
 * session cannot guess its way to removing it. (Confirming needs no limit:
 * whoever enrols has the secret.)
 */
enum { TOTP_MAX_WRONG = 5 };

static enum sv_err
too_many(struct sv_dbc *c, const struct sv_app *app, const struct sv_session *s,
         enum sv_err *verdict)
{
    bool over = false;
    enum sv_err rc = sv_guard_key_over(c, app, "totp-remove", s->account_id,
                                       TOTP_MAX_WRONG, sv_now_ms(), &over);
    if (rc == SV_OK && over)
        *verdict = SV_E_RATE_LIMITED;
    return rc;
}

static enum sv_err
confirm_tx(struct sv_dbc *c, void *cls)
{
    struct confirm_ctx *cc = cls;
    const struct sv_session *s = cc->s;
    uint8_t secret[SV_TOTP_SECRET_LEN];
    struct totp_row r;
    int64_t step = 0;
    bool good;
    enum sv_err rc;
    enum sv_qs qs;

    cc->verdict = SV_E_TOTP_NOT_ENROLLED;
    qs = mfa_store_totp_find(c, s->tenant_id, s->account_id, &r);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE || r.confirmed) {
        sodium_memzero(&r, sizeof r);
        return SV_OK;
    }
    rc = open_secret(c, s->tenant_id, s->account_id, &r, secret);
    sodium_memzero(&r, sizeof r);
    if (rc != SV_OK)
        return rc;
    good =
        six_digits(cc->code) && sv_totp_verify(secret, sizeof secret, cc->code,
                                               sv_now_ms() / 1000, 0, &step);
    sodium_memzero(secret, sizeof secret);
    if (!good) {
        cc->verdict = SV_E_CODE_INVALID;
        return sv_account_audit(c, s->tenant_id, cc->actor,
                                SV_AUDIT_MFA_TOTP_ENROL, s->account_id,
                                "failure", "code_invalid", NULL);
    }
    qs = mfa_store_totp_confirm(c, s->tenant_id, s->account_id, step);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_OK; /* replaced or confirmed meanwhile */
    rc = make_recovery_codes(c, s->tenant_id, s->account_id, cc->codes);
    /* AUTH-8: sessions restricted to enrolment become whole. */
    if (rc == SV_OK)
        rc = qs_change(
            mfa_store_sessions_mfa_done(c, s->tenant_id, s->account_id, s->id));
    if (rc == SV_OK)
        rc = sv_account_audit(c, s->tenant_id, cc->actor,
                              SV_AUDIT_MFA_TOTP_ENROL, s->account_id, "success",
                              NULL, NULL);
    if (rc == SV_OK)
        rc = sv_inbox_post_tx(
            c, s->tenant_id, s->account_id, "security",
            "Authenticator app added",
            "An authenticator app was added to your account, with new "
            "recovery codes. If this was not you, contact your "
            "administrator.");
    if (rc == SV_OK)
        cc->verdict = SV_OK;
    return rc;
}

enum sv_err
sv_totp_enrol_confirm(struct sv_app *app, const struct sv_session *s,
                      const struct sv_actor *actor, const char *code,
                      char codes[SV_RECOVERY_CODES][SV_RECOVERY_CODE_LEN + 1])
{
    struct confirm_ctx cc = {s, actor, code, codes, SV_E_INTERNAL};
    enum sv_err rc = sv_db_run_tenant_tx(app->db, "totp_enrol_confirm",
                                         s->tenant_id, confirm_tx, &cc);

    if (rc == SV_OK)
        rc = cc.verdict;
    if (rc != SV_OK)
        sodium_memzero(
            codes, sizeof(char[SV_RECOVERY_CODES][SV_RECOVERY_CODE_LEN + 1]));
    return rc;
}

struct remove_ctx {
    const struct sv_app *app;
    const struct sv_session *s;
    const struct sv_actor *actor;
    const char *code;
    enum sv_err verdict;
};

static enum sv_err
remove_tx(struct sv_dbc *c, void *cls)
{
    struct remove_ctx *rm = cls;
    const struct sv_session *s = rm->s;
    struct totp_row r;
    bool confirmed, ok = false;
    enum sv_err rc;
    enum sv_qs qs;

    rm->verdict = SV_E_TOTP_NOT_ENROLLED;
    qs = mfa_store_totp_find(c, s->tenant_id, s->account_id, &r);
    confirmed = qs == SV_QS_ONE && r.confirmed;
    sodium_memzero(&r, sizeof r);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_OK;
    if (confirmed) {
        /* A stolen session alone must not remove the second factor, nor
         * guess its way there. */
        rc = too_many(c, rm->app, s, &rm->verdict);
        if (rc != SV_OK || rm->verdict == SV_E_RATE_LIMITED)
            return rc;
        rm->verdict = SV_E_TOTP_NOT_ENROLLED;
        rc = sv_totp_check_tx(c, s->tenant_id, s->account_id, rm->code, &ok);
        if (rc != SV_OK)
            return rc;
        if (!ok) {
            rm->verdict = SV_E_CODE_INVALID;
            rc = sv_guard_key_fail_tx(c, rm->app, "totp-remove", s->account_id,
                                      sv_now_ms());
            if (rc != SV_OK)
                return rc;
            return sv_account_audit(c, s->tenant_id, rm->actor,
                                    SV_AUDIT_MFA_TOTP_REMOVE, s->account_id,
                                    "failure", "code_invalid", NULL);
        }
    }
    rc = qs_change(mfa_store_totp_delete(c, s->tenant_id, s->account_id));
    if (rc == SV_OK)
        rc = qs_change(
            mfa_store_recovery_delete(c, s->tenant_id, s->account_id));
    if (rc == SV_OK && confirmed)
        rc = qs_change(
            mfa_store_sessions_mfa_again(c, s->tenant_id, s->account_id));
    if (rc == SV_OK)
        rc = sv_account_audit(c, s->tenant_id, rm->actor,
                              SV_AUDIT_MFA_TOTP_REMOVE, s->account_id,
                              "success", NULL,
                              confirmed ? "{\"state\":\"confirmed\"}"
                                        : "{\"state\":\"pending\"}");
    if (rc == SV_OK && confirmed)
        rc = sv_inbox_post_tx(
            c, s->tenant_id, s->account_id, "security",
            "Authenticator app removed",
            "The authenticator app of your account was removed, and its "
            "recovery codes with it. If this was not you, contact your "
            "administrator.");
    if (rc == SV_OK)
        rm->verdict = SV_OK;
    return rc;
}

enum sv_err
sv_totp_remove(struct sv_app *app, const struct sv_session *s,
               const struct sv_actor *actor, const char *code)
{
    struct remove_ctx rm = {app, s, actor, code, SV_E_INTERNAL};
    enum sv_err rc = sv_db_run_tenant_tx(app->db, "totp_remove", s->tenant_id,
                                         remove_tx, &rm);
    return rc == SV_OK ? rm.verdict : rc;
}

/* ---- phone ---- */

enum sv_err
sv_phone_get_tx(struct sv_dbc *c, const char *tenant_id, const char *account_id,
                char out[SV_PHONE_MAX + 1], bool *has)
{
    uint8_t enc[MFA_PHONE_ENC_MAX];
    size_t enc_len = 0;
    enum sv_err rc;
    enum sv_qs qs;

    *has = false;
    out[0] = '\0';
    qs = mfa_store_phone_find(c, tenant_id, account_id, enc, &enc_len);
    if (qs == SV_QS_NONE)
        return SV_E_NOT_FOUND;
    if (qs < 0)
        return sv_qs_err(qs);
    if (enc_len == 0)
        return SV_OK;
    rc = sv_field_open_str_tx(c, tenant_id, account_id, &mfa_store_phone_field,
                              enc, enc_len, out, SV_PHONE_MAX + 1);
    *has = rc == SV_OK;
    return rc;
}

/* Seal and store @p phone (NULL clears); *had: a phone was bound before. */
static enum sv_err
put_phone(struct sv_dbc *c, const char *tenant_id, const char *account_id,
          const char *phone, bool *had)
{
    uint8_t enc[MFA_PHONE_ENC_MAX];
    size_t enc_len = 0;
    enum sv_err rc;
    enum sv_qs qs;

    if (phone != NULL && !sv_check_phone(phone))
        return SV_E_FIELD_INVALID;
    qs = mfa_store_phone_find(c, tenant_id, account_id, enc, &enc_len);
    if (qs == SV_QS_NONE)
        return SV_E_NOT_FOUND; /* DIR-1: another tenant's id too */
    if (qs < 0)
        return sv_qs_err(qs);
    *had = enc_len > 0;
    if (phone != NULL) {
        rc = sv_field_seal_tx(c, tenant_id, account_id, &mfa_store_phone_field,
                              (const uint8_t *)phone, strlen(phone), enc,
                              sizeof enc, &enc_len);
        if (rc != SV_OK)
            return rc;
    }
    qs = mfa_store_phone_set(c, tenant_id, account_id,
                             phone != NULL ? enc : NULL, enc_len);
    return qs == SV_QS_ONE    ? SV_OK
           : qs == SV_QS_NONE ? SV_E_NOT_FOUND
                              : sv_qs_err(qs);
}

enum sv_err
sv_phone_set_tx(struct sv_dbc *c, const char *tenant_id, const char *account_id,
                const char *phone, const struct sv_actor *actor)
{
    bool had = false;
    enum sv_err rc;

    rc = put_phone(c, tenant_id, account_id, phone, &had);
    if (rc != SV_OK)
        return rc;
    /* The field is named, never the number. */
    rc = sv_account_audit(
        c, tenant_id, actor, SV_AUDIT_USER_UPDATE, account_id, "success", NULL,
        phone != NULL ? "{\"fields\":[\"phone\"],\"phone\":\"set\"}"
                      : "{\"fields\":[\"phone\"],\"phone\":\"cleared\"}");
    if (rc != SV_OK || (phone == NULL && !had))
        return rc;
    return sv_inbox_post_tx(
        c, tenant_id, account_id, "security",
        phone != NULL ? "Phone number changed" : "Phone number removed",
        phone != NULL
            ? "An administrator bound a new phone number to your account; "
              "sign-in and reset codes go to it from now on. If you did not "
              "expect this, contact your administrator."
            : "An administrator removed the phone number of your account. "
              "If you did not expect this, contact your administrator.");
}

struct phone_ctx {
    const char *tenant_id, *account_id, *phone;
    const struct sv_actor *actor;
};

static enum sv_err
phone_tx(struct sv_dbc *c, void *cls)
{
    struct phone_ctx *p = cls;
    return sv_phone_set_tx(c, p->tenant_id, p->account_id, p->phone, p->actor);
}

enum sv_err
sv_phone_set(struct sv_app *app, const char *tenant_id, const char *account_id,
             const char *phone, const struct sv_actor *actor)
{
    struct phone_ctx p = {tenant_id, account_id, phone, actor};
    return sv_db_run_tenant_tx(app->db, "phone_set", tenant_id, phone_tx, &p);
}

struct create_ctx {
    const char *tenant_id, *username, *email, *phone, *hash;
    enum sv_role role;
    const struct sv_actor *actor;
    struct sv_account *out;
};

static enum sv_err
create_tx(struct sv_dbc *c, void *cls)
{
    struct create_ctx *cc = cls;
    struct sv_tenant t;
    bool had = false;
    enum sv_err rc = sv_tenant_find(c, cc->tenant_id, &t);

    if (rc == SV_OK)
        rc = sv_account_create_tx(c, &t, cc->username, cc->role, cc->email,
                                  cc->hash, cc->actor, cc->out);
    if (rc == SV_OK)
        rc = put_phone(c, t.id, cc->out->id, cc->phone, &had);
    if (rc == SV_OK)
        rc = sv_account_audit(c, t.id, cc->actor, SV_AUDIT_USER_UPDATE,
                              cc->out->id, "success", NULL,
                              "{\"fields\":[\"phone\"],\"phone\":\"set\"}");
    return rc;
}

enum sv_err
sv_account_create_with_phone(struct sv_app *app, const char *tenant_id,
                             const char *username, enum sv_role role,
                             const char *email, const char *phone,
                             const char *hash, const struct sv_actor *actor,
                             struct sv_account *out)
{
    struct create_ctx cc = {tenant_id, username, email, phone,
                            hash,      role,     actor, out};

    sv_assert(out != NULL && phone != NULL);
    if (!sv_check_phone(phone))
        return SV_E_FIELD_INVALID;
    return sv_db_run_tenant_tx(app->db, "account_create", tenant_id, create_tx,
                               &cc);
}

/* ---- inbox ---- */

/*
 * Inbox ids are UUIDv7 and the inbox is read in id order, so ids made in
 * the same millisecond (two notices of one transaction) must still rise:
 * an id not above the last one is the last one plus one in its random
 * tail (RFC 9562 6.2, method 2), within this process.
 */
static void
inbox_id(char out[SV_UUID_LEN + 1])
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static char last[SV_UUID_LEN + 1];

    sv_uuid7(out);
    pthread_mutex_lock(&mu);
    if (strcmp(out, last) <= 0) {
        memcpy(out, last, sizeof last);
        /* The last 12 hex digits: random bits only, no version/variant. */
        for (int i = SV_UUID_LEN - 1; i >= SV_UUID_LEN - 12; i--) {
            if (out[i] == 'f') {
                out[i] = '0';
                continue;
            }
            out[i] = out[i] == '9' ? 'a' : (char)(out[i] + 1);
            break;
        }
    }
    memcpy(last, out, sizeof last);
    pthread_mutex_unlock(&mu);
}

enum sv_err
sv_inbox_post_tx(struct sv_dbc *c, const char *tenant_id,
                 const char *account_id, const char *kind, const char *title,
                 const char *body)
{
    size_t tlen = strlen(title), blen = strlen(body), klen = strlen(kind);
    char id[SV_UUID_LEN + 1];
    enum sv_qs qs;

    if (klen == 0 || klen > 32 || tlen == 0 || tlen > SV_INBOX_TITLE_MAX ||
        blen > SV_INBOX_BODY_MAX || !sv_utf8_valid(title, tlen) ||
        !sv_utf8_valid(body, blen) || !sv_utf8_valid(kind, klen))
        return SV_E_FIELD_INVALID;
    inbox_id(id);
    qs = mfa_store_inbox_insert(c, tenant_id, id, account_id, kind, title, body,
                                sv_now_ms());
    return qs == SV_QS_ONE ? SV_OK : sv_qs_err(qs);
}

struct inbox_ctx {
    const char *tenant_id, *account_id, *before_id;
    int limit, n;
    void (*start)(void *cls);
    sv_inbox_row_fn row;
    void *cls;
    bool *more;
};

static void
inbox_row(void *cls, const struct sv_inbox_item *m)
{
    struct inbox_ctx *ic = cls;
    if (++ic->n <= ic->limit) /* the look-ahead row only says "more" */
        ic->row(ic->cls, m);
}

static enum sv_err
inbox_tx(struct sv_dbc *c, void *cls)
{
    struct inbox_ctx *ic = cls;
    enum sv_qs qs;

    ic->n = 0;
    ic->start(ic->cls);
    qs = mfa_store_inbox_list(c, ic->tenant_id, ic->account_id, ic->before_id,
                              ic->limit + 1, inbox_row, ic);
    if (qs < 0)
        return sv_qs_err(qs);
    *ic->more = ic->n > ic->limit;
    return SV_OK;
}

enum sv_err
sv_inbox_page(struct sv_app *app, const char *tenant_id, const char *account_id,
              const char *before_id, int limit, void (*start)(void *cls),
              sv_inbox_row_fn row, void *cls, bool *more)
{
    struct inbox_ctx ic = {tenant_id, account_id, before_id, limit, 0,
                           start,     row,        cls,       more};
    return sv_db_run_tenant_ro(app->db, tenant_id, inbox_tx, &ic);
}

/* ---- reset: request ---- */

enum {
    RESET_REQUESTS_PER_SOURCE = 20,
};
/* Wrong reset codes one source may try: [auth] lock_after, one forgotten
 * per failure_decay_s, like the wrong passwords that lock a name. */

/* A node's bound on the public reset routes, whatever their sources. */
static struct sv_bucket reset_bucket = SV_BUCKET_INIT(20.0, 200.0);
static struct sv_bucket confirm_bucket = SV_BUCKET_INIT(20.0, 200.0);

/* The keyed fingerprint that stands for a name no account has. */
static void
name_fingerprint(const struct sv_app *app, const char *slug,
                 const char *username, char out[SV_GUARD_FP_LEN])
{
    struct sv_guard g;
    sv_guard_init(app, &g, slug, username, "", "");
    sv_guard_fingerprint(&g, out);
}

struct request_ctx {
    struct sv_app *app;
    const char *slug, *username, *channel, *ip, *user_agent;
    /* out: what to send, after the commit */
    bool send;
    char to[SV_EMAIL_MAX + 1];
    char code[SV_RESET_CODE_DIGITS + 1];
};

static enum sv_err
request_tx(struct sv_dbc *c, void *cls)
{
    struct request_ctx *q = cls;
    char fp[SV_GUARD_FP_LEN];
    struct sv_actor actor = {NULL, fp, q->ip, q->user_agent};
    struct sv_tenant t;
    struct sv_account a;
    uint8_t h[MFA_HASH_LEN];
    char id[SV_UUID_LEN + 1], details[64];
    bool sms = strcmp(q->channel, "sms") == 0, has = false;
    int64_t now = sv_now_ms(), n = 0;
    enum sv_err rc;
    enum sv_qs qs;

    q->send = false;
    /* One source may not make many phones ring: 20 requests (one
     * forgotten per failure_decay_s), whatever the accounts. */
    char source[64];
    bool over = false;
    sv_guard_source(q->ip, source);
    rc = sv_guard_key_over(c, q->app, "reset-request", source,
                           RESET_REQUESTS_PER_SOURCE, now, &over);
    if (rc != SV_OK)
        return rc;
    if (over)
        return SV_E_RATE_LIMITED; /* nothing written: no row per request */
    rc = sv_guard_key_fail_tx(c, q->app, "reset-request", source, now);
    if (rc != SV_OK)
        return rc;
    name_fingerprint(q->app, q->slug, q->username, fp);
    rc = sv_tenant_find_by_slug(c, q->slug, &t);
    if (rc == SV_E_NOT_FOUND)
        return SV_OK; /* no tenant stream to write to */
    if (rc == SV_OK)
        rc = sv_db_scope_tenant(c, t.id);
    if (rc != SV_OK)
        return rc;
    snprintf(details, sizeof details, "{\"channel\":\"%s\"}",
             sms ? "sms" : "email");
    rc = sv_account_find_by_username(c, t.id, q->username, &a);
    if (rc == SV_E_NOT_FOUND)
        return sv_account_audit(c, t.id, &actor, SV_AUDIT_AUTH_RESET_REQUEST,
                                NULL, "failure", "unknown_account", details);
    if (rc != SV_OK)
        return rc;
    actor.account_id = a.id;
    actor.username = a.username;
    if (sms) {
        rc = sv_phone_get_tx(c, t.id, a.id, q->to, &has);
        if (rc != SV_OK)
            goto cleanup;
    } else if (a.has_email) {
        snprintf(q->to, sizeof q->to, "%s", a.email);
        has = true;
    }
    if (!has) {
        rc =
            sv_account_audit(c, t.id, &actor, SV_AUDIT_AUTH_RESET_REQUEST, a.id,
                             "failure", sms ? "no_phone" : "no_email", details);
        goto cleanup;
    }
    qs = mfa_store_reset_count_since(c, t.id, a.id, now - HOUR_MS, &n);
    if (qs != SV_QS_ONE) {
        rc = sv_qs_err(qs);
        goto cleanup;
    }
    if (n >= SV_RESET_MAX_PER_HOUR) {
        rc = sv_account_audit(c, t.id, &actor, SV_AUDIT_AUTH_RESET_REQUEST,
                              a.id, "denied", "rate_limited", details);
        goto cleanup;
    }
    /* A new code makes the older ones void; a day later they go. */
    rc = qs_change(mfa_store_reset_void(c, t.id, a.id, now));
    if (rc == SV_OK)
        rc =
            qs_change(mfa_store_reset_prune(c, t.id, a.id, now - 24 * HOUR_MS));
    if (rc != SV_OK)
        goto cleanup;
    snprintf(q->code, sizeof q->code, "%06u",
             (unsigned)randombytes_uniform(1000000));
    sv_uuid7(id);
    reset_hash(q->app, id, q->code, h);
    qs = mfa_store_reset_insert(c, t.id, id, a.id, h, now,
                                now + q->app->cfg.reset_ttl_ms);
    if (qs != SV_QS_ONE) {
        rc = sv_qs_err(qs);
        goto cleanup;
    }
    rc = sv_account_audit(c, t.id, &actor, SV_AUDIT_AUTH_RESET_REQUEST, a.id,
                          "success", NULL, details);
    q->send = rc == SV_OK;
cleanup:
    sodium_memzero(&a, sizeof a);
    return rc;
}

enum sv_err
sv_reset_request(struct sv_app *app, const char *tenant_slug,
                 const char *username, const char *channel, const char *ip,
                 const char *user_agent)
{
    struct request_ctx q = {app,        tenant_slug, username, channel, ip,
                            user_agent, false,       "",       ""};
    char text[256];
    int64_t minutes = app->cfg.reset_ttl_ms / 60000;
    bool sms;
    enum sv_err rc;

    if (strcmp(channel, "sms") != 0 && strcmp(channel, "email") != 0)
        return SV_E_FIELD_INVALID;
    if (!sv_bucket_take(&reset_bucket))
        return SV_E_OVERLOADED;
    sms = channel[0] == 's';
    rc = sv_db_run_tx(app->db, "reset_request", request_tx, &q);
    if (rc == SV_OK && q.send) {
        snprintf(text, sizeof text,
                 "Your Salesvault password reset code is %s. It expires in "
                 "%lld minute%s. If you did not ask for it, ignore this "
                 "message.",
                 q.code, (long long)(minutes > 0 ? minutes : 1),
                 minutes == 1 ? "" : "s");
        struct sv_message m = {
            .channel = sms ? "sms" : "email",
            .to = q.to,
            .subject = sms ? "" : "Your Salesvault password reset code",
            .text = text,
        };
        rc = sv_notify_send(app->notify, &m);
        if (rc != SV_OK)
            sv_log(SV_LOG_WARN, "reset code not sent", "%s: %s", m.channel,
                   sv_err_code(rc));
        sodium_memzero(text, sizeof text);
    }
    sodium_memzero(&q, sizeof q);
    return rc;
}

/* ---- reset: confirm ---- */

enum sv_err
sv_reset_init(struct sv_reset *r, const char *password, size_t len)
{
    r->password = sodium_malloc(len + 1);
    if (r->password == NULL)
        return SV_E_OVERLOADED;
    memcpy(r->password, password, len);
    r->password[len] = '\0';
    r->password_len = len;
    r->verdict = SV_E_INTERNAL;
    return SV_OK;
}

void
sv_reset_free(struct sv_reset *r)
{
    sodium_free(r->password); /* wipes */
    r->password = NULL;
    sodium_memzero(&r->account, sizeof r->account);
    sodium_memzero(r->new_hash, sizeof r->new_hash);
}

struct verify_ctx {
    struct sv_app *app;
    struct sv_reset *r;
    enum sv_err verdict;
};

static enum sv_err
verify_code_tx(struct sv_dbc *c, void *cls)
{
    struct verify_ctx *v = cls;
    struct sv_reset *r = v->r;
    char fp[SV_GUARD_FP_LEN];
    struct sv_actor actor = {NULL, fp, r->ip, r->user_agent};
    struct reset_row row;
    uint8_t h[MFA_HASH_LEN];
    bool match;
    int64_t now = sv_now_ms();
    char details[48];
    enum sv_err rc;
    enum sv_qs qs;

    v->verdict = SV_E_RESET_CODE_INVALID;
    if (r->tenant.id[0] == '\0')
        return SV_OK; /* no such tenant (verify_tx looked, and scoped) */
    name_fingerprint(v->app, r->tenant_slug, r->username, fp);
    rc = sv_account_find_by_username(c, r->tenant.id, r->username, &r->account);
    if (rc == SV_E_NOT_FOUND)
        return sv_account_audit(c, r->tenant.id, &actor, SV_AUDIT_AUTH_RESET,
                                NULL, "failure", "unknown_account", NULL);
    if (rc != SV_OK)
        return rc;
    actor.account_id = r->account.id;
    actor.username = r->account.username;
    qs = mfa_store_reset_find(c, r->tenant.id, r->account.id, now, &row);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return sv_account_audit(c, r->tenant.id, &actor, SV_AUDIT_AUTH_RESET,
                                r->account.id, "failure", "no_code", NULL);
    match = false;
    if (six_digits(r->code)) {
        reset_hash(v->app, row.id, r->code, h);
        match = sodium_memcmp(h, row.hash, MFA_HASH_LEN) == 0;
    }
    if (match) {
        snprintf(r->code_id, sizeof r->code_id, "%s", row.id);
        v->verdict = SV_OK;
        return SV_OK;
    }
    /* AUTH-3: a code takes SV_RESET_MAX_ATTEMPTS guesses, then it is gone. */
    rc = qs_change(mfa_store_reset_fail(c, r->tenant.id, row.id, now,
                                        SV_RESET_MAX_ATTEMPTS));
    if (rc != SV_OK)
        return rc;
    snprintf(details, sizeof details, "{\"attempts\":%lld}",
             (long long)row.attempts + 1);
    return sv_account_audit(
        c, r->tenant.id, &actor, SV_AUDIT_AUTH_RESET, r->account.id, "failure",
        row.attempts + 1 >= SV_RESET_MAX_ATTEMPTS ? "code_burnt"
                                                  : "code_invalid",
        details);
}

/*
 * AUTH-4/5 for reset codes too. Cheap checks first, and a refused source
 * writes nothing: over its limit of wrong codes, 429; blacklisted, 403; a
 * locked name gets "invalid code" without its code being looked at. A
 * wrong code counts on the source (its limit, its counters, stuffing),
 * never on the name: a stranger's wrong codes cannot lock an owner out
 * (the code itself burns after SV_RESET_MAX_ATTEMPTS).
 */
static enum sv_err
verify_tx(struct sv_dbc *c, void *cls)
{
    struct verify_ctx *v = cls;
    struct sv_reset *r = v->r;
    char fp[SV_GUARD_FP_LEN], source[64];
    struct sv_actor actor = {NULL, fp, r->ip, r->user_agent};
    struct sv_guard g;
    bool black = false, over = false, found;
    int64_t now = sv_now_ms();
    enum sv_err rc;

    sv_guard_init(v->app, &g, r->tenant_slug, r->username, r->ip, "");
    sv_guard_fingerprint(&g, fp);
    sv_guard_source(r->ip, source);
    rc = sv_db_scope_platform(c);
    if (rc == SV_OK)
        rc = sv_guard_key_over(c, v->app, "reset-confirm", source,
                               v->app->cfg.lock_after, now, &over);
    if (rc != SV_OK)
        return rc;
    if (over)
        return SV_E_RATE_LIMITED;
    rc = sv_tenant_find_by_slug(c, r->tenant_slug, &r->tenant);
    if (rc != SV_OK && rc != SV_E_NOT_FOUND)
        return rc;
    found = rc == SV_OK;
    if (found && (rc = sv_db_scope_tenant(c, r->tenant.id)) != SV_OK)
        return rc;
    if (!found)
        r->tenant.id[0] = '\0';
    rc = sv_guard_blacklisted(c, found ? r->tenant.id : NULL, r->ip, "", now,
                              &black);
    if (rc != SV_OK)
        return rc;
    if (black)
        return SV_E_BLACKLISTED;
    rc = sv_guard_read(c, v->app, &g, now);
    if (rc != SV_OK)
        return rc;
    v->verdict = SV_E_RESET_CODE_INVALID;
    if (g.locked_until <= now) {
        rc = verify_code_tx(c, cls);
        if (rc != SV_OK)
            return rc;
    }
    if (v->verdict == SV_OK)
        return SV_OK;
    if (r->account.id[0] != '\0') {
        actor.account_id = r->account.id;
        actor.username = r->account.username;
    }
    rc = sv_guard_key_fail_tx(c, v->app, "reset-confirm", source, now);
    if (rc != SV_OK)
        return rc;
    return sv_guard_fail_tx(c, v->app, &g, SV_FAIL_SOURCE,
                            found ? r->tenant.id : NULL, &actor, now);
}

enum sv_err
sv_reset_verify(struct sv_app *app, struct sv_reset *r)
{
    struct verify_ctx v = {app, r, SV_E_INTERNAL};
    enum sv_err rc;

    if (!sv_bucket_take(&confirm_bucket))
        return SV_E_OVERLOADED;
    rc = sv_db_run_tx(app->db, "reset_verify", verify_tx, &v);
    return rc == SV_OK ? v.verdict : rc;
}

void
sv_reset_work(struct sv_app *app, struct sv_reset *r)
{
    struct sv_pw_context ctx = {
        .username = r->account.username,
        .tenant_slug = r->tenant.slug,
        .tenant_name = r->tenant.name,
        .email = r->account.has_email ? r->account.email : NULL,
    };

    r->verdict =
        sv_policy_check(&r->tenant.policy, &ctx, r->password, r->password_len);
    if (r->verdict == SV_OK)
        r->verdict = sv_password_hash(&app->pw, r->password, r->password_len,
                                      r->new_hash);
}

static enum sv_err
finish_tx(struct sv_dbc *c, void *cls)
{
    struct sv_reset *r = cls;
    struct sv_actor actor = {r->account.id, r->account.username, r->ip,
                             r->user_agent};
    const char *t = r->tenant.id, *a = r->account.id;
    int64_t now = sv_now_ms();
    enum sv_err rc;
    enum sv_qs qs;

    /* Single use: of two requests with the same code only one gets here. */
    qs = mfa_store_reset_use(c, t, r->code_id, now);
    if (qs == SV_QS_NONE)
        return SV_E_RESET_CODE_INVALID;
    if (qs < 0)
        return sv_qs_err(qs);
    qs = identity_store_set_password(c, t, a, r->new_hash, false, now);
    if (qs == SV_QS_NONE)
        return SV_E_RESET_CODE_INVALID; /* the account is gone */
    rc = qs_change(qs);
    if (rc == SV_OK)
        rc = qs_change(mfa_store_reset_void(c, t, a, now));
    if (rc == SV_OK)
        rc = qs_change(
            identity_store_revoke_account_sessions(c, t, a, NULL, now));
    if (rc == SV_OK)
        rc = sv_flow_close_account_tx(c, a);
    /* The owner proved it with the code: a lock from guessing is lifted. */
    if (rc == SV_OK)
        rc = sv_guard_unlock_tx(c, r->app, r->tenant.slug, r->account.username);
    if (rc == SV_OK)
        rc = sv_account_audit(c, t, &actor, SV_AUDIT_AUTH_RESET, a, "success",
                              NULL, NULL);
    if (rc == SV_OK)
        rc = sv_inbox_post_tx(
            c, t, a, "security", "Password reset",
            "Your password was reset with a code sent to you, and every "
            "session of your account was signed out. If this was not you, "
            "contact your administrator.");
    return rc;
}

static enum sv_err
refused_tx(struct sv_dbc *c, void *cls)
{
    struct sv_reset *r = cls;
    struct sv_actor actor = {r->account.id, r->account.username, r->ip,
                             r->user_agent};
    return sv_account_audit(c, r->tenant.id, &actor, SV_AUDIT_AUTH_RESET,
                            r->account.id, "failure", sv_err_code(r->verdict),
                            NULL);
}

enum sv_err
sv_reset_finish(struct sv_app *app, struct sv_reset *r)
{
    if (r->verdict != SV_OK) {
        /* A refused new password: the code stays usable, the try is kept. */
        if (sv_err_status(r->verdict) < 500 &&
            sv_db_run_tenant_tx(app->db, "reset_refused", r->tenant.id,
                                refused_tx, r) != SV_OK)
            sv_log(SV_LOG_WARN, "audit write failed", "%s",
                   sv_audit_action_name(SV_AUDIT_AUTH_RESET));
        return r->verdict;
    }
    return sv_db_run_tenant_tx(app->db, "reset", r->tenant.id, finish_tx, r);
}
