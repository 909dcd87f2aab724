/*
 * GET /me/devices, DELETE /me/devices/{id}, GET /users/{id}/devices,
 * DELETE /users/{id}/devices/{did}: see device.h.
 */
#include "device/device_http.h"

#include <string.h>

#include <jansson.h>

#include "app.h"
#include "core/json.h"
#include "core/util.h"
#include "device/device.h"
#include "identity/identity.h"
#include "identity/identity_http.h"

struct dev_list {
    json_t *items;
    const char *current;
};

static void
dev_start(void *cls)
{
    struct dev_list *d = cls;
    json_array_clear(d->items);
}

static void
dev_row(void *cls, const struct sv_device_view *v)
{
    struct dev_list *d = cls;
    char first[SV_RFC3339_LEN + 1], last[SV_RFC3339_LEN + 1];
    sv_rfc3339(v->first_seen_at, first);
    sv_rfc3339(v->last_seen_at, last);
    json_array_append_new(
        d->items,
        json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s?, s:b}",
                  "id", v->id, "kind", v->kind, "name", v->name, "model",
                  v->model, "platform", v->platform, "state", v->state,
                  "first_seen_at", first, "last_seen_at", last, "last_ip",
                  v->last_ip, "current",
                  d->current && strcmp(d->current, v->id) == 0));
}

static void
devices_reply(struct sv_request *rq, const char *tenant_id,
              const char *account_id)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct dev_list d = {json_array(), s->device_id[0] ? s->device_id : NULL};
    enum sv_err rc = sv_devices_list(sv_rq_app(rq), tenant_id, account_id,
                                     dev_start, dev_row, &d);
    if (rc != SV_OK) {
        json_decref(d.items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200, json_pack("{s:o}", "items", d.items));
}

void
device_http_my_devices(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    devices_reply(rq, s->tenant_id, s->account_id);
}

void
device_http_my_device_revoke(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc = sv_device_revoke(
        sv_rq_app(rq), s->tenant_id, s->account_id, sv_rq_param(rq, 0), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

/* The account must be of the admin's tenant: otherwise "not found". */
static bool
account_in_tenant_or_reply(struct sv_request *rq, const char *account_id)
{
    struct sv_account a;
    enum sv_err rc = sv_account_get(sv_rq_app(rq), sv_rq_session(rq)->tenant_id,
                                    account_id, &a);
    sodium_memzero(&a, sizeof a);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return false;
    }
    return true;
}

void
device_http_user_devices(struct sv_request *rq)
{
    if (!account_in_tenant_or_reply(rq, sv_rq_param(rq, 0)))
        return;
    devices_reply(rq, sv_rq_session(rq)->tenant_id, sv_rq_param(rq, 0));
}

void
device_http_user_device_revoke(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc =
        sv_device_revoke(sv_rq_app(rq), sv_rq_session(rq)->tenant_id,
                         sv_rq_param(rq, 0), sv_rq_param(rq, 1), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}
