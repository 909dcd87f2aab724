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
    /*
     * The source: an IPv4 address, or an IPv6 address's /64 (one host
     * controls a whole /64), "" when unknown.
     */
    char ip[64];
    const char *device; /* client device id, "" when none */
    /* from sv_guard_read, or from before this attempt (sv_guard_attempt_tx) */
    int64_t name_score, ip_score, device_score; /* thousandths */
    int64_t locked_until;
};

/** The source an address counts as: IPv4, or the /64 of an IPv6 one. */
void sv_guard_source(const char *ip, char out[64]);

/** Fill the keys of @p g for this attempt. */
void sv_guard_init(const struct sv_app *app, struct sv_guard *g,
                   const char *tenant_slug, const char *username,
                   const char *ip, const char *device);

/** Read the decayed counters and the lock. */
SV_MUST_CHECK enum sv_err sv_guard_read(struct sv_dbc *c,
                                        const struct sv_app *app,
                                        struct sv_guard *g, int64_t now);

/** A CAPTCHA is due (after sv_guard_read or sv_guard_attempt_tx). */
bool sv_guard_captcha_due(const struct sv_app *app, const struct sv_guard *g);

/**
 * The source has failed so often (10 x lock_after, decaying) that it may
 * not even be shown a CAPTCHA any more: answer SV_E_RATE_LIMITED.
 */
bool sv_guard_source_flooding(const struct sv_app *app,
                              const struct sv_guard *g);

/**
 * Inside a transaction, before the password is checked: count this attempt
 * as a failure on all three counters at once (so parallel attempts cannot
 * slip past the thresholds while their hashes run), leaving in @p g the
 * scores from before it and the lock. A session refunds it
 * (sv_guard_session_tx); a wrong password then only needs the lock and
 * stuffing checks (sv_guard_failed_tx).
 */
SV_MUST_CHECK enum sv_err sv_guard_attempt_tx(struct sv_dbc *c,
                                              const struct sv_app *app,
                                              struct sv_guard *g, int64_t now);

/**
 * Inside a transaction, after an attempt counted by sv_guard_attempt_tx
 * failed: lock the name if it reached lock_after, look for stuffing.
 */
SV_MUST_CHECK enum sv_err
sv_guard_failed_tx(struct sv_dbc *c, const struct sv_app *app,
                   struct sv_guard *g, const char *tenant_id,
                   const struct sv_actor *actor, int64_t now);

/**
 * Inside a transaction, when the password was right: the source and the
 * device get their attempt back (the name keeps it until a session).
 */
SV_MUST_CHECK enum sv_err sv_guard_password_ok_tx(struct sv_dbc *c,
                                                  struct sv_guard *g);

/**
 * Inside a transaction, when a login ends in a session: the name's
 * failures are forgotten.
 */
SV_MUST_CHECK enum sv_err sv_guard_session_tx(struct sv_dbc *c,
                                              const struct sv_app *app,
                                              const char *tenant_slug,
                                              const char *username);

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
                                            const char *purpose, const char *id,
                                            unsigned max, int64_t now,
                                            bool *over);
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
