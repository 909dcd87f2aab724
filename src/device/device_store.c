/* The SQL of devices: see device_store.h. */
#include "device/device_store.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

/* ---- devices (DEV-1, DEV-5) ---- */

#define DEV_COLS                                                               \
    "id, kind, client_id, name, model, platform, public_key, state, "          \
    "first_seen_at, last_seen_at, last_ip"

SV_SQL(Q_DEV_FIND_CLIENT, "device_find_client",
       "SELECT " DEV_COLS " FROM devices WHERE tenant_id = $1 "
       "AND account_id = $2 AND client_id = $3",
       0);
SV_SQL(Q_DEV_INSERT, "device_insert",
       "INSERT INTO devices (tenant_id, id, account_id, client_id, "
       "kind, name, model, platform, public_key, state, first_seen_at, "
       "last_seen_at, last_ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
       "$9, 'unknown', $10, $10, $11)",
       0);
SV_SQL(Q_DEV_SEEN, "device_seen",
       "UPDATE devices SET last_seen_at = $3, last_ip = $4, "
       "name = COALESCE($5, name), model = COALESCE($6, model), "
       "platform = COALESCE($7, platform) "
       "WHERE tenant_id = $1 AND id = $2",
       0);
SV_SQL(Q_DEV_TRUST, "device_trust",
       "UPDATE devices SET state = 'trusted' WHERE tenant_id = $1 "
       "AND id = $2 AND state = 'unknown'",
       0);
SV_SQL(Q_DEV_COUNT_TRUSTED, "device_count_trusted",
       "SELECT COUNT(*) FROM devices WHERE tenant_id = $1 "
       "AND account_id = $2 AND state = 'trusted' AND kind <> 'web'",
       0);
SV_SQL(Q_DEV_LIST, "device_list",
       "SELECT " DEV_COLS " FROM devices WHERE tenant_id = $1 "
       "AND account_id = $2 ORDER BY id",
       0);
SV_SQL(Q_DEV_REVOKE, "device_revoke",
       "UPDATE devices SET state = 'revoked' WHERE tenant_id = $1 "
       "AND account_id = $2 AND id = $3 AND state <> 'revoked'",
       0);
SV_SQL(Q_DEV_REVOKE_SESSIONS, "device_revoke_sessions",
       "UPDATE sessions SET revoked_at = $3 WHERE tenant_id = $1 "
       "AND device_id = $2 AND revoked_at IS NULL",
       0);
SV_SQL(Q_NONCE_ADD, "device_nonce_add",
       "INSERT INTO device_nonces (tenant_id, device_id, nonce, "
       "expires_at) VALUES ($1, $2, $3, $4) "
       "ON CONFLICT (tenant_id, device_id, nonce) DO NOTHING",
       0);
SV_SQL(Q_NONCE_SWEEP, "device_nonce_sweep",
       "DELETE FROM device_nonces WHERE tenant_id = $1 AND expires_at < $2", 0);
SV_SQL(Q_NONCE_PRUNE, "device_nonce_prune",
       "DELETE FROM device_nonces WHERE tenant_id = $1 "
       "AND device_id = $2 AND expires_at < $3",
       0);

static void
read_device(struct sv_stmt *st, struct sv_device *d)
{
    size_t n = 0;
    const void *pk = sv_stmt_col_blob(st, 6, &n);

    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", sv_stmt_col_text(st, 0));
    snprintf(d->kind, sizeof d->kind, "%s", sv_stmt_col_text(st, 1));
    snprintf(d->state, sizeof d->state, "%s", sv_stmt_col_text(st, 7));
    d->has_pk = pk != NULL && n == 32;
    if (d->has_pk)
        memcpy(d->pk, pk, 32);
}

enum sv_qs
device_store_find(struct sv_dbc *c, const char *tenant_id,
                  const char *account_id, const char *client,
                  struct sv_device *d)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_DEV_FIND_CLIENT, tenant_id, account_id);
    enum sv_qs qs;

    sv_stmt_text(st, 3, client);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        read_device(st, d);
    return qs;
}

enum sv_qs
device_store_insert(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, const struct sv_client *cl,
                    const struct sv_device *d, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEV_INSERT, tenant_id, d->id);

    sv_stmt_text(st, 3, account_id);
    sv_stmt_text(st, 4, cl->device);
    sv_stmt_text(st, 5, d->kind);
    sv_stmt_text(st, 6, sv_or_null(cl->name));
    sv_stmt_text(st, 7, sv_or_null(cl->model));
    sv_stmt_text(st, 8, sv_or_null(cl->platform));
    sv_stmt_blob(st, 9, d->has_pk ? d->pk : NULL, d->has_pk ? 32 : 0);
    sv_stmt_int(st, 10, now);
    sv_stmt_text(st, 11, cl->ip);
    return sv_stmt_exec(st);
}

enum sv_qs
device_store_seen(struct sv_dbc *c, const char *tenant_id, const char *id,
                  const struct sv_client *cl, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEV_SEEN, tenant_id, id);

    sv_stmt_int(st, 3, now);
    sv_stmt_text(st, 4, cl->ip);
    sv_stmt_text(st, 5, sv_or_null(cl->name));
    sv_stmt_text(st, 6, sv_or_null(cl->model));
    sv_stmt_text(st, 7, sv_or_null(cl->platform));
    return sv_stmt_exec(st);
}

enum sv_qs
device_store_trust(struct sv_dbc *c, const char *tenant_id, const char *id)
{
    return sv_stmt_exec(sv_db_stmt2(c, &Q_DEV_TRUST, tenant_id, id));
}

enum sv_qs
device_store_count_trusted(struct sv_dbc *c, const char *tenant_id,
                           const char *account_id, int64_t *n)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_DEV_COUNT_TRUSTED, tenant_id, account_id);
    enum sv_qs qs = sv_stmt_step(st);

    *n = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return qs;
}

enum sv_qs
device_store_list(struct sv_dbc *c, const char *tenant_id,
                  const char *account_id, sv_device_row_fn row, void *cls)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEV_LIST, tenant_id, account_id);
    enum sv_qs qs;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        struct sv_device_view d = {
            .id = sv_stmt_col_text(st, 0),
            .kind = sv_stmt_col_text(st, 1),
            .name = sv_or_null(sv_stmt_col_text(st, 3)),
            .model = sv_or_null(sv_stmt_col_text(st, 4)),
            .platform = sv_or_null(sv_stmt_col_text(st, 5)),
            .state = sv_stmt_col_text(st, 7),
            .first_seen_at = sv_stmt_col_int(st, 8),
            .last_seen_at = sv_stmt_col_int(st, 9),
            .last_ip = sv_or_null(sv_stmt_col_text(st, 10)),
        };
        row(cls, &d);
    }
    return qs;
}

enum sv_qs
device_store_revoke(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, const char *id)
{
    return sv_db_exec_ttt(c, &Q_DEV_REVOKE, tenant_id, account_id, id);
}

enum sv_qs
device_store_revoke_sessions(struct sv_dbc *c, const char *tenant_id,
                             const char *id, int64_t now)
{
    return sv_db_exec_tti(c, &Q_DEV_REVOKE_SESSIONS, tenant_id, id, now);
}

enum sv_qs
device_store_nonce_add(struct sv_dbc *c, const char *tenant_id,
                       const char *signer, const char *nonce,
                       int64_t expires_at)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_NONCE_ADD, tenant_id, signer);
    sv_stmt_text(st, 3, nonce);
    sv_stmt_int(st, 4, expires_at);
    return sv_stmt_exec(st);
}

enum sv_qs
device_store_nonce_sweep(struct sv_dbc *c, const char *tenant_id, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_NONCE_SWEEP);

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, now);
    return sv_stmt_exec(st);
}

enum sv_qs
device_store_nonce_prune(struct sv_dbc *c, const char *tenant_id,
                         const char *signer, int64_t now)
{
    return sv_db_exec_tti(c, &Q_NONCE_PRUNE, tenant_id, signer, now);
}
