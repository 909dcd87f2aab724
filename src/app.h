/* The process-wide context every capability gets: config, store, keys. */
#ifndef SV_APP_H
#define SV_APP_H

#include "core/config.h"
#include "crypto/keyring.h"
#include "crypto/password.h"

struct sv_db;
struct sv_notify;
struct sv_workpool;

struct sv_app {
    struct sv_config cfg;
    struct sv_db *db;
    struct sv_keyring *kr;
    struct sv_pwparams pw;
    /* AUTH-4: unknown accounts are verified against this, same cost. */
    char dummy_hash[SV_HASH_LEN];
    struct sv_workpool *hashpool; /* serve only */
    struct sv_notify *notify;     /* SMS / e-mail delivery (DEV-6) */
    /* Keys derived from the root key for short-lived secrets. */
    uint8_t code_key[32]; /* CAPTCHA answers, SMS/reset codes, QR secrets */
    uint8_t name_key[32]; /* failure counter keys (AUTH-4) */
    uint8_t csrf_key[32]; /* browser CSRF tokens */
};

/** Set by `keys rotate-root` alone: open a data directory whose root
 * rotation stopped half way (root.key.next beside root.key). */
extern bool sv_app_root_rotation;

/**
 * Load config, root key, database (migrations run) and blocklist for
 * data directory @p data_dir. @p pool_size database connections.
 */
SV_MUST_CHECK enum sv_err sv_app_open(struct sv_app *app, const char *data_dir,
                                      unsigned pool_size, char *err,
                                      size_t err_len);
void sv_app_close(struct sv_app *app);

/**
 * Wire the layers together and serve until SIGTERM/SIGINT: http/ gets
 * identity's authentication hooks and the flow's ticker, identity/ gets
 * http/'s long-poll wake-ups. Neither includes the other.
 */
SV_MUST_CHECK enum sv_err sv_app_serve(struct sv_app *app);
/** Every tenant's sign-in rows past their use (approvals, signed-request
 *  nonces, reset codes, sessions ended a week ago), gone: the ticker's,
 *  every ten minutes; tests. */
void sv_app_sweep_expired(struct sv_app *app);

#endif
