/*
 * Handlers of risk (AUTH-4, AUTH-5): an admin unlocks an account name,
 * a tenant admin lists and lifts blacklist entries.
 */
#include "risk/risk_http.h"

#include <jansson.h>

#include "app.h"
#include "core/util.h"
#include "identity/identity.h"
#include "identity/identity_http.h"
#include "risk/risk.h"

/* ---- lock (AUTH-4) ---- */

void
risk_http_user_unlock(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc;

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    rc = sv_account_unlock(sv_rq_app(rq), sv_rq_session(rq)->tenant_id,
                           sv_rq_param(rq, 0), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

/* ---- blacklist (AUTH-5) ---- */

static void
bl_row(void *cls, const struct sv_blacklist_entry *e)
{
    char created[SV_RFC3339_LEN + 1], expires[SV_RFC3339_LEN + 1];
    sv_rfc3339(e->created_at, created);
    if (e->expires_at)
        sv_rfc3339(e->expires_at, expires);
    /* scope "platform": an entry of the platform's (read only here), so
     * an admin sees why a source is refused */
    json_array_append_new(
        cls,
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s}", "id", e->id, "kind",
                  e->kind, "value", e->value, "reason", e->reason, "created_at",
                  created, "expires_at", e->expires_at ? expires : NULL,
                  "scope", e->tenant_id != NULL ? "tenant" : "platform"));
}

void
risk_http_blacklist_list(struct sv_request *rq)
{
    json_t *items = json_array();
    enum sv_err rc =
        sv_blacklist_list(sv_rq_app(rq), sv_rq_session(rq)->tenant_id,
                          sv_items_clear, bl_row, items);
    sv_reply_items(rq, rc, items);
}

void
risk_http_blacklist_lift(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc =
        sv_blacklist_lift(sv_rq_app(rq), sv_rq_session(rq)->tenant_id,
                          sv_rq_param(rq, 0), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}
