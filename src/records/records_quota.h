/*
 * The records capability's quotas at work (DATA-4): the meter of quota.h
 * and the stored limits and use (migration 015) put together for
 * records.c, the security event and the admins' notices of a crossing,
 * and the limits' own API. Internal to src/records/.
 */
#ifndef SV_RECORDS_RECORDS_QUOTA_H
#define SV_RECORDS_RECORDS_QUOTA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"
#include "records/quota.h"

struct sv_actor;
struct sv_db;
struct sv_dbc;
struct sv_record_outcome;

/** The tenant's limits (its row, else the defaults). */
SV_MUST_CHECK enum sv_err rquota_limits_tx(struct sv_dbc *c,
                                           const char *tenant_id,
                                           struct sv_quota_limits *out);

/**
 * Before any database work: SV_E_RECORDS_QUOTA_EXCEEDED (with @p o's
 * field, limit kind and Retry-After) when this node already knows the
 * account is over a read limit; SV_OK otherwise.
 */
SV_MUST_CHECK enum sv_err rquota_reads_early(const char *tenant_id,
                                             const char *account_id,
                                             struct sv_record_outcome *o);
/** Inside the read's transaction, before it reads: the meter loaded if
 *  stale, then the read limits checked. */
SV_MUST_CHECK enum sv_err rquota_reads_tx(struct sv_dbc *c,
                                          const char *tenant_id,
                                          const char *account_id,
                                          struct sv_record_outcome *o);
/** After a read that showed @p n records. */
void rquota_reads_count(const char *tenant_id, const char *account_id,
                        int64_t n);
/** Inside the transaction that shows them: @p n values unmasked, or
 *  @p n rows exported, taken from the account's day (refused whole when
 *  they do not fit). */
SV_MUST_CHECK enum sv_err
rquota_take_tx(struct sv_dbc *c, const char *tenant_id, const char *account_id,
               enum sv_quota_kind k, int64_t n, struct sv_record_outcome *o);
/**
 * After a request ended in @p rc: a quota refusal raises, once per
 * account, quota and day, the security event and the tenant admins'
 * notices (their own transaction). Returns @p rc.
 */
enum sv_err rquota_after(struct sv_db *db, const char *tenant_id,
                         const struct sv_actor *actor, enum sv_err rc,
                         const struct sv_record_outcome *o);

#endif
