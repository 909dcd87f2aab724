/*
 * Brute force and credential stuffing (AUTH-4, AUTH-5).
 *
 * Failures are counted per account name (tenant + username as typed,
 * known or not), per source IP and per device, in the database so that
 * every node sees them. Each counter loses one failure per
 * [auth] failure_decay_s. At captcha_after a CAPTCHA is required; at
 * lock_after the name locks for lock_base_s × 2^(locks so far), at most
 * lock_max_s. One IP or device failing on stuffing_accounts distinct names
 * within stuffing_window_s is blacklisted for blacklist_s, with a security
 * event in the audit log.
 */
#ifndef SV_IDENTITY_GUARD_H
#define SV_IDENTITY_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"

struct sv_app;
struct sv_dbc;
struct sv_actor;

struct sv_guard {
    /* keyed hashes: nothing typed is stored */
    uint8_t name_key[32], ip_key[32], device_key[32];
    const char *ip;     /* "" when unknown */
    const char *device; /* client device id, "" when none */
    /* read by sv_guard_read */
    int64_t name_score, ip_score, device_score; /* thousandths */
    int64_t locked_until;
};

/** Fill the keys of @p g for this attempt. */
void sv_guard_init(const struct sv_app *app, struct sv_guard *g,
                   const char *tenant_slug, const char *username,
                   const char *ip, const char *device);

/** Read the decayed counters and the lock. */
SV_MUST_CHECK enum sv_err sv_guard_read(struct sv_dbc *c,
                                        const struct sv_app *app,
                                        struct sv_guard *g, int64_t now);

/** A CAPTCHA is due (after sv_guard_read). */
bool sv_guard_captcha_due(const struct sv_app *app, const struct sv_guard *g);

/**
 * Inside a transaction: count one failure on all three counters, lock the
 * name when it reaches lock_after, and look for stuffing: @p tenant_id is
 * the tenant tried (NULL when unknown), @p actor who tried. Writes the
 * security events itself.
 */
SV_MUST_CHECK enum sv_err
sv_guard_fail_tx(struct sv_dbc *c, const struct sv_app *app, struct sv_guard *g,
                 const char *tenant_id, const struct sv_actor *actor,
                 int64_t now);

/** Inside a transaction: a correct password clears the name's counter. */
SV_MUST_CHECK enum sv_err sv_guard_success_tx(struct sv_dbc *c,
                                              struct sv_guard *g);

/**
 * Is this IP or device blacklisted for @p tenant_id (NULL: platform entries
 * only)? Needs the tenant scope (and platform scope) set.
 */
SV_MUST_CHECK enum sv_err
sv_guard_blacklisted(struct sv_dbc *c, const char *tenant_id, const char *ip,
                     const char *device, int64_t now, bool *hit);

/*
 * Other guessable secrets (e.g. the code that removes an authenticator):
 * a decaying failure counter per (@p purpose, @p id), like the name's.
 */
/** *over when @p id has @p max or more failures for @p purpose now. */
SV_MUST_CHECK enum sv_err sv_guard_key_over(struct sv_dbc *c,
                                            const struct sv_app *app,
                                            const char *purpose,
                                            const char *id, unsigned max,
                                            int64_t now, bool *over);
/** Count one failure of @p id for @p purpose. */
SV_MUST_CHECK enum sv_err sv_guard_key_fail_tx(struct sv_dbc *c,
                                               const struct sv_app *app,
                                               const char *purpose,
                                               const char *id, int64_t now);

/** Admin unlock: forget the failures of account name @p username. */
SV_MUST_CHECK enum sv_err sv_guard_unlock_tx(struct sv_dbc *c,
                                             const struct sv_app *app,
                                             const char *tenant_slug,
                                             const char *username);

/* ---- blacklist administration ---- */

struct sv_blacklist_entry {
    const char *id, *kind, *value, *reason, *tenant_id;
    int64_t created_at, expires_at; /* expires_at 0: until lifted */
};
typedef void (*sv_blacklist_row_fn)(void *cls,
                                    const struct sv_blacklist_entry *e);

/** Active entries of @p tenant_id (NULL: every entry, platform view). */
SV_MUST_CHECK enum sv_err sv_blacklist_list(struct sv_app *app,
                                            const char *tenant_id,
                                            void (*start)(void *cls),
                                            sv_blacklist_row_fn row, void *cls);
/** Lift entry @p id (of @p tenant_id; NULL: any, platform view). */
SV_MUST_CHECK enum sv_err sv_blacklist_lift(struct sv_app *app,
                                            const char *tenant_id,
                                            const char *id,
                                            const struct sv_actor *actor);
/** Add a platform-wide entry (CLI). @p ttl_ms 0: until lifted. */
SV_MUST_CHECK enum sv_err
sv_blacklist_add_platform(struct sv_app *app, const char *kind,
                          const char *value, const char *reason, int64_t ttl_ms,
                          const char *actor, char id_out[37]);

#endif
