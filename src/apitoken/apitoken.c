/* API tokens: see apitoken.h. */
#include "apitoken/apitoken.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "apitoken/apitoken_store.h"
#include "app.h"
#include "audit/audit.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"

#define DAY_MS (24 * 3600 * 1000LL)
/* last_used_at is written at most this often. */
#define TOUCH_EVERY_MS (60 * 1000LL)

bool
sv_check_api_token_name(const char *s, size_t len)
{
    return sv_check_plain_text(s, len, 1, SV_API_TOKEN_NAME_MAX);
}

static enum sv_err
audit_token(struct sv_dbc *c, const char *tenant_id,
            const struct sv_actor *actor, enum sv_audit_action action,
            const struct sv_api_token *t, const char *via)
{
    json_t *d = json_pack("{s:s, s:s, s:s}", "name", t->name, "scope", t->scope,
                          "created_by", t->created_by);

    if (via != NULL)
        json_object_set_new(d, "via", json_string(via));
    if (t->expires_at > 0) {
        char at[SV_RFC3339_LEN + 1];
        sv_rfc3339(t->expires_at, at);
        json_object_set_new(d, "expires_at", json_string(at));
    }
    return sv_audit_json(c, tenant_id, actor, action, "api_token", t->id, NULL,
                         d);
}

/* ---- create ---- */

struct create_ctx {
    const char *tenant_id;
    const struct sv_actor *actor;
    struct sv_api_token *t;
    const char *key;
    const uint8_t *hash;
    const char **field;
};

static enum sv_err
create_tx(struct sv_dbc *c, void *cls)
{
    struct create_ctx *x = cls;
    int64_t live = 0;
    enum sv_qs qs;

    if ((qs = apitoken_store_name_taken(c, x->tenant_id, x->key)) < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE) {
        *x->field = "name";
        return SV_E_EXISTS;
    }
    if ((qs = apitoken_store_live_count(c, x->tenant_id, x->t->created_at,
                                        &live)) < 0)
        return sv_qs_err(qs);
    if (live >= SV_API_TOKENS_MAX)
        return SV_E_CONFLICT;
    qs = apitoken_store_insert(c, x->tenant_id, x->t, x->key, x->hash);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
    return audit_token(c, x->tenant_id, x->actor, SV_AUDIT_API_TOKEN_CREATE,
                       x->t, NULL);
}

enum sv_err
sv_api_token_create(struct sv_db *db, const char *tenant_id, const char *name,
                    const char *scope, int64_t days,
                    const struct sv_actor *actor, struct sv_api_token *out,
                    char secret[SV_TOKEN_LEN + 1], const char **field)
{
    char key[SV_API_TOKEN_NAME_MAX * 4 + 1];
    uint8_t hash[SV_TOKEN_HASH_LEN];
    struct create_ctx x = {tenant_id, actor, out, key, hash, field};
    enum sv_err rc;

    *field = NULL;
    secret[0] = '\0';
    if (actor == NULL || actor->account_id == NULL)
        return SV_E_INTERNAL;
    if (!sv_check_api_token_name(name, strlen(name))) {
        *field = "name";
        return SV_E_FIELD_INVALID;
    }
    if (strcmp(scope, "scim") != 0) {
        *field = "scope";
        return SV_E_FIELD_INVALID;
    }
    if (days < 0 || days > SV_API_TOKEN_DAYS_MAX) {
        *field = "expires_in_days";
        return SV_E_FIELD_INVALID;
    }
    memset(out, 0, sizeof *out);
    sv_uuid7(out->id);
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->scope, sizeof out->scope, "%s", scope);
    snprintf(out->created_by, sizeof out->created_by, "%s", actor->account_id);
    snprintf(out->created_by_name, sizeof out->created_by_name, "%s",
             actor->username != NULL ? actor->username : "");
    out->created_at = sv_now_ms();
    out->expires_at = days > 0 ? out->created_at + days * DAY_MS : 0;
    sv_ascii_lower(name, key);
    sv_token_new_prefixed(SV_API_TOKEN_PREFIX, secret, hash);
    rc = sv_db_run_tenant_tx(db, "api_token_create", tenant_id, create_tx, &x);
    sodium_memzero(hash, sizeof hash);
    if (rc != SV_OK)
        sodium_memzero(secret, SV_TOKEN_LEN + 1);
    return rc;
}

/* ---- revoke, list ---- */

struct revoke_ctx {
    const char *tenant_id, *id;
    const struct sv_actor *actor;
};

static enum sv_err
revoke_tx(struct sv_dbc *c, void *cls)
{
    struct revoke_ctx *x = cls;
    struct sv_api_token t;
    enum sv_qs qs = apitoken_store_find(c, x->tenant_id, x->id, &t);

    if (qs != SV_QS_ONE)
        return sv_qs_found(qs);
    qs = apitoken_store_revoke(c, x->tenant_id, x->id, sv_now_ms());
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_NOT_FOUND; /* revoked already */
    return audit_token(c, x->tenant_id, x->actor, SV_AUDIT_API_TOKEN_REVOKE, &t,
                       NULL);
}

enum sv_err
sv_api_token_revoke(struct sv_db *db, const char *tenant_id, const char *id,
                    const struct sv_actor *actor)
{
    struct revoke_ctx x = {tenant_id, id, actor};

    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_db_run_tenant_tx(db, "api_token_revoke", tenant_id, revoke_tx,
                               &x);
}

struct list_args {
    const char *tenant_id;
    void (*start)(void *);
    sv_api_token_row_fn row;
    void *cls;
};

static enum sv_err
list_ro(struct sv_dbc *c, void *cls)
{
    struct list_args *a = cls;
    if (a->start != NULL)
        a->start(a->cls);
    return sv_qs_ok(apitoken_store_list(c, a->tenant_id, a->row, a->cls));
}

enum sv_err
sv_api_token_list(struct sv_db *db, const char *tenant_id,
                  void (*start)(void *), sv_api_token_row_fn row, void *cls)
{
    struct list_args a = {tenant_id, start, row, cls};
    return sv_db_run_tenant_ro(db, tenant_id, list_ro, &a);
}

/* ---- resolve ---- */

struct resolve_ctx {
    const uint8_t *hash;
    struct sv_api_token *t;
    char tenant_id[37];
};

static enum sv_err
resolve_tx(struct sv_dbc *c, void *cls)
{
    struct resolve_ctx *r = cls;
    enum sv_err rc = sv_db_scope_session(c, r->hash);
    enum sv_qs qs;

    if (rc != SV_OK)
        return rc;
    qs = apitoken_store_resolve(c, r->hash, sv_now_ms(), r->t, r->tenant_id);
    if (qs == SV_QS_NONE)
        return SV_E_UNAUTHENTICATED;
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

static enum sv_err
touch_tx(struct sv_dbc *c, void *cls)
{
    struct resolve_ctx *r = cls;
    return sv_qs_ok(
        apitoken_store_touch(c, r->tenant_id, r->t->id, sv_now_ms()));
}

enum sv_err
sv_api_token_resolve(struct sv_app *app, const char *token, const char *scope,
                     struct sv_session *out)
{
    uint8_t hash[SV_TOKEN_HASH_LEN];
    struct sv_api_token t;
    struct resolve_ctx r = {hash, &t, ""};
    enum sv_err rc;

    memset(out, 0, sizeof *out);
    if (!sv_token_hash_prefixed(SV_API_TOKEN_PREFIX, token, hash))
        return SV_E_UNAUTHENTICATED;
    rc = sv_db_run_one(app->db, resolve_tx, &r);
    sodium_memzero(hash, sizeof hash);
    if (rc != SV_OK)
        return rc;
    if (strcmp(t.scope, scope) != 0)
        return SV_E_UNAUTHENTICATED;
    if (sv_now_ms() - t.last_used_at >= TOUCH_EVERY_MS) {
        rc = sv_db_run_tenant_tx(app->db, "api_token_touch", r.tenant_id,
                                 touch_tx, &r);
        if (rc != SV_OK)
            sv_log(SV_LOG_WARN, "api token touch failed", "%s",
                   sv_err_code(rc));
    }
    snprintf(out->id, sizeof out->id, "%s", t.id);
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", r.tenant_id);
    snprintf(out->account_id, sizeof out->account_id, "%s", t.created_by);
    snprintf(out->username, sizeof out->username, "token:%s", t.name);
    out->expires_at = t.expires_at;
    return SV_OK;
}

/* ---- offboarding ---- */

struct offboard_ctx {
    size_t n;
    struct sv_api_token *tokens;
    bool oom;
};

static void
collect(void *cls, const struct sv_api_token *t)
{
    struct offboard_ctx *o = cls;
    void *p = realloc(o->tokens, (o->n + 1) * sizeof *o->tokens);
    if (p == NULL) {
        o->oom = true;
        return;
    }
    o->tokens = p;
    o->tokens[o->n++] = *t;
}

enum sv_err
sv_api_token_offboard_tx(struct sv_dbc *c, const char *tenant_id,
                         const char *account_id, const struct sv_actor *actor,
                         json_t *report)
{
    struct offboard_ctx o = {0, NULL, false};
    int64_t now = sv_now_ms();
    enum sv_qs qs =
        apitoken_store_made_by(c, tenant_id, account_id, now, collect, &o);
    enum sv_err rc = qs < 0 ? sv_qs_err(qs) : o.oom ? SV_E_INTERNAL : SV_OK;

    for (size_t i = 0; rc == SV_OK && i < o.n; i++) {
        qs = apitoken_store_revoke(c, tenant_id, o.tokens[i].id, now);
        rc = qs < 0
                 ? sv_qs_err(qs)
                 : audit_token(c, tenant_id, actor, SV_AUDIT_API_TOKEN_REVOKE,
                               &o.tokens[i], "offboarding");
    }
    if (rc == SV_OK)
        json_object_set_new(report, "revoked", json_integer((json_int_t)o.n));
    free(o.tokens);
    return rc;
}
