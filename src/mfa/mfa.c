#include "mfa/mfa.h"

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
#include "mfa/mfa_store.h"
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

/* ---- keyed hashes of codes ---- */

/*
 * Recovery codes: the tenant's blind-index key (HMAC-SHA-256) over account
 * id and code. A keyed hash, so a stolen database does not give the codes
 * up to an offline search; the tenant key because sv_totp_check_tx() runs
 * on a bare connection. Like the e-mail blind index it uses the tenant's
 * index key, which a key rotation leaves as it is (directory/keys.h).
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
    return sv_qs_ok(qs);
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
    if (!sv_check_digits(code, SV_TOTP_DIGITS)) {
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
        rc = sv_qs_ok(qs);
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
    good = sv_check_digits(cc->code, SV_TOTP_DIGITS) &&
           sv_totp_verify(secret, sizeof secret, cc->code, sv_now_ms() / 1000,
                          0, &step);
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
        rc = sv_qs_ok(
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
    rc = sv_qs_ok(mfa_store_totp_delete(c, s->tenant_id, s->account_id));
    if (rc == SV_OK)
        rc =
            sv_qs_ok(mfa_store_recovery_delete(c, s->tenant_id, s->account_id));
    if (rc == SV_OK && confirmed)
        rc = sv_qs_ok(
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
sv_phone_bound_tx(struct sv_dbc *c, const char *tenant_id,
                  const char *account_id, bool *out)
{
    uint8_t enc[MFA_PHONE_ENC_MAX];
    size_t len = 0;
    enum sv_qs qs = mfa_store_phone_find(c, tenant_id, account_id, enc, &len);

    *out = qs == SV_QS_ONE && len > 0;
    return sv_qs_ok(qs);
}

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

/* ---- the admin's list of users ---- */

/* Country code and the last four digits: "+86*******5678". */
static void
phone_mask(const char *phone, char out[SV_PHONE_MAX + 1])
{
    size_t len = strlen(phone);

    for (size_t i = 0; i < len; i++)
        out[i] = i < 3 || i + 4 >= len ? phone[i] : '*';
    out[len] = '\0';
}

/* @p u's factors and lock, for its account u->a (at most three indexed
 * look-ups). */
static enum sv_err
user_view_tx(struct sv_dbc *c, struct sv_app *app, const char *tenant_id,
             const char *tenant_slug, int64_t now, struct sv_user_view *u)
{
    char phone[SV_PHONE_MAX + 1];
    struct sv_guard g;
    enum sv_err rc;

    rc = sv_totp_enrolled_tx(c, tenant_id, u->a->id, &u->totp);
    if (rc == SV_OK)
        rc = sv_phone_get_tx(c, tenant_id, u->a->id, phone, &u->has_phone);
    if (rc != SV_OK)
        return rc;
    if (u->has_phone)
        phone_mask(phone, u->phone_masked);
    sodium_memzero(phone, sizeof phone);
    /* AUTH-4: the lock is the name's (tenant slug + username). */
    sv_guard_init(app, &g, tenant_slug, u->a->username, "", NULL);
    rc = sv_guard_read(c, app, &g, now);
    if (rc != SV_OK)
        return rc;
    u->locked_until = g.locked_until > now ? g.locked_until : 0;
    return SV_OK;
}

struct users_ctx {
    struct sv_app *app;
    const char *tenant_id, *tenant_slug, *q, *after_id;
    int limit, n;
    void (*start)(void *cls);
    sv_user_row_fn row;
    void *cls;
    bool *more;
    struct sv_account *accounts; /* limit of them */
};

static void
users_collect(void *cls, const struct sv_account *a)
{
    struct users_ctx *x = cls;
    if (x->n < x->limit)
        x->accounts[x->n++] = *a;
}

static enum sv_err
users_tx(struct sv_dbc *c, void *cls)
{
    struct users_ctx *x = cls;
    int64_t now = sv_now_ms();
    enum sv_err rc;

    x->n = 0;
    x->start(x->cls);
    /* The page whole first, then each account's factors and lock (at most
     * three indexed look-ups an account, limit accounts). */
    rc = sv_account_list(c, x->tenant_id, x->q, x->after_id, x->limit,
                         users_collect, x, x->more);
    for (int i = 0; i < x->n && rc == SV_OK; i++) {
        struct sv_user_view u = {.a = &x->accounts[i]};
        rc = user_view_tx(c, x->app, x->tenant_id, x->tenant_slug, now, &u);
        if (rc == SV_OK)
            x->row(x->cls, &u);
    }
    return rc;
}

enum sv_err
sv_users_page(struct sv_app *app, const char *tenant_id,
              const char *tenant_slug, const char *q, const char *after_id,
              int limit, void (*start)(void *cls), sv_user_row_fn row,
              void *cls, bool *more)
{
    struct users_ctx x = {app, tenant_id, tenant_slug, q,   after_id, limit,
                          0,   start,     row,         cls, more,     NULL};
    enum sv_err rc;

    if (limit < 1 || limit > 1000)
        return SV_E_FIELD_INVALID;
    x.accounts = calloc((size_t)limit, sizeof *x.accounts);
    if (x.accounts == NULL)
        return SV_E_OVERLOADED;
    rc = sv_db_run_tenant_ro(app->db, tenant_id, users_tx, &x);
    sodium_memzero(x.accounts, (size_t)limit * sizeof *x.accounts);
    free(x.accounts);
    return rc;
}

struct user_get_ctx {
    struct sv_app *app;
    const char *tenant_id, *tenant_slug, *id;
    sv_user_row_fn row;
    void *cls;
};

static enum sv_err
user_get_tx(struct sv_dbc *c, void *cls)
{
    struct user_get_ctx *x = cls;
    struct sv_account a;
    struct sv_user_view u = {.a = &a};
    enum sv_err rc = sv_account_find(c, x->tenant_id, x->id, &a);

    if (rc == SV_OK)
        rc = user_view_tx(c, x->app, x->tenant_id, x->tenant_slug, sv_now_ms(),
                          &u);
    if (rc == SV_OK)
        x->row(x->cls, &u);
    sodium_memzero(&a, sizeof a);
    return rc;
}

enum sv_err
sv_user_get(struct sv_app *app, const char *tenant_id, const char *tenant_slug,
            const char *id, sv_user_row_fn row, void *cls)
{
    struct user_get_ctx x = {app, tenant_id, tenant_slug, id, row, cls};
    return sv_db_run_tenant_ro(app->db, tenant_id, user_get_tx, &x);
}
