#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "audit/audit.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "device/device.h"
#include "directory/keys.h"
#include "directory/tenant.h"
#include "auth/totp.h"
#include "http/http.h"
#include "login/login.h"
#include "identity/identity.h"
#include "identity/identity_http.h"
#include "notify/notify.h"
#include "policy/policy.h"
#include "provision/import.h"
#include "records/records.h"
#include "recovery/recovery.h"

bool sv_app_root_rotation;

enum sv_err
sv_app_open(struct sv_app *app, const char *data_dir, unsigned pool_size,
            char *err, size_t err_len)
{
    enum sv_err rc;
    char pw[32];

    memset(app, 0, sizeof *app);
    rc = sv_config_load(&app->cfg, data_dir, err, err_len);
    if (rc != SV_OK)
        return rc;
    sv_log_set_level((enum sv_log_level)app->cfg.log_level);
    app->pw.opslimit = app->cfg.pw_opslimit;
    app->pw.memlimit = app->cfg.pw_memlimit;
    {
        /* A root change (keys migrate-root, rotate-root) stopped half way:
         * only its own rerun may open the data directory. */
        char sw[SV_PATH_MAX + 16];
        snprintf(sw, sizeof sw, "%s/root.switch", app->cfg.data_dir);
        if (!sv_app_root_rotation && access(sw, F_OK) == 0) {
            snprintf(err, err_len,
                     "%s exists: a root change (keys migrate-root or "
                     "rotate-root) stopped half way; run it again to finish "
                     "it",
                     sw);
            return SV_E_CONFLICT;
        }
    }
    if (app->cfg.root_pkcs11) {
        struct sv_keyring_token t = {
            app->cfg.pkcs11_module, app->cfg.pkcs11_token,
            app->cfg.pkcs11_pin_file, app->cfg.platform_key_file};
        rc = sv_keyring_load_token(&t, &app->kr, err, err_len);
    } else {
        rc = sv_keyring_load(app->cfg.root_key_file, &app->kr, err, err_len);
        if (rc == SV_OK && sv_keyring_load_platform(
                               app->kr, app->cfg.platform_key_file) != SV_OK) {
            snprintf(err, err_len, "%s: not wrapped by %s",
                     app->cfg.platform_key_file, app->cfg.root_key_file);
            sv_keyring_free(app->kr);
            app->kr = NULL;
            return SV_E_TAMPERED;
        }
    }
    if (rc != SV_OK)
        return rc;
    sv_keyring_set_tenant_dir(app->kr, app->cfg.tenant_key_dir);
    if (app->cfg.blocklist[0] != '\0' &&
        sv_policy_load_blocklist(app->cfg.blocklist) != SV_OK) {
        snprintf(err, err_len,
                 "[password] blocklist: cannot read %s (install john-data, "
                 "or set another list)",
                 app->cfg.blocklist);
        sv_app_close(app);
        return SV_E_NOT_FOUND;
    }
    rc = sv_db_open(&app->cfg, pool_size, &app->db, err, err_len);
    if (rc != SV_OK) {
        sv_app_close(app);
        return rc;
    }
    sv_tenant_keys_init(app->kr);
    /* Tenants from before migration 016: their keys under master keys. */
    rc = sv_tenant_keys_upgrade(app->db, app->kr);
    if (rc != SV_OK) {
        snprintf(err, err_len,
                 "cannot move the tenants' keys under master keys in %s",
                 app->cfg.tenant_key_dir);
        sv_app_close(app);
        return rc;
    }
    sv_audit_init(app->kr);
    sv_keyring_derive(app->kr, "sv-codes", 1, app->code_key);
    sv_keyring_derive(app->kr, "sv-names", 1, app->name_key);
    sv_keyring_derive(app->kr, "sv-csrf_", 1, app->csrf_key);
    if (!sv_totp_init()) {
        snprintf(err, err_len, "liboath failed to initialise");
        sv_app_close(app);
        return SV_E_INTERNAL;
    }
    rc = sv_notify_open(&app->cfg, &app->notify, err, err_len);
    if (rc != SV_OK) {
        sv_app_close(app);
        return rc;
    }
    /* A dummy hash at the configured cost, of a password nobody knows. */
    randombytes_buf(pw, sizeof pw);
    rc = sv_password_hash(&app->pw, pw, sizeof pw, app->dummy_hash);
    sodium_memzero(pw, sizeof pw);
    if (rc != SV_OK) {
        snprintf(err, err_len, "cannot hash at the configured Argon2id cost");
        sv_app_close(app);
        return rc;
    }
    return SV_OK;
}

void
sv_app_close(struct sv_app *app)
{
    if (app->notify != NULL)
        sv_notify_close(app->notify);
    app->notify = NULL;
    sodium_memzero(app->code_key, sizeof app->code_key);
    sodium_memzero(app->name_key, sizeof app->name_key);
    sodium_memzero(app->csrf_key, sizeof app->csrf_key);
    sv_tenant_keys_fini();
    sv_db_free(app->db);
    app->db = NULL;
    sv_keyring_free(app->kr);
    app->kr = NULL;
    sv_policy_free_blocklist();
}

/* Rows of the sign-in that outlive their use, per tenant (row-level
 * security on PostgreSQL: one tenant's transaction each): approvals,
 * signed-request nonces and reset codes of the accounts that never come
 * back, which their own next use would otherwise prune, and sessions a
 * week after they ended. */
static enum sv_err
expired_sweep_tx(struct sv_dbc *c, void *cls)
{
    const char *tenant_id = cls;
    int64_t now = sv_now_ms();
    enum sv_err rc = sv_login_sweep_tx(c, tenant_id, now);

    if (rc == SV_OK)
        rc = sv_device_sweep_tx(c, tenant_id, now);
    if (rc == SV_OK)
        rc = sv_reset_sweep_tx(c, tenant_id, now);
    if (rc == SV_OK)
        rc = sv_session_sweep_tx(c, tenant_id, now);
    return rc;
}

void
sv_app_sweep_expired(struct sv_app *app)
{
    struct sv_tenant_ids ts;

    if (sv_tenant_ids(app->db, &ts) == SV_OK)
        for (size_t i = 0; i < ts.n; i++)
            if (sv_db_run_tenant_tx(app->db, "expired_sweep", ts.ids[i],
                                    expired_sweep_tx, ts.ids[i]) != SV_OK)
                sv_log(SV_LOG_WARN, "expired rows sweep failed", "%s",
                       "next time");
    free(ts.ids);
}

/* Once a second: the sign-in flow's wake-ups and housekeeping; every five
 * seconds, the records read quota's counts; every ten minutes, the recycle
 * bins' sweep (records older than their 30 days) and the expired sign-in
 * rows'. */
static void
tick(struct sv_app *app)
{
    static unsigned ticks;

    sv_login_tick(app);
    /* DATA-4: this node's counted reads into the day totals. */
    if (ticks % 5 == 0)
        sv_records_meter_flush(app);
    if (++ticks % 600 == 1) {
        sv_records_sweep(app);
        sv_app_sweep_expired(app);
    }
}

enum sv_err
sv_app_serve(struct sv_app *app)
{
    static const struct sv_login_waker waker = {
        .wake = sv_wake,
        .parked = sv_parked_count,
    };
    enum sv_err rc;

    /* The only place the layers meet: each side sees a hook, not a header
     * of the other (docs/architecture.md, "Layers"). */
    sv_http_set_hooks(&sv_identity_http_hooks);
    sv_login_set_waker(&waker);
    sv_http_set_ticker(tick);
#ifdef SV_TEST_HOOKS
    /* -Dtest_hooks=true: CAPTCHA answers go out in a header. */
    sv_log(SV_LOG_WARN, "test build",
           "test hooks are compiled in: never serve users with this binary");
#endif
    /* The console's CSV imports run on a worker of their own; a job still
     * running at the stop is rolled back and marked interrupted. */
    rc = sv_import_jobs_start(app);
    if (rc != SV_OK)
        return rc;
    /* DATA-2: re-sealing after a key rotation, and the cache of keys
     * retired elsewhere, on a worker of their own. */
    rc = sv_keys_worker_start(app->db, app->cfg.reseal_batch,
                              app->cfg.reseal_pause_ms);
    if (rc != SV_OK) {
        sv_import_jobs_stop();
        return rc;
    }
    rc = sv_http_serve(app);
    sv_keys_worker_stop();
    sv_import_jobs_stop();
    sv_records_meter_flush(app); /* what the last seconds counted */
    sv_meter_fini();
    return rc;
}
