/*
 * The SQL of account protection and device trust (guard.c, flow.c,
 * device.c): declared in protect_store.c, bound by the callers.
 */
#ifndef SV_IDENTITY_PROTECT_STORE_H
#define SV_IDENTITY_PROTECT_STORE_H

#include "db/db.h"

/* AUTH-4 counters */
extern const struct sv_sql Q_COUNTER_READ, Q_COUNTER_FAIL, Q_COUNTER_LOCK,
    Q_COUNTER_LOCKS, Q_COUNTER_CLEAR, Q_COUNTER_REFUND, Q_COUNTER_PRUNE;
/* AUTH-5 */
extern const struct sv_sql Q_FAILURE_ADD, Q_FAILURE_DISTINCT, Q_FAILURE_PRUNE,
    Q_BLACKLIST_HIT, Q_BLACKLIST_ACTIVE, Q_BLACKLIST_ADD, Q_BLACKLIST_LIST,
    Q_BLACKLIST_LIFT, Q_BLACKLIST_PLATFORM_ADD, Q_BLACKLIST_PLATFORM_LIST,
    Q_BLACKLIST_PLATFORM_LIFT, Q_FAILURE_FORGET;
/* challenges */
extern const struct sv_sql Q_CH_INSERT, Q_CH_FIND, Q_CH_SET_STAGE,
    Q_CH_SET_CAPTCHA, Q_CH_SET_CODE, Q_CH_FAIL, Q_CH_SET_APPROVAL, Q_CH_DECIDE,
    Q_CH_DECIDED_SINCE, Q_CH_PRUNE, Q_CH_CLOSE_ACCOUNT, Q_AP_COUNT_CHALLENGE,
    Q_AP_COUNT_RECENT;
/* devices */
extern const struct sv_sql Q_DEV_FIND_CLIENT, Q_DEV_INSERT, Q_DEV_SEEN,
    Q_DEV_TRUST, Q_DEV_COUNT_TRUSTED, Q_DEV_LIST, Q_DEV_REVOKE,
    Q_DEV_REVOKE_SESSIONS, Q_NONCE_ADD, Q_NONCE_PRUNE;
/* approvals */
extern const struct sv_sql Q_AP_INSERT, Q_AP_FIND, Q_AP_PENDING, Q_AP_SCANNED,
    Q_AP_DECIDE;
/* misc */
extern const struct sv_sql Q_ACCOUNT_HAS_PHONE, Q_ACCOUNT_FLAG_CHANGE,
    Q_TENANT_REQUIRE_MFA;

#endif
