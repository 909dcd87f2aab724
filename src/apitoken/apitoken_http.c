/* The API token routes: see apitoken_http.h. */
#include "apitoken/apitoken_http.h"

#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "apitoken/apitoken.h"
#include "app.h"
#include "core/json.h"
#include "core/util.h"
#include "identity/identity_http.h"

static json_t *
time_or_null(int64_t ms)
{
    return ms == 0 ? json_null() : sv_json_time(ms);
}

static json_t *
token_json(const struct sv_api_token *t)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", t->id, "name", t->name,
                  "scope", t->scope, "created_by", t->created_by,
                  "created_by_username", t->created_by_name);
    json_object_set_new(o, "created_at", sv_json_time(t->created_at));
    json_object_set_new(o, "expires_at", time_or_null(t->expires_at));
    json_object_set_new(o, "last_used_at", time_or_null(t->last_used_at));
    json_object_set_new(o, "revoked_at", time_or_null(t->revoked_at));
    return o;
}

static void
list_start(void *cls)
{
    json_array_clear(cls);
}

static void
list_row(void *cls, const struct sv_api_token *t)
{
    json_array_append_new(cls, token_json(t));
}

void
apitoken_http_list(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    json_t *items = json_array();
    enum sv_err rc = sv_api_token_list(sv_rq_app(rq)->db, s->tenant_id,
                                       list_start, list_row, items);
    if (rc != SV_OK) {
        json_decref(items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200, json_pack("{s:o}", "items", items));
}

static bool
check_scope(const char *s, size_t len)
{
    return strlen(s) == len && strcmp(s, "scim") == 0;
}

void
apitoken_http_create(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    const char *name = NULL, *scope = NULL, *field = NULL;
    int64_t days = 0;
    const struct sv_field spec[] = {
        SV_F_STR("name", &name, 1, SV_API_TOKEN_NAME_MAX,
                 sv_check_api_token_name),
        SV_F_STR("scope", &scope, 1, 8, check_scope),
        {.name = "expires_in_days",
         .type = SV_FT_INT,
         .out = &days,
         .min = 1,
         .max = SV_API_TOKEN_DAYS_MAX},
        SV_F_END,
    };
    char secret[SV_TOKEN_LEN + 1];
    struct sv_api_token t;
    json_t *out;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    rc = sv_api_token_create(sv_rq_app(rq)->db, s->tenant_id, name, scope, days,
                             &actor, &t, secret, &field);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, field);
        return;
    }
    /* The text, once: only its hash is kept. */
    out = token_json(&t);
    json_object_set_new(out, "token", json_string(secret));
    sodium_memzero(secret, sizeof secret);
    sv_reply_json(rq, 201, out);
}

void
apitoken_http_revoke(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc = sv_api_token_revoke(sv_rq_app(rq)->db, s->tenant_id,
                                         sv_rq_param(rq, 0), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}
