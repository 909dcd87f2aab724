/* Devices: see device.h. */
#include "device/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "core/util.h"
#include "db/db.h"
#include "device/device_store.h"

const char *
sv_client_kind_name(enum sv_client_kind k)
{
    switch (k) {
    case SV_CLIENT_WEB:
        return "web";
    case SV_CLIENT_MOBILE:
        return "mobile";
    case SV_CLIENT_CLI:
        return "cli";
    case SV_CLIENT_API:
        break;
    }
    return "web"; /* API clients are recorded as web devices */
}

bool
sv_client_kind_parse(const char *s, enum sv_client_kind *out)
{
    if (strcmp(s, "web") == 0)
        *out = SV_CLIENT_WEB;
    else if (strcmp(s, "mobile") == 0)
        *out = SV_CLIENT_MOBILE;
    else if (strcmp(s, "cli") == 0)
        *out = SV_CLIENT_CLI;
    else
        return false;
    return true;
}

bool
sv_client_is_device(enum sv_client_kind k)
{
    return k == SV_CLIENT_MOBILE || k == SV_CLIENT_CLI;
}

/* ---- inside a transaction ---- */

enum sv_err
sv_device_upsert_tx(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, const struct sv_client *cl,
                    struct sv_device *d)
{
    int64_t now = sv_now_ms();
    enum sv_qs qs = device_store_find(c, tenant_id, account_id, cl->device, d);

    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE) {
        if (strcmp(d->state, "revoked") == 0)
            return SV_E_DEVICE_REVOKED;
        /* A browser cookie naming a phone's id is not that phone. */
        if (strcmp(d->kind, sv_client_kind_name(cl->kind)) != 0)
            return SV_E_SIGNATURE_INVALID;
        /* The device id is the client's word; its key is the proof. */
        if (sv_client_is_device(cl->kind) &&
            (!d->has_pk || !cl->has_pk || sodium_memcmp(d->pk, cl->pk, 32)))
            return SV_E_SIGNATURE_INVALID;
        return sv_qs_ok(device_store_seen(c, tenant_id, d->id, cl, now));
    }
    memset(d, 0, sizeof *d);
    sv_uuid7(d->id);
    snprintf(d->kind, sizeof d->kind, "%s", sv_client_kind_name(cl->kind));
    snprintf(d->state, sizeof d->state, "unknown");
    d->has_pk = cl->has_pk;
    memcpy(d->pk, cl->pk, 32);
    return sv_qs_ok(device_store_insert(c, tenant_id, account_id, cl, d, now));
}

enum sv_err
sv_device_find_tx(struct sv_dbc *c, const char *tenant_id,
                  const char *account_id, const char *client,
                  struct sv_device *d)
{
    return sv_qs_found(device_store_find(c, tenant_id, account_id, client, d));
}

enum sv_err
sv_device_trust_tx(struct sv_dbc *c, const char *tenant_id,
                   const struct sv_device *d, const struct sv_actor *actor,
                   const char *how)
{
    enum sv_qs qs = device_store_trust(c, tenant_id, d->id);

    if (qs != SV_QS_ONE)
        return sv_qs_ok(qs);
    return sv_audit_by(c, tenant_id, actor, SV_AUDIT_DEVICE_TRUST, "device",
                       d->id, "success", how, NULL);
}

enum sv_err
sv_device_count_trusted_tx(struct sv_dbc *c, const char *tenant_id,
                           const char *account_id, int64_t *n)
{
    return sv_qs_ok(device_store_count_trusted(c, tenant_id, account_id, n));
}

enum sv_err
sv_device_sweep_tx(struct sv_dbc *c, const char *tenant_id, int64_t now_ms)
{
    return sv_qs_ok(device_store_nonce_sweep(c, tenant_id, now_ms));
}

enum sv_err
sv_device_nonce_tx(struct sv_dbc *c, const struct sv_app *app,
                   const char *tenant_id, const char *signer, const char *nonce)
{
    int64_t now = sv_now_ms();
    enum sv_qs qs;

    if (randombytes_uniform(32) == 0 &&
        (qs = device_store_nonce_prune(c, tenant_id, signer, now)) < 0)
        return sv_qs_err(qs);
    /* Kept past both edges of the window a timestamp may come from. */
    qs = device_store_nonce_add(c, tenant_id, signer, nonce,
                                now + 2 * app->cfg.signature_window_ms);
    if (qs < 0)
        return sv_qs_err(qs);
    return qs == SV_QS_NONE ? SV_E_SIGNATURE_INVALID : SV_OK;
}

/* The trusted devices of an account, gathered before any is changed. */
struct trusted_ids {
    size_t n, cap;
    char (*id)[37];
    bool oom;
};

static void
trusted_row(void *cls, const struct sv_device_view *d)
{
    struct trusted_ids *t = cls;

    if (t->oom || strcmp(d->state, "trusted") != 0)
        return;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        void *p = realloc(t->id, cap * sizeof *t->id);
        if (p == NULL) {
            t->oom = true;
            return;
        }
        t->id = p;
        t->cap = cap;
    }
    snprintf(t->id[t->n++], sizeof t->id[0], "%s", d->id);
}

enum sv_err
sv_device_revoke_trusted_tx(struct sv_dbc *c, const char *tenant_id,
                            const char *account_id,
                            const struct sv_actor *actor, const char *why,
                            int64_t *n)
{
    struct trusted_ids t = {0};
    int64_t now = sv_now_ms();
    enum sv_err rc;

    *n = 0;
    rc = sv_qs_ok(device_store_list(c, tenant_id, account_id, trusted_row, &t));
    if (rc == SV_OK && t.oom)
        rc = SV_E_INTERNAL;
    for (size_t i = 0; rc == SV_OK && i < t.n; i++) {
        rc =
            sv_qs_found(device_store_revoke(c, tenant_id, account_id, t.id[i]));
        if (rc == SV_OK)
            rc = sv_qs_ok(
                device_store_revoke_sessions(c, tenant_id, t.id[i], now));
        if (rc == SV_OK)
            rc = sv_audit_by(c, tenant_id, actor, SV_AUDIT_DEVICE_REVOKE,
                             "device", t.id[i], "success", why, NULL);
    }
    if (rc == SV_OK)
        *n = (int64_t)t.n;
    free(t.id);
    return rc;
}

/* ---- whole operations ---- */

struct list_ctx {
    const char *tenant_id, *account_id;
    void (*start)(void *);
    sv_device_row_fn row;
    void *cls;
};

static enum sv_err
list_tx(struct sv_dbc *c, void *cls)
{
    struct list_ctx *x = cls;

    if (x->start)
        x->start(x->cls);
    return sv_qs_ok(
        device_store_list(c, x->tenant_id, x->account_id, x->row, x->cls));
}

enum sv_err
sv_devices_list(struct sv_app *app, const char *tenant_id,
                const char *account_id, void (*start)(void *),
                sv_device_row_fn row, void *cls)
{
    struct list_ctx x = {tenant_id, account_id, start, row, cls};
    return sv_db_run_tenant_ro(app->db, tenant_id, list_tx, &x);
}

struct revoke_ctx {
    const char *tenant_id, *account_id, *device_id;
    const struct sv_actor *actor;
};

static enum sv_err
revoke_tx(struct sv_dbc *c, void *cls)
{
    struct revoke_ctx *x = cls;
    enum sv_qs qs;
    enum sv_err rc;

    qs = device_store_revoke(c, x->tenant_id, x->account_id, x->device_id);
    if (qs != SV_QS_ONE)
        return sv_qs_found(qs);
    rc = sv_qs_ok(device_store_revoke_sessions(c, x->tenant_id, x->device_id,
                                               sv_now_ms()));
    if (rc != SV_OK)
        return rc;
    return sv_audit_by(c, x->tenant_id, x->actor, SV_AUDIT_DEVICE_REVOKE,
                       "device", x->device_id, "success", NULL, NULL);
}

enum sv_err
sv_device_revoke(struct sv_app *app, const char *tenant_id,
                 const char *account_id, const char *device_id,
                 const struct sv_actor *actor)
{
    struct revoke_ctx x = {tenant_id, account_id, device_id, actor};
    return sv_db_run_tenant_tx(app->db, "device_revoke", tenant_id, revoke_tx,
                               &x);
}

struct nonce_ctx {
    struct sv_app *app;
    const char *tenant_id, *device_id, *nonce;
};

static enum sv_err
nonce_tx(struct sv_dbc *c, void *cls)
{
    struct nonce_ctx *x = cls;
    return sv_device_nonce_tx(c, x->app, x->tenant_id, x->device_id, x->nonce);
}

enum sv_err
sv_device_nonce_use(struct sv_app *app, const char *tenant_id,
                    const char *device_id, const char *nonce)
{
    struct nonce_ctx x = {app, tenant_id, device_id, nonce};
    return sv_db_run_tenant_tx(app->db, "device_nonce", tenant_id, nonce_tx,
                               &x);
}
