/*
 * The router's authentication hooks (http.h: struct sv_http_hooks): the
 * glue between http/, which knows no capability, and identity's sessions.
 * Installed at start-up by sv_app_serve().
 */
#include "access/access_http.h"
#include "apitoken/apitoken.h"
#include "app.h"
#include "core/util.h"
#include "device/device.h"
#include "identity/identity.h"
#include "identity/identity_http.h"

static enum sv_err
session_resolve(struct sv_app *app, struct sv_arena *arena, const char *token,
                struct sv_http_principal *out)
{
    struct sv_session *s = sv_arena_zalloc(arena, sizeof *s);
    enum sv_err rc = sv_session_resolve(app, token, s);

    if (rc != SV_OK)
        return rc;
    *out = (struct sv_http_principal){
        .session = s,
        .tenant_id = s->tenant_id,
        .account_id = s->account_id,
        .must_change_password = s->must_change_password,
        .mfa_pending = s->mfa_pending,
        .signs_requests = s->has_device_pk,
        .device_client = s->device_client,
        .device_id = s->device_id,
        .device_pk = s->device_pk,
    };
    return SV_OK;
}

/* An API token: its maker's account, as a session with nothing pending
 * and no device (a machine signs nothing). */
static enum sv_err
token_resolve(struct sv_app *app, struct sv_arena *arena, const char *token,
              const char *scope, struct sv_http_principal *out)
{
    struct sv_session *s = sv_arena_zalloc(arena, sizeof *s);
    enum sv_err rc = sv_api_token_resolve(app, token, scope, s);

    if (rc != SV_OK)
        return rc;
    *out = (struct sv_http_principal){
        .session = s,
        .tenant_id = s->tenant_id,
        .account_id = s->account_id,
    };
    return SV_OK;
}

static enum sv_err
audit_blocked(struct sv_app *app, const struct sv_session *s, const char *ip,
              const char *user_agent, const char *route)
{
    struct sv_actor actor = {s->account_id, s->username, ip, user_agent};
    return sv_session_audit_blocked(app, s, &actor, route);
}

static enum sv_err
device_nonce_use(struct sv_app *app, const struct sv_session *s,
                 const char *nonce)
{
    return sv_device_nonce_use(app, s->tenant_id, s->device_id, nonce);
}

const struct sv_http_hooks sv_identity_http_hooks = {
    .session_resolve = session_resolve,
    .token_resolve = token_resolve,
    .csrf_token = sv_csrf_token,
    .audit_blocked = audit_blocked,
    .device_nonce_use = device_nonce_use,
    .authorize = access_http_authorize,
};
