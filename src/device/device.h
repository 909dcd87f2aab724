/*
 * Devices (DEV-1, DEV-2, DEV-5): every client an account signs in from is
 * registered (kind, name, model, platform, first and last seen, last IP);
 * a phone or CLI proves itself with its Ed25519 key and becomes trusted
 * once a second factor vouched for it; revoking one ends its sessions.
 * Signed requests carry a nonce that is good once (replay window).
 *
 * The *_tx functions run inside the caller's transaction, with the tenant
 * scope set; the others are whole operations (handlers, the CLI).
 */
#ifndef SV_DEVICE_DEVICE_H
#define SV_DEVICE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"

struct sv_app;
struct sv_dbc;
struct sv_actor;

enum sv_client_kind {
    SV_CLIENT_API,
    SV_CLIENT_WEB,
    SV_CLIENT_MOBILE,
    SV_CLIENT_CLI
};

#define SV_DEVICE_TEXT_MAX 64

/** Who is signing in (DEV-1). */
struct sv_client {
    enum sv_client_kind kind;
    char device[SV_DEVICE_TEXT_MAX + 1]; /* the id the client names */
    char name[SV_DEVICE_TEXT_MAX * 4 + 1];
    char model[SV_DEVICE_TEXT_MAX * 4 + 1];
    char platform[SV_DEVICE_TEXT_MAX * 4 + 1];
    uint8_t pk[32];
    bool has_pk;
    char nonce[65]; /* of the signed login (replay check), "" when none */
    const char *ip, *user_agent;
};

const char *sv_client_kind_name(enum sv_client_kind k);
/** "web", "mobile", "cli" → kind (API is the absence of a device). */
bool sv_client_kind_parse(const char *s, enum sv_client_kind *out);
/** A phone or a CLI: a device with a key, that can be trusted. */
bool sv_client_is_device(enum sv_client_kind k);

/** A registered device. */
struct sv_device {
    char id[37];
    char kind[8];
    char state[8]; /* unknown, trusted, revoked */
    uint8_t pk[32];
    bool has_pk;
};

/**
 * Find the client's device or register it (state unknown), and refresh
 * what it says of itself. SV_E_DEVICE_REVOKED for a revoked one;
 * SV_E_SIGNATURE_INVALID when the kind differs or a device's key does not
 * match the registered one (the id is the client's word, the key the proof).
 */
SV_MUST_CHECK enum sv_err sv_device_upsert_tx(struct sv_dbc *c,
                                              const char *tenant_id,
                                              const char *account_id,
                                              const struct sv_client *cl,
                                              struct sv_device *d);
/** The account's device named @p client by its client: SV_E_NOT_FOUND. */
SV_MUST_CHECK enum sv_err sv_device_find_tx(struct sv_dbc *c,
                                            const char *tenant_id,
                                            const char *account_id,
                                            const char *client,
                                            struct sv_device *d);
/** Trust an unknown device a second factor vouched for (@p how), audited
 *  as device.trust by @p actor. Trusted or revoked ones stay as they are. */
SV_MUST_CHECK enum sv_err sv_device_trust_tx(struct sv_dbc *c,
                                             const char *tenant_id,
                                             const struct sv_device *d,
                                             const struct sv_actor *actor,
                                             const char *how);
/** The account's trusted phones and CLIs. */
SV_MUST_CHECK enum sv_err sv_device_count_trusted_tx(struct sv_dbc *c,
                                                     const char *tenant_id,
                                                     const char *account_id,
                                                     int64_t *n);
/** In tenant @p tenant_id's transaction: every signer's nonces past the
 *  replay window, gone (app.c's sweep: a signer that never signs again
 *  would keep its own forever). */
SV_MUST_CHECK enum sv_err
sv_device_sweep_tx(struct sv_dbc *c, const char *tenant_id, int64_t now_ms);
/**
 * Record nonce @p nonce of signer @p signer (a device id, or a login key)
 * for the replay window: SV_E_SIGNATURE_INVALID when it was seen before.
 */
SV_MUST_CHECK enum sv_err sv_device_nonce_tx(struct sv_dbc *c,
                                             const struct sv_app *app,
                                             const char *tenant_id,
                                             const char *signer,
                                             const char *nonce);

/**
 * DIR-6: revoke every trusted device of account @p account_id (their
 * sessions die with them), each audited as device.revoke by @p actor
 * with reason @p why; *@p n: how many.
 */
SV_MUST_CHECK enum sv_err sv_device_revoke_trusted_tx(
    struct sv_dbc *c, const char *tenant_id, const char *account_id,
    const struct sv_actor *actor, const char *why, int64_t *n);

/* ---- whole operations ---- */

struct sv_device_view {
    const char *id, *kind, *name, *model, *platform, *state, *last_ip;
    int64_t first_seen_at, last_seen_at;
};
typedef void (*sv_device_row_fn)(void *cls, const struct sv_device_view *d);

SV_MUST_CHECK enum sv_err sv_devices_list(struct sv_app *app,
                                          const char *tenant_id,
                                          const char *account_id,
                                          void (*start)(void *),
                                          sv_device_row_fn row, void *cls);
/** Revoke: the device's sessions die in the same transaction. */
SV_MUST_CHECK enum sv_err sv_device_revoke(struct sv_app *app,
                                           const char *tenant_id,
                                           const char *account_id,
                                           const char *device_id,
                                           const struct sv_actor *actor);
/** sv_device_nonce_tx() in its own transaction (a signed request). */
SV_MUST_CHECK enum sv_err sv_device_nonce_use(struct sv_app *app,
                                              const char *tenant_id,
                                              const char *device_id,
                                              const char *nonce);

#endif
