/* risk's SQL (only here): auth_counters, auth_failures and blacklist. */
#ifndef SV_RISK_STORE_H
#define SV_RISK_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "risk/risk.h"

/* ---- AUTH-4: decaying failure counters (platform table) ---- */

/** One counter row as stored (not decayed). */
typedef void (*risk_counter_row_fn)(void *cls, const uint8_t key[32],
                                    int64_t score, int64_t updated_at,
                                    int64_t locked_until, int64_t hard);
/** The rows of keys @p k1, @p k2, @p k3 that exist. */
enum sv_qs risk_store_counters_read(struct sv_dbc *c, const uint8_t k1[32],
                                    const uint8_t k2[32], const uint8_t k3[32],
                                    risk_counter_row_fn row, void *cls);
/**
 * One failure more after @p decay_ms of decay per failure since the last
 * update; @p hard: towards the lock. SV_QS_ONE with the hard count and
 * the lock after it.
 */
enum sv_qs risk_store_counter_fail(struct sv_dbc *c, const uint8_t key[32],
                                   int64_t now, int64_t decay_ms, bool hard,
                                   int64_t *out_hard, int64_t *locked_until);
/**
 * Take a check slot while the decayed score and the checks in flight stay
 * under @p max (thousandths); the lease ends at @p lease_until.
 * SV_QS_ONE: taken, SV_QS_NONE: the slots are full.
 */
enum sv_qs risk_store_counter_claim(struct sv_dbc *c, const uint8_t key[32],
                                    int64_t now, int64_t decay_ms, int64_t max,
                                    int64_t lease_until);
enum sv_qs risk_store_counter_release(struct sv_dbc *c, const uint8_t key[32]);
/** Locks so far (0 when no row). */
enum sv_qs risk_store_counter_locks(struct sv_dbc *c, const uint8_t key[32],
                                    int64_t *locks);
/** Lock until @p until unless locked at @p now: SV_QS_ONE when it locked. */
enum sv_qs risk_store_counter_lock(struct sv_dbc *c, const uint8_t key[32],
                                   int64_t until, int64_t now);
/** Failures and lock forgotten; checks in flight stay counted. */
enum sv_qs risk_store_counter_clear(struct sv_dbc *c, const uint8_t key[32]);
/** Rows with nothing left to say at @p now. */
enum sv_qs risk_store_counter_prune(struct sv_dbc *c, int64_t now,
                                    int64_t decay_ms);

/* ---- AUTH-5: stuffing detection ---- */

enum sv_qs risk_store_failure_add(struct sv_dbc *c, const char *source,
                                  const char *scope, const uint8_t name_key[32],
                                  int64_t now);
/** Distinct names @p source failed on in @p scope after @p since. */
enum sv_qs risk_store_failure_distinct(struct sv_dbc *c, const char *source,
                                       const char *scope, int64_t since,
                                       int64_t *distinct);
enum sv_qs risk_store_failure_prune(struct sv_dbc *c, int64_t before);
/** A lifted source starts afresh. */
enum sv_qs risk_store_failure_forget(struct sv_dbc *c, const char *source,
                                     const char *scope);

/* ---- the blacklist ---- */

/**
 * SV_QS_ONE when an entry of @p tenant_id (NULL: none) or a platform-wide
 * one lists @p kind @p value at @p now.
 */
enum sv_qs risk_store_blacklist_hit(struct sv_dbc *c, const char *tenant_id,
                                    const char *kind, const char *value,
                                    int64_t now);
/** The same, the tenant's own entries only. */
enum sv_qs risk_store_blacklist_active(struct sv_dbc *c, const char *tenant_id,
                                       const char *kind, const char *value,
                                       int64_t now);
enum sv_qs risk_store_blacklist_add(struct sv_dbc *c, const char *tenant_id,
                                    const char *id, const char *kind,
                                    const char *value, const char *reason,
                                    int64_t now, int64_t expires_at);
/** A platform-wide entry; @p expires_at 0: until lifted. */
enum sv_qs risk_store_blacklist_platform_add(struct sv_dbc *c, const char *id,
                                             const char *kind,
                                             const char *value,
                                             const char *reason, int64_t now,
                                             int64_t expires_at);
/**
 * Active entries at @p now: @p tenant_id's and the platform's (an entry's
 * tenant_id is then @p tenant_id or NULL); @p tenant_id NULL: every entry.
 */
enum sv_qs risk_store_blacklist_list(struct sv_dbc *c, const char *tenant_id,
                                     int64_t now, sv_blacklist_row_fn row,
                                     void *cls);
/**
 * Lift entry @p id of @p tenant_id (NULL: any) at @p now. SV_QS_ONE with
 * @p source "kind:value" and, when @p tenant_id is NULL, @p entry_tenant
 * the entry's tenant ("" for a platform-wide one).
 */
enum sv_qs risk_store_blacklist_lift(struct sv_dbc *c, const char *tenant_id,
                                     const char *id, int64_t now,
                                     char source[128], char entry_tenant[40]);

#endif
