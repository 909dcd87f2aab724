/*
 * Brute force and credential stuffing (AUTH-4, AUTH-5).
 *
 * Failures are counted per account name (tenant + username as typed,
 * known or not), per source IP and per device, in the database so that
 * every node sees them. Each counter loses one failure per
 * [auth] failure_decay_s. Only failures count: a right password, however
 * many arrive at once from one address, leaves nothing behind.
 *
 * - score: every failure (a wrong password, a wrong CAPTCHA answer, a
 *   wrong code). At captcha_after on the name, the IP or the device a
 *   CAPTCHA is due; a source at 10 x lock_after is refused outright.
 * - hard (names only): failures of a real check: a password that was
 *   checked, or a second factor after a right password. At lock_after the
 *   name locks for lock_base_s x 2^(locks so far), at most lock_max_s.
 *   Once captcha_after is reached every password check needs a solved
 *   CAPTCHA first, so failures behind an unsolved CAPTCHA never lock.
 * - pending (names only): password checks in flight, on any node. A check
 *   starts only while score + pending < captcha_after: however many
 *   guesses for one name arrive at once, at most captcha_after are checked
 *   before the CAPTCHA; the others wait their turn.
 *
 * One IP or device failing on stuffing_accounts distinct names within
 * stuffing_window_s is blacklisted for blacklist_s, with a security event
 * in the audit log (platform_stuffing_accounts for tenants that do not
 * exist, and then platform-wide).
 */
#ifndef SV_RISK_RISK_H
#define SV_RISK_RISK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"

struct sv_app;
struct sv_dbc;
struct sv_actor;

/*
 * The longest username and tenant slug keyed as typed (identity's
 * SV_USERNAME_MAX, directory's SV_SLUG_MAX: identity.c checks they agree).
 */
#define SV_GUARD_NAME_MAX 64
#define SV_GUARD_SLUG_MAX 32

/* "unknown:" and 24 hex digits of the keyed name */
#define SV_GUARD_FP_LEN 33

struct sv_guard {
    /* keyed hashes: nothing typed is stored */
    uint8_t name_key[32], ip_key[32], device_key[32];
    /*
     * The source: an IPv4 address, or an IPv6 address's /64 (one host
     * controls a whole /64), "" when unknown.
     */
    char ip[64];
    const char *device; /* client device id, "" when none */
    /* from sv_guard_read: thousandths of a failure */
    int64_t name_score, name_hard, ip_score, device_score;
    int64_t locked_until;
    bool claimed; /* sv_guard_claim_tx took a slot: release it */
};

/** The source an address counts as: IPv4, or the /64 of an IPv6 one. */
void sv_guard_source(const char *ip, char out[64]);

/** Fill the keys of @p g for this attempt. */
void sv_guard_init(const struct sv_app *app, struct sv_guard *g,
                   const char *tenant_slug, const char *username,
                   const char *ip, const char *device);
/** The same from a name key kept earlier (a challenge's). */
void sv_guard_init_key(const struct sv_app *app, struct sv_guard *g,
                       const uint8_t name_key[32], const char *ip,
                       const char *device);

/**
 * What the audit log says for a name that matches no account: a keyed
 * fingerprint, never the text (it may be a password typed in the wrong
 * field).
 */
void sv_guard_fingerprint(const struct sv_guard *g, char out[SV_GUARD_FP_LEN]);

/** Read the decayed counters and the lock. */
SV_MUST_CHECK enum sv_err sv_guard_read(struct sv_dbc *c,
                                        const struct sv_app *app,
                                        struct sv_guard *g, int64_t now);

/** A CAPTCHA is due (after sv_guard_read). */
bool sv_guard_captcha_due(const struct sv_app *app, const struct sv_guard *g);

/**
 * The source has failed so often (10 x lock_after, decaying) that it may
 * not even be shown a CAPTCHA any more: answer SV_E_RATE_LIMITED.
 */
bool sv_guard_source_flooding(const struct sv_app *app,
                              const struct sv_guard *g);

/**
 * Inside a transaction, before a password check that no CAPTCHA preceded:
 * take one of the name's captcha_after slots (see above). *claimed false:
 * the slots are taken; wait and try again. A slot is a lease: a node that
 * dies holding one frees it after a while.
 */
SV_MUST_CHECK enum sv_err sv_guard_claim_tx(struct sv_dbc *c,
                                            const struct sv_app *app,
                                            struct sv_guard *g, int64_t now,
                                            bool *claimed);
/**
 * Inside a transaction: give the slot back (when g->claimed). The caller
 * clears g->claimed once the transaction has committed.
 */
SV_MUST_CHECK enum sv_err sv_guard_release_tx(struct sv_dbc *c,
                                              struct sv_guard *g);

enum sv_fail_kind {
    SV_FAIL_CHECK,  /* a real check failed: name (towards the lock), source */
    SV_FAIL_SOFT,   /* a wrong CAPTCHA: name (towards the CAPTCHA), source */
    SV_FAIL_SOURCE, /* the source only (e.g. a wrong reset code) */
};

/**
 * Inside a transaction: count one failure of @p kind, lock the name when
 * its hard count reaches lock_after, and look for stuffing: @p tenant_id
 * is the tenant tried (NULL when unknown), @p actor who tried. Writes the
 * security events itself.
 */
SV_MUST_CHECK enum sv_err
sv_guard_fail_tx(struct sv_dbc *c, const struct sv_app *app, struct sv_guard *g,
                 enum sv_fail_kind kind, const char *tenant_id,
                 const struct sv_actor *actor, int64_t now);

/**
 * Inside a transaction, when a login ends in a session: the name's
 * failures are forgotten.
 */
SV_MUST_CHECK enum sv_err sv_guard_session_tx(struct sv_dbc *c,
                                              const struct sv_app *app,
                                              const char *tenant_slug,
                                              const char *username);

/*
 * Per node, in memory: password checks one source has in flight, so that
 * one address cannot fill the hashing pool (nor test many names at once
 * before its failures are counted). No database work.
 */
/** Take a place for @p source; false when it has @p max already. */
bool sv_guard_source_enter(const char *source, unsigned max);
/** Give it back. */
void sv_guard_source_leave(const char *source);

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

/**
 * Inside a transaction (housekeeping): counters decayed to nothing and
 * failures older than the stuffing window at @p now are deleted.
 */
SV_MUST_CHECK enum sv_err
sv_guard_prune_tx(struct sv_dbc *c, const struct sv_app *app, int64_t now);

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

/**
 * Active entries of @p tenant_id and the platform-wide ones (their
 * tenant_id NULL); @p tenant_id NULL: every entry, platform view.
 */
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
