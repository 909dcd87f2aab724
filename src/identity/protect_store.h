/*
 * The SQL of the login flow and device trust (flow.c): challenges,
 * devices, approvals; declared in protect_store.c, bound by the callers.
 * (Counters, failures and the blacklist: risk/risk_store.h.)
 */
#ifndef SV_IDENTITY_PROTECT_STORE_H
#define SV_IDENTITY_PROTECT_STORE_H

#include "db/db.h"

/* challenges */
extern const struct sv_sql Q_CH_INSERT, Q_CH_FIND, Q_CH_SET_STAGE,
    Q_CH_SET_CAPTCHA, Q_CH_DRAW, Q_CH_OPEN_BY_IP, Q_CH_SET_CODE, Q_CH_FAIL,
    Q_CH_SET_APPROVAL, Q_CH_DECIDE, Q_CH_DECIDED_SINCE, Q_CH_PRUNE,
    Q_CH_CLOSE_ACCOUNT, Q_AP_COUNT_CHALLENGE, Q_AP_COUNT_RECENT, Q_AP_PRUNE;
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
