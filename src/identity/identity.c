#include "identity/identity.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "app.h"
#include "access/access.h"
#include "audit/audit.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "identity/identity_store.h"
#include "policy/policy.h"
#include "risk/risk.h"

/* risk/ keys names and slugs up to these lengths, as identity allows. */
_Static_assert(SV_GUARD_NAME_MAX == SV_USERNAME_MAX, "risk: username length");
_Static_assert(SV_GUARD_SLUG_MAX == SV_SLUG_MAX, "risk: slug length");

/* ---- rules ---- */

bool
sv_check_username(const char *s, size_t len)
{
    if (len < 3 || len > SV_USERNAME_MAX)
        return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

bool
sv_check_email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    size_t local, domain;

    if (len < 3 || len > SV_EMAIL_MAX || at == NULL)
        return false;
    local = (size_t)(at - s);
    domain = len - local - 1;
    if (local < 1 || local > 64 || domain < 1 ||
        memchr(at + 1, '@', domain) != NULL)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == '<' || ch == '>' || ch == '"' ||
            ch == '\\' || ch == ',' || ch == ';')
            return false;
    }
    return at[1] != '.' && s[len - 1] != '.';
}

bool
sv_role_parse(const char *s, enum sv_role *out)
{
    if (strcmp(s, "admin") == 0)
        *out = SV_ROLE_ADMIN;
    else if (strcmp(s, "auditor") == 0)
        *out = SV_ROLE_AUDITOR;
    else if (strcmp(s, "member") == 0)
        *out = SV_ROLE_MEMBER;
    else
        return false;
    return true;
}

const char *
sv_role_name(enum sv_role r)
{
    return r == SV_ROLE_ADMIN     ? "admin"
           : r == SV_ROLE_AUDITOR ? "auditor"
                                  : "member";
}

enum sv_err
sv_account_audit(struct sv_dbc *c, const char *tenant_id,
                 const struct sv_actor *actor, enum sv_audit_action action,
                 const char *target_id, const char *result, const char *reason,
                 const char *details)
{
    return sv_audit_by(c, tenant_id, actor, action,
                       target_id ? "account" : NULL, target_id, result, reason,
                       details);
}

/* ---- accounts ---- */

/* Decrypt the sealed e-mail of @p r into r->a.email. */
static enum sv_err
open_email(struct sv_dbc *c, struct account_row *r)
{
    enum sv_err rc;

    r->a.has_email = false;
    r->a.email[0] = '\0';
    if (r->email_enc_len == 0)
        return SV_OK;
    rc = sv_field_open_str_tx(c, r->a.tenant_id, r->a.id,
                              &identity_store_email_field, r->email_enc,
                              r->email_enc_len, r->a.email, sizeof r->a.email);
    r->a.has_email = rc == SV_OK;
    return rc;
}

enum sv_err
sv_account_create_tx(struct sv_dbc *c, const struct sv_tenant *t,
                     const char *username, enum sv_role role, const char *email,
                     const char *hash, const struct sv_actor *actor,
                     struct sv_account *out)
{
    struct account_row r;
    uint8_t bidx[SV_BLIND_INDEX_LEN];
    char details[128];
    enum sv_err rc;
    enum sv_qs qs;

    rc = sv_db_scope_tenant(c, t->id);
    if (rc != SV_OK)
        return rc;
    memset(&r, 0, sizeof r);
    sv_uuid7(r.a.id);
    snprintf(r.a.tenant_id, sizeof r.a.tenant_id, "%s", t->id);
    snprintf(r.a.username, sizeof r.a.username, "%s", username);
    r.a.role = role;
    r.a.must_change_password = true;
    r.a.created_at = sv_now_ms();
    snprintf(r.hash, sizeof r.hash, "%s", hash);
    if (email != NULL) {
        /* DIR-4 groundwork: sealed at rest, found by a keyed blind index. */
        rc =
            sv_field_seal_tx(c, t->id, r.a.id, &identity_store_email_field,
                             (const uint8_t *)email, strlen(email), r.email_enc,
                             sizeof r.email_enc, &r.email_enc_len);
        if (rc == SV_OK)
            rc = sv_field_blind_index_tx(c, t->id, &identity_store_email_field,
                                         email, bidx);
        if (rc != SV_OK)
            return rc;
        snprintf(r.a.email, sizeof r.a.email, "%s", email);
        r.a.has_email = true;
    }
    qs = identity_store_insert_account(c, &r, email ? bidx : NULL);
    if (qs == SV_QS_NONE)
        return SV_E_USERNAME_TAKEN;
    if (qs < 0)
        return sv_qs_err(qs);
    rc = sv_access_give_builtin_tx(
        c, t->id, r.a.id,
        role == SV_ROLE_ADMIN     ? SV_BUILTIN_TENANT_ADMIN
        : role == SV_ROLE_AUDITOR ? SV_BUILTIN_AUDITOR
                                  : SV_BUILTIN_MEMBER);
    if (rc != SV_OK)
        return rc;
    snprintf(details, sizeof details, "{\"username\":\"%s\",\"role\":\"%s\"}",
             username, sv_role_name(role)); /* username is [a-z0-9._-] */
    rc = sv_account_audit(c, t->id, actor, SV_AUDIT_ACCOUNT_CREATED, r.a.id,
                          "success", NULL, details);
    if (rc != SV_OK)
        return rc;
    if (out != NULL)
        *out = r.a;
    return SV_OK;
}

enum sv_err
sv_account_each_tx(struct sv_dbc *c, const char *tenant_id,
                   sv_account_each_fn fn, void *cls)
{
    return sv_qs_ok(identity_store_each_account(c, tenant_id, fn, cls));
}

enum sv_err
sv_account_insert_imported_tx(struct sv_dbc *c, const struct sv_tenant_keys *tk,
                              const char *tenant_id, const char *id,
                              const char *username, const char *email,
                              int64_t now)
{
    struct account_row *r = calloc(1, sizeof *r);
    uint8_t bidx[SV_BLIND_INDEX_LEN];
    enum sv_err rc = r != NULL ? SV_OK : SV_E_INTERNAL;
    enum sv_qs qs;

    if (rc == SV_OK) {
        snprintf(r->a.id, sizeof r->a.id, "%s", id);
        snprintf(r->a.tenant_id, sizeof r->a.tenant_id, "%s", tenant_id);
        snprintf(r->a.username, sizeof r->a.username, "%s", username);
        snprintf(r->hash, sizeof r->hash, "%s", SV_PASSWORD_NONE);
        r->a.must_change_password = true;
        r->a.created_at = now;
    }
    if (rc == SV_OK && email != NULL) {
        rc = sv_field_seal_keys(tk, tenant_id, id, &identity_store_email_field,
                                (const uint8_t *)email, strlen(email),
                                r->email_enc, sizeof r->email_enc,
                                &r->email_enc_len);
        sv_field_blind_index_keys(tk, &identity_store_email_field, email, bidx);
    }
    if (rc == SV_OK) {
        qs = identity_store_insert_account(c, r, email != NULL ? bidx : NULL);
        rc = qs == SV_QS_ONE ? SV_OK
                             : sv_qs_err(qs == SV_QS_NONE ? SV_QS_HARD : qs);
    }
    if (r != NULL)
        sodium_memzero(r, sizeof *r);
    free(r);
    return rc;
}

enum sv_err
sv_account_find(struct sv_dbc *c, const char *tenant_id, const char *id,
                struct sv_account *out)
{
    struct account_row r;
    enum sv_err rc;

    rc = sv_qs_found(identity_store_find_account(c, tenant_id, id, &r));
    if (rc == SV_OK)
        rc = open_email(c, &r);
    if (rc == SV_OK)
        *out = r.a;
    sodium_memzero(&r, sizeof r);
    return rc;
}

enum sv_err
sv_account_find_by_username(struct sv_dbc *c, const char *tenant_id,
                            const char *username, struct sv_account *out)
{
    struct account_row r;
    enum sv_err rc;

    rc = sv_qs_found(
        identity_store_find_account_by_username(c, tenant_id, username, &r));
    if (rc == SV_OK)
        rc = open_email(c, &r);
    if (rc == SV_OK)
        *out = r.a;
    sodium_memzero(&r, sizeof r);
    return rc;
}

struct list_ctx {
    struct sv_dbc *c;
    sv_account_row_fn row;
    void *cls;
    int n, limit;
    enum sv_err rc;
};

static void
list_row(void *cls, struct account_row *r)
{
    struct list_ctx *l = cls;
    enum sv_err rc;

    l->n++;
    if (l->n > l->limit || l->rc != SV_OK)
        return; /* the look-ahead row only says "there is more" */
    rc = open_email(l->c, r);
    if (rc != SV_OK) {
        l->rc = rc;
        return;
    }
    l->row(l->cls, &r->a);
}

enum sv_err
sv_account_list(struct sv_dbc *c, const char *tenant_id, const char *q,
                const char *after_id, int limit, sv_account_row_fn row,
                void *cls, bool *more)
{
    struct list_ctx l = {c, row, cls, 0, limit, SV_OK};
    uint8_t bidx[SV_BLIND_INDEX_LEN];
    char like[2 * SV_ACCOUNT_QUERY_MAX + 3];
    bool by_email = false;
    enum sv_qs qs;

    if (q != NULL) {
        size_t len = strlen(q);
        /* Usernames are lower case: a lower-case prefix. */
        if (len < 1 || len > SV_ACCOUNT_QUERY_MAX ||
            !sv_like_pattern(q, false, like, sizeof like))
            return SV_E_FIELD_INVALID;
        /* The e-mail is sealed: only a whole address can be found (by its
         * blind index, which lower-cases it), never a prefix. */
        if (sv_check_email(q, len)) {
            enum sv_err rc = sv_field_blind_index_tx(
                c, tenant_id, &identity_store_email_field, q, bidx);
            if (rc != SV_OK)
                return rc;
            by_email = true;
        }
    }
    qs = identity_store_list_accounts(c, tenant_id, after_id, limit + 1,
                                      q != NULL ? like : NULL,
                                      by_email ? bidx : NULL, list_row, &l);
    if (qs < 0)
        return sv_qs_err(qs);
    *more = l.n > limit;
    return l.rc;
}

enum sv_err
sv_account_reset_tx(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, const char *hash,
                    const struct sv_actor *actor)
{
    struct account_row r;
    enum sv_err rc;

    rc = sv_db_scope_tenant(c, tenant_id);
    if (rc != SV_OK)
        return rc;
    rc = sv_qs_found(identity_store_find_account(c, tenant_id, account_id, &r));
    sodium_memzero(&r, sizeof r);
    if (rc != SV_OK)
        return rc; /* DIR-1: another tenant's id is simply not found */
    rc = sv_account_set_password_tx(c, tenant_id, account_id, hash, true);
    if (rc == SV_OK)
        rc = sv_account_audit(c, tenant_id, actor,
                              SV_AUDIT_ACCOUNT_PASSWORD_RESET, account_id,
                              "success", NULL, NULL);
    return rc;
}

/* ---- sessions ---- */

struct resolve_ctx {
    struct sv_app *app;
    const uint8_t *hash;
    struct sv_session *out;
};

static enum sv_err
resolve_tx(struct sv_dbc *c, void *cls)
{
    struct resolve_ctx *r = cls;
    enum sv_err rc = sv_db_scope_session(c, r->hash);
    if (rc != SV_OK)
        return rc;
    enum sv_qs qs = identity_store_resolve_session(
        c, r->hash, sv_now_ms(), r->app->cfg.idle_timeout_ms, r->out);
    if (qs == SV_QS_NONE)
        return SV_E_UNAUTHENTICATED;
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

static enum sv_err
touch_tx(struct sv_dbc *c, void *cls)
{
    struct sv_session *s = cls;
    return sv_qs_ok(
        identity_store_touch_session(c, s->tenant_id, s->id, sv_now_ms()));
}

enum sv_err
sv_session_resolve(struct sv_app *app, const char *token,
                   struct sv_session *out)
{
    uint8_t hash[SV_TOKEN_HASH_LEN];
    struct resolve_ctx r = {app, hash, out};
    enum sv_err rc;

    if (!sv_token_hash(token, hash))
        return SV_E_UNAUTHENTICATED;
    rc = sv_db_run_one(app->db, resolve_tx, &r);
    if (rc != SV_OK)
        return rc;
    /*
     * Idle tracking needs a write; do it at most once a minute, and often
     * enough (a quarter of the idle timeout) that a session in use never
     * idles out.
     */
    int64_t every = app->cfg.idle_timeout_ms / 4;
    if (every > 60 * 1000)
        every = 60 * 1000;
    if (sv_now_ms() - out->last_seen_at >= every) {
        rc = sv_db_run_tenant_tx(app->db, "session_touch", out->tenant_id,
                                 touch_tx, out);
        if (rc != SV_OK)
            sv_log(SV_LOG_WARN, "session touch failed", "%s", sv_err_code(rc));
    }
    return SV_OK;
}

struct sessions_ctx {
    struct sv_app *app;
    const struct sv_session *s;
    void (*start)(void *cls);
    sv_session_row_fn row;
    void *cls;
};

static enum sv_err
sessions_tx(struct sv_dbc *c, void *cls)
{
    struct sessions_ctx *x = cls;

    x->start(x->cls);
    return sv_qs_ok(identity_store_list_sessions(
        c, x->s->tenant_id, x->s->account_id, sv_now_ms(),
        x->app->cfg.idle_timeout_ms, x->row, x->cls));
}

enum sv_err
sv_sessions_list(struct sv_app *app, const struct sv_session *s,
                 void (*start)(void *cls), sv_session_row_fn row, void *cls)
{
    struct sessions_ctx x = {app, s, start, row, cls};
    return sv_db_run_tenant_ro(app->db, s->tenant_id, sessions_tx, &x);
}

struct own_ctx {
    const struct sv_session *s;
    const char *id;
    const struct sv_actor *actor;
    int64_t n;
};

static enum sv_err
revoke_own_tx(struct sv_dbc *c, void *cls)
{
    struct own_ctx *x = cls;
    enum sv_qs qs = identity_store_revoke_own_session(
        c, x->s->tenant_id, x->s->account_id, x->id, sv_now_ms());

    if (qs != SV_QS_ONE)
        return sv_qs_found(qs);
    return sv_audit_by(c, x->s->tenant_id, x->actor, SV_AUDIT_SESSION_REVOKE,
                       "session", x->id, "success", NULL, NULL);
}

enum sv_err
sv_session_revoke_own(struct sv_app *app, const struct sv_session *s,
                      const char *id, const struct sv_actor *actor)
{
    struct own_ctx x = {s, id, actor, 0};
    return sv_db_run_tenant_tx(app->db, "session_revoke_own", s->tenant_id,
                               revoke_own_tx, &x);
}

static enum sv_err
revoke_others_tx(struct sv_dbc *c, void *cls)
{
    struct own_ctx *x = cls;
    char details[48];
    enum sv_qs qs = identity_store_revoke_other_sessions(
        c, x->s->tenant_id, x->s->account_id, x->s->id, sv_now_ms(), &x->n);

    if (qs < 0)
        return sv_qs_err(qs);
    snprintf(details, sizeof details, "{\"count\":%lld}", (long long)x->n);
    return sv_audit_by(c, x->s->tenant_id, x->actor,
                       SV_AUDIT_SESSION_REVOKE_OTHERS, "account",
                       x->s->account_id, "success", NULL, details);
}

enum sv_err
sv_sessions_revoke_others(struct sv_app *app, const struct sv_session *s,
                          const struct sv_actor *actor, int64_t *n)
{
    struct own_ctx x = {s, NULL, actor, 0};
    enum sv_err rc = sv_db_run_tenant_tx(app->db, "session_revoke_others",
                                         s->tenant_id, revoke_others_tx, &x);
    *n = x.n;
    return rc;
}

static enum sv_err
revoke_tx(struct sv_dbc *c, void *cls)
{
    struct own_ctx *r = cls;
    enum sv_err rc = sv_qs_ok(identity_store_revoke_session(
        c, r->s->tenant_id, r->s->id, sv_now_ms()));
    if (rc != SV_OK)
        return rc;
    return sv_account_audit(c, r->s->tenant_id, r->actor, SV_AUDIT_AUTH_LOGOUT,
                            r->s->account_id, "success", NULL, NULL);
}

enum sv_err
sv_session_sweep_tx(struct sv_dbc *c, const char *tenant_id, int64_t now_ms)
{
    return sv_qs_ok(identity_store_sweep_sessions(c, tenant_id,
                                                  now_ms - SV_SESSION_KEEP_MS));
}

enum sv_err
sv_session_revoke(struct sv_app *app, const struct sv_session *s,
                  const struct sv_actor *actor)
{
    struct own_ctx r = {s, NULL, actor, 0};
    return sv_db_run_tenant_tx(app->db, "logout", s->tenant_id, revoke_tx, &r);
}

/* ---- password change ---- */

enum sv_err
sv_pwchange_init(struct sv_pwchange *p, const char *current, size_t clen,
                 const char *next, size_t nlen)
{
    p->current = sv_secret_dup(current, clen);
    p->current_len = clen;
    p->next = sv_secret_dup(next, nlen);
    p->next_len = nlen;
    return p->current && p->next ? SV_OK : SV_E_OVERLOADED;
}

static void
pw_place(const struct sv_pwchange *p, char out[64])
{
    snprintf(out, 64, "pw:%s", p->session->account_id);
}

void
sv_pwchange_leave(struct sv_pwchange *p)
{
    char place[64];
    if (!p->held)
        return;
    pw_place(p, place);
    sv_guard_source_leave(place);
    p->held = false;
}

void
sv_pwchange_free(struct sv_pwchange *p)
{
    sv_pwchange_leave(p);
    sodium_free(p->current);
    sodium_free(p->next);
    p->current = p->next = NULL;
    sodium_memzero(p->hash, sizeof p->hash);
    sodium_memzero(p->new_hash, sizeof p->new_hash);
}

static enum sv_err
pwchange_lookup_tx(struct sv_dbc *c, void *cls)
{
    struct sv_pwchange *p = cls;
    const struct sv_session *s = p->session;
    struct account_row r;
    enum sv_err rc;

    bool over = false;

    rc = sv_db_scope_platform(c);
    /* AUTH-3: guessing the current password is bounded per account. */
    if (rc == SV_OK)
        rc = sv_guard_key_over(c, p->app, "pwchange", s->account_id,
                               SV_PWCHANGE_MAX_FAILURES, sv_now_ms(), &over);
    if (rc == SV_OK && over)
        rc = SV_E_RATE_LIMITED;
    if (rc == SV_OK)
        rc = sv_tenant_find(c, s->tenant_id, &p->tenant);
    if (rc != SV_OK)
        return rc;
    rc = sv_qs_found(
        identity_store_find_account(c, s->tenant_id, s->account_id, &r));
    if (rc == SV_OK)
        rc = open_email(c, &r);
    if (rc != SV_OK)
        return rc;
    p->account = r.a;
    memcpy(p->hash, r.hash, sizeof p->hash);
    sodium_memzero(&r, sizeof r);
    return SV_OK;
}

enum sv_err
sv_pwchange_lookup(struct sv_app *app, struct sv_pwchange *p)
{
    char place[64];

    /* One change of an account at a time: its hashes share the pool
     * with every tenant's sign-ins. */
    pw_place(p, place);
    if (!p->held && !sv_guard_source_enter(place, 1))
        return SV_E_RATE_LIMITED;
    p->held = true;
    p->app = app;
    return sv_db_run_tenant_ro(app->db, p->session->tenant_id,
                               pwchange_lookup_tx, p);
}

/* AUTH-1: the personal words a new password must not contain. */
static struct sv_pw_context
pw_context(const struct sv_tenant *t, const struct sv_account *a)
{
    return (struct sv_pw_context){
        .username = a->username,
        .tenant_slug = t->slug,
        .tenant_name = t->name,
        .email = a->has_email ? a->email : NULL,
    };
}

enum sv_err
sv_account_new_password(struct sv_app *app, const struct sv_tenant *t,
                        const struct sv_account *a, const char *pw, size_t len,
                        char out[SV_HASH_LEN])
{
    struct sv_pw_context ctx = pw_context(t, a);
    enum sv_err rc = sv_policy_check(&t->policy, &ctx, pw, len);

    return rc == SV_OK ? sv_password_hash(&app->pw, pw, len, out) : rc;
}

struct pwcheck_ctx {
    const struct sv_session *s;
    struct sv_tenant t;
    struct sv_account a;
};

static enum sv_err
pwcheck_tx(struct sv_dbc *c, void *cls)
{
    struct pwcheck_ctx *x = cls;
    struct account_row r;
    enum sv_err rc = sv_tenant_find(c, x->s->tenant_id, &x->t);

    if (rc == SV_OK)
        rc = sv_qs_found(identity_store_find_account(c, x->s->tenant_id,
                                                     x->s->account_id, &r));
    if (rc == SV_OK)
        rc = open_email(c, &r);
    if (rc == SV_OK)
        x->a = r.a;
    sodium_memzero(&r, sizeof r); /* the password hash */
    return rc;
}

enum sv_err
sv_password_check(struct sv_app *app, const struct sv_session *s,
                  const char *pw, size_t len, struct sv_pw_report *out)
{
    struct pwcheck_ctx x = {.s = s};
    struct sv_pw_context ctx;
    enum sv_err rc = sv_db_run_tenant_ro(app->db, s->tenant_id, pwcheck_tx, &x);

    if (rc != SV_OK)
        return rc;
    ctx = pw_context(&x.t, &x.a);
    sv_policy_report(&x.t.policy, &ctx, pw, len, out);
    return SV_OK;
}

void
sv_pwchange_work(struct sv_app *app, struct sv_pwchange *p)
{
    if (sv_password_verify(p->hash, p->current, p->current_len) != SV_OK) {
        p->verdict = SV_E_CURRENT_PASSWORD_INVALID;
        return;
    }
    if (p->next_len == p->current_len &&
        sodium_memcmp(p->next, p->current, p->next_len) == 0) {
        p->verdict = SV_E_PASSWORD_REUSED;
        return;
    }
    p->verdict = sv_account_new_password(app, &p->tenant, &p->account, p->next,
                                         p->next_len, p->new_hash);
}

static enum sv_err
pwchange_finish_tx(struct sv_dbc *c, void *cls)
{
    struct sv_pwchange *p = cls;
    const struct sv_session *s = p->session;
    struct sv_actor actor = {s->account_id, s->username, p->ip, p->user_agent};
    int64_t now = sv_now_ms();
    enum sv_err rc;

    enum sv_qs qs;

    /* The session may have been revoked while the hashes were computed. */
    qs = identity_store_session_alive(c, s->tenant_id, s->id);
    if (qs == SV_QS_NONE)
        return SV_E_UNAUTHENTICATED;
    if (qs < 0)
        return sv_qs_err(qs);
    /* And the verified password must still be the current one. */
    qs = identity_store_change_password(c, s->tenant_id, s->account_id, p->hash,
                                        p->new_hash, now);
    if (qs == SV_QS_NONE)
        return SV_E_CURRENT_PASSWORD_INVALID;
    rc = qs < 0 ? sv_qs_err(qs) : SV_OK;
    /* A changed password ends every other session of the account. */
    if (rc == SV_OK)
        rc = sv_qs_ok(identity_store_revoke_account_sessions(
            c, s->tenant_id, s->account_id, s->id, now));
    /* ... and every login in progress that passed the old one. */
    if (rc == SV_OK)
        rc = sv_account_close_logins_tx(c, s->account_id);
    if (rc == SV_OK)
        rc = sv_account_audit(c, s->tenant_id, &actor,
                              SV_AUDIT_ACCOUNT_PASSWORD_CHANGED, s->account_id,
                              "success", NULL, NULL);
    return rc;
}

static enum sv_err
pwchange_failed_tx(struct sv_dbc *c, void *cls)
{
    struct sv_pwchange *p = cls;
    const struct sv_session *s = p->session;
    struct sv_actor actor = {s->account_id, s->username, p->ip, p->user_agent};
    int64_t now = sv_now_ms();
    bool closing = false;
    enum sv_err rc;

    p->session_closed = false;
    rc = sv_account_audit(
        c, s->tenant_id, &actor, SV_AUDIT_ACCOUNT_PASSWORD_CHANGE_FAILED,
        s->account_id, "failure", sv_err_code(p->verdict), NULL);
    if (rc != SV_OK || p->verdict != SV_E_CURRENT_PASSWORD_INVALID)
        return rc;
    /* A session that keeps guessing its own password is closed. */
    rc = sv_db_scope_platform(c);
    if (rc == SV_OK)
        rc = sv_guard_key_fail_tx(c, p->app, "pwchange", s->account_id, now);
    if (rc == SV_OK)
        rc = sv_guard_key_fail_tx(c, p->app, "pwchange-session", s->id, now);
    if (rc == SV_OK)
        rc = sv_guard_key_over(c, p->app, "pwchange-session", s->id,
                               SV_PWCHANGE_SESSION_FAILURES, now, &closing);
    if (rc != SV_OK || !closing)
        return rc;
    rc = sv_qs_ok(identity_store_revoke_session(c, s->tenant_id, s->id, now));
    if (rc == SV_OK)
        rc = sv_account_audit(c, s->tenant_id, &actor,
                              SV_AUDIT_AUTH_SESSION_CLOSED, s->account_id,
                              "denied", "current_password_guessing", NULL);
    p->session_closed = rc == SV_OK;
    return rc;
}

enum sv_err
sv_pwchange_finish(struct sv_app *app, struct sv_pwchange *p)
{
    enum sv_err rc = p->verdict;

    if (rc == SV_OK)
        rc = sv_db_run_tenant_tx(app->db, "password_change",
                                 p->session->tenant_id, pwchange_finish_tx, p);
    if (rc != SV_OK && sv_err_status(rc) < 500) {
        /* A wrong current password from a live session is worth a trace
         * (a stolen session guessing it); so is each refused new one. */
        p->verdict = rc;
        if (sv_db_run_tx(app->db, "password_change_failed", pwchange_failed_tx,
                         p) != SV_OK)
            sv_log(
                SV_LOG_WARN, "audit write failed", "%s",
                sv_audit_action_name(SV_AUDIT_ACCOUNT_PASSWORD_CHANGE_FAILED));
    }
    return rc;
}

struct blocked_ctx {
    const struct sv_session *s;
    const struct sv_actor *actor;
    const char *route;
};

static enum sv_err
blocked_tx(struct sv_dbc *c, void *cls)
{
    struct blocked_ctx *b = cls;
    json_t *d = json_pack("{s:s}", "route", b->route);
    char *details = d ? json_dumps(d, JSON_COMPACT) : NULL;
    enum sv_err rc;

    json_decref(d);
    rc = sv_account_audit(
        c, b->s->tenant_id, b->actor, SV_AUDIT_AUTH_PASSWORD_CHANGE_REQUIRED,
        b->s->account_id, "denied", "password_change_required", details);
    free(details);
    return rc;
}

enum sv_err
sv_session_audit_blocked(struct sv_app *app, const struct sv_session *s,
                         const struct sv_actor *actor, const char *route)
{
    struct blocked_ctx b = {s, actor, route};
    return sv_db_run_tx(app->db, "audit_blocked", blocked_tx, &b);
}

/* ---- whole operations ---- */

struct keys_ctx {
    const char *tenant_id;
    uint32_t version;
    const struct sv_tenant_keys *tk;
};

static enum sv_err
keys_tx(struct sv_dbc *c, void *cls)
{
    struct keys_ctx *k = cls;
    return sv_tenant_keys_get(c, k->tenant_id, k->version, &k->tk);
}

enum sv_err
sv_me_get(struct sv_app *app, const struct sv_session *s, struct sv_account *a,
          struct sv_tenant *t)
{
    /* The session query already read the account and tenant: no SQL here
     * unless the tenant's keys are not cached yet. */
    memset(a, 0, sizeof *a);
    memset(t, 0, sizeof *t);
    snprintf(a->id, sizeof a->id, "%s", s->account_id);
    snprintf(a->tenant_id, sizeof a->tenant_id, "%s", s->tenant_id);
    snprintf(a->username, sizeof a->username, "%s", s->username);
    a->must_change_password = s->must_change_password;
    a->created_at = s->account_created_at;
    snprintf(t->id, sizeof t->id, "%s", s->tenant_id);
    snprintf(t->slug, sizeof t->slug, "%s", s->tenant_slug);
    snprintf(t->name, sizeof t->name, "%s", s->tenant_name);
    if (s->email_enc_len > 0) {
        struct keys_ctx k = {s->tenant_id,
                             sv_field_key_id(s->email_enc, s->email_enc_len),
                             NULL};
        enum sv_err rc;

        k.tk = sv_tenant_keys_cached(k.tenant_id, k.version);
        if (k.tk == NULL) {
            rc = sv_db_run_tenant_ro(app->db, k.tenant_id, keys_tx, &k);
            if (rc != SV_OK)
                return rc;
        }
        rc = sv_field_open_str_keys(
            k.tk, s->tenant_id, s->account_id, &identity_store_email_field,
            s->email_enc, s->email_enc_len, a->email, sizeof a->email);
        if (rc != SV_OK)
            return rc;
        a->has_email = true;
    }
    return SV_OK;
}

struct create_ctx {
    const char *tenant_id, *username, *email, *hash;
    enum sv_role role;
    const struct sv_actor *actor;
    struct sv_account *out;
};

static enum sv_err
create_tx(struct sv_dbc *c, void *cls)
{
    struct create_ctx *cc = cls;
    struct sv_tenant t;
    enum sv_err rc = sv_tenant_find(c, cc->tenant_id, &t);
    if (rc != SV_OK)
        return rc;
    return sv_account_create_tx(c, &t, cc->username, cc->role, cc->email,
                                cc->hash, cc->actor, cc->out);
}

enum sv_err
sv_account_create(struct sv_app *app, const char *tenant_id,
                  const char *username, enum sv_role role, const char *email,
                  const char *hash, const struct sv_actor *actor,
                  struct sv_account *out)
{
    struct create_ctx cc = {tenant_id, username, email, hash, role, actor, out};
    return sv_db_run_tenant_tx(app->db, "account_create", tenant_id, create_tx,
                               &cc);
}

struct reset_ctx {
    const char *tenant_id, *id, *hash;
    const struct sv_actor *actor;
};

static enum sv_err
reset_tx(struct sv_dbc *c, void *cls)
{
    struct reset_ctx *r = cls;
    return sv_account_reset_tx(c, r->tenant_id, r->id, r->hash, r->actor);
}

enum sv_err
sv_account_reset(struct sv_app *app, const char *tenant_id, const char *id,
                 const char *hash, const struct sv_actor *actor)
{
    struct reset_ctx r = {tenant_id, id, hash, actor};
    return sv_db_run_tx(app->db, "account_reset", reset_tx, &r);
}

/* ---- admin unlock, look-up, CSRF ---- */

struct unlock_ctx {
    struct sv_app *app;
    const char *tenant_id, *account_id;
    const struct sv_actor *actor;
};

static enum sv_err
unlock_tx(struct sv_dbc *c, void *cls)
{
    struct unlock_ctx *x = cls;
    struct sv_account a;
    struct sv_tenant t;
    enum sv_err rc = sv_account_find(c, x->tenant_id, x->account_id, &a);

    if (rc == SV_OK)
        rc = sv_tenant_find(c, x->tenant_id, &t);
    if (rc == SV_OK)
        rc = sv_guard_unlock_tx(c, x->app, t.slug, a.username);
    if (rc == SV_OK)
        rc = sv_audit_by(c, x->tenant_id, x->actor, SV_AUDIT_SECURITY_UNLOCK,
                         "account", x->account_id, "success", NULL, NULL);
    sodium_memzero(&a, sizeof a);
    return rc;
}

enum sv_err
sv_account_unlock(struct sv_app *app, const char *tenant_id,
                  const char *account_id, const struct sv_actor *actor)
{
    struct unlock_ctx x = {app, tenant_id, account_id, actor};
    return sv_db_run_tenant_tx(app->db, "account_unlock", tenant_id, unlock_tx,
                               &x);
}

struct get_ctx {
    const char *tenant_id, *id;
    struct sv_account *out;
};

static enum sv_err
get_tx(struct sv_dbc *c, void *cls)
{
    struct get_ctx *x = cls;
    return sv_account_find(c, x->tenant_id, x->id, x->out);
}

enum sv_err
sv_account_get(struct sv_app *app, const char *tenant_id, const char *id,
               struct sv_account *out)
{
    struct get_ctx x = {tenant_id, id, out};
    return sv_db_run_tenant_ro(app->db, tenant_id, get_tx, &x);
}

void
sv_csrf_token(const struct sv_app *app, const char *token, char out[48])
{
    uint8_t mac[32];
    crypto_auth_hmacsha256(mac, (const uint8_t *)token, strlen(token),
                           app->csrf_key);
    sodium_bin2base64(out, 48, mac, sizeof mac,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(mac, sizeof mac);
}

enum sv_err
sv_account_must_change_tx(struct sv_dbc *c, const char *tenant_id,
                          const char *account_id)
{
    return sv_qs_ok(identity_store_flag_change(c, tenant_id, account_id));
}

enum sv_err
sv_account_close_logins_tx(struct sv_dbc *c, const char *account_id)
{
    return sv_qs_ok(identity_store_close_logins(c, account_id));
}

enum sv_err
sv_account_set_password_tx(struct sv_dbc *c, const char *tenant_id,
                           const char *account_id, const char *hash,
                           bool must_change)
{
    int64_t now = sv_now_ms();
    enum sv_qs qs = identity_store_set_password(c, tenant_id, account_id, hash,
                                                must_change, now);
    enum sv_err rc = sv_qs_found(qs);

    if (rc == SV_OK)
        rc = sv_qs_ok(identity_store_revoke_account_sessions(
            c, tenant_id, account_id, NULL, now));
    if (rc == SV_OK)
        rc = sv_account_close_logins_tx(c, account_id);
    return rc;
}

enum sv_err
sv_account_credentials_tx(struct sv_dbc *c, const char *tenant_id,
                          const char *username, struct sv_account *out,
                          char hash[SV_HASH_LEN])
{
    struct account_row r;
    enum sv_err rc = sv_qs_found(
        identity_store_find_account_by_username(c, tenant_id, username, &r));

    if (rc == SV_OK) {
        *out = r.a;
        memcpy(hash, r.hash, SV_HASH_LEN);
    }
    sodium_memzero(&r, sizeof r);
    return rc;
}

enum sv_err
sv_account_confirm_hash_tx(struct sv_dbc *c, const char *tenant_id,
                           const char *account_id, const char *checked,
                           const char *store, bool *still)
{
    enum sv_qs qs =
        identity_store_swap_hash(c, tenant_id, account_id, checked, store);
    *still = qs == SV_QS_ONE;
    return sv_qs_ok(qs);
}

enum sv_err
sv_session_open_tx(struct sv_dbc *c, const char *tenant_id,
                   const char *account_id, const uint8_t *token_hash,
                   int64_t now, int64_t expires_at, const char *ip,
                   const char *user_agent, const char *device_id,
                   bool mfa_pending, char id_out[37])
{
    enum sv_qs qs;

    sv_uuid7(id_out);
    qs = identity_store_insert_session(c, tenant_id, id_out, account_id,
                                       token_hash, now, expires_at, ip,
                                       user_agent, device_id, mfa_pending);
    return qs == SV_QS_ONE ? SV_OK : sv_qs_err(qs);
}

/* ---- DIR-6: disabled accounts ---- */

enum sv_err
sv_account_disable_tx(struct sv_dbc *c, const char *tenant_id,
                      const char *account_id, int64_t *sessions)
{
    struct account_row r;
    int64_t now = sv_now_ms();
    enum sv_err rc;
    enum sv_qs qs;

    *sessions = 0;
    rc = sv_qs_found(identity_store_find_account(c, tenant_id, account_id, &r));
    sodium_memzero(&r, sizeof r);
    if (rc != SV_OK)
        return rc;
    qs = identity_store_set_disabled(c, tenant_id, account_id, true, now);
    if (qs < 0)
        return sv_qs_err(qs);
    qs = identity_store_revoke_other_sessions(c, tenant_id, account_id, NULL,
                                              now, sessions);
    if (qs < 0)
        return sv_qs_err(qs);
    return sv_account_close_logins_tx(c, account_id);
}

enum sv_err
sv_account_enable_tx(struct sv_dbc *c, const char *tenant_id,
                     const char *account_id, const char *hash)
{
    struct account_row r;
    enum sv_err rc;
    enum sv_qs qs;

    rc = sv_qs_found(identity_store_find_account(c, tenant_id, account_id, &r));
    sodium_memzero(&r, sizeof r);
    if (rc != SV_OK)
        return rc;
    qs = identity_store_set_disabled(c, tenant_id, account_id, false,
                                     sv_now_ms());
    if (qs < 0)
        return sv_qs_err(qs);
    return hash != NULL ? sv_account_set_password_tx(c, tenant_id, account_id,
                                                     hash, true)
                        : SV_OK;
}
