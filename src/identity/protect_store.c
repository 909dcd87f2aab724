/* SQL of the login flow and device trust (see protect_store.h). */
#include "identity/protect_store.h"

/* ---- challenges (platform table: before the password, no tenant) ---- */

#define CH_COLS                                                                \
    "id, token_hash, tenant_slug, username, tenant_id, account_id, "           \
    "client_kind, device_client, device_name, device_model, "                  \
    "device_platform, device_key, ip, user_agent, stage, next, device_done, "  \
    "captcha_hash, captcha_draws, code_hash, code_expires_at, code_sends, "    \
    "approval_id, failures, created_at, expires_at, device_nonce, name_key"

SV_SQL_SHARED(Q_CH_INSERT, "challenge_insert",
              "INSERT INTO challenges (" CH_COLS ") VALUES ($1, $2, $3, $4, "
              "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, "
              "$18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)",
              SV_SQL_PLATFORM);
SV_SQL_SHARED(Q_CH_FIND, "challenge_find",
              "SELECT " CH_COLS " FROM challenges WHERE id = $1",
              SV_SQL_PLATFORM);
SV_SQL_SHARED(Q_CH_SET_STAGE, "challenge_set_stage",
              "UPDATE challenges SET stage = $2, next = $3, account_id = $4, "
              "tenant_id = $5, device_done = $6 WHERE id = $1 AND stage = $7",
              SV_SQL_PLATFORM);
SV_SQL_SHARED(Q_CH_SET_CAPTCHA, "challenge_set_captcha",
              "UPDATE challenges SET captcha_hash = $2 WHERE id = $1",
              SV_SQL_PLATFORM);
/* A draw is counted before the image is drawn: at most $2 per challenge. */
SV_SQL_SHARED(Q_CH_DRAW, "challenge_draw",
              "UPDATE challenges SET captcha_draws = captcha_draws + 1, "
              "captcha_hash = NULL WHERE id = $1 AND captcha_draws < $2",
              SV_SQL_PLATFORM);
/* AUTH-4: CAPTCHA challenges one source holds open now. */
SV_SQL_SHARED(Q_CH_OPEN_BY_IP, "challenge_open_by_ip",
              "SELECT COUNT(*) FROM challenges WHERE ip = $1 AND "
              "expires_at > $2 AND stage = 'captcha' AND failures < 5",
              SV_SQL_PLATFORM);
SV_SQL_SHARED(Q_CH_SET_CODE, "challenge_set_code",
              "UPDATE challenges SET code_hash = $2, code_expires_at = $3, "
              "code_sends = code_sends + 1 WHERE id = $1",
              SV_SQL_PLATFORM);
SV_SQL_SHARED(Q_CH_FAIL, "challenge_fail",
              "UPDATE challenges SET failures = failures + 1, "
              "captcha_hash = NULL WHERE id = $1 RETURNING failures",
              SV_SQL_PLATFORM);
SV_SQL_SHARED(Q_CH_SET_APPROVAL, "challenge_set_approval",
              "UPDATE challenges SET approval_id = $2 WHERE id = $1",
              SV_SQL_PLATFORM);
/* Only a pending approval is decided, once. */
SV_SQL_SHARED(Q_CH_DECIDE, "challenge_decide",
              "UPDATE challenges SET stage = $2, device_done = $3, "
              "decided_at = $4 WHERE id = $1 AND approval_id = $5 "
              "AND stage = 'device'",
              SV_SQL_PLATFORM);
SV_SQL_SHARED(Q_CH_DECIDED_SINCE, "challenge_decided_since",
              "SELECT id FROM challenges WHERE decided_at >= $1",
              SV_SQL_PLATFORM);
SV_SQL_SHARED(Q_CH_PRUNE, "challenge_prune",
              "DELETE FROM challenges WHERE expires_at < $1", SV_SQL_PLATFORM);
/* A password change or reset closes the account's logins in progress. */
SV_SQL_SHARED(Q_CH_CLOSE_ACCOUNT, "challenge_close_account",
              "UPDATE challenges SET stage = 'closed' WHERE account_id = $1 "
              "AND stage NOT IN ('done', 'closed')",
              SV_SQL_PLATFORM);
/* Approvals asked for one challenge, and for one account lately. */
/* The account's approvals long expired (the hourly count is past them). */
SV_SQL_SHARED(Q_AP_PRUNE, "approval_prune",
              "DELETE FROM approvals WHERE tenant_id = $1 AND account_id = $2 "
              "AND expires_at < $3",
              0);
SV_SQL_SHARED(Q_AP_COUNT_CHALLENGE, "approval_count_challenge",
              "SELECT COUNT(*) FROM approvals WHERE tenant_id = $1 "
              "AND challenge_id = $2",
              0);
SV_SQL_SHARED(Q_AP_COUNT_RECENT, "approval_count_recent",
              "SELECT COUNT(*) FROM approvals WHERE tenant_id = $1 "
              "AND account_id = $2 AND created_at > $3 AND kind = 'push'",
              0);

/* ---- devices (DEV-1, DEV-5) ---- */

#define DEV_COLS                                                               \
    "id, kind, client_id, name, model, platform, public_key, state, "          \
    "first_seen_at, last_seen_at, last_ip"

SV_SQL_SHARED(Q_DEV_FIND_CLIENT, "device_find_client",
              "SELECT " DEV_COLS " FROM devices WHERE tenant_id = $1 "
              "AND account_id = $2 AND client_id = $3",
              0);
SV_SQL_SHARED(Q_DEV_INSERT, "device_insert",
              "INSERT INTO devices (tenant_id, id, account_id, client_id, "
              "kind, name, model, platform, public_key, state, first_seen_at, "
              "last_seen_at, last_ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
              "$9, 'unknown', $10, $10, $11)",
              0);
SV_SQL_SHARED(Q_DEV_SEEN, "device_seen",
              "UPDATE devices SET last_seen_at = $3, last_ip = $4, "
              "name = COALESCE($5, name), model = COALESCE($6, model), "
              "platform = COALESCE($7, platform) "
              "WHERE tenant_id = $1 AND id = $2",
              0);
SV_SQL_SHARED(Q_DEV_TRUST, "device_trust",
              "UPDATE devices SET state = 'trusted' WHERE tenant_id = $1 "
              "AND id = $2 AND state = 'unknown'",
              0);
SV_SQL_SHARED(Q_DEV_COUNT_TRUSTED, "device_count_trusted",
              "SELECT COUNT(*) FROM devices WHERE tenant_id = $1 "
              "AND account_id = $2 AND state = 'trusted' AND kind <> 'web'",
              0);
SV_SQL_SHARED(Q_DEV_LIST, "device_list",
              "SELECT " DEV_COLS " FROM devices WHERE tenant_id = $1 "
              "AND account_id = $2 ORDER BY id",
              0);
SV_SQL_SHARED(Q_DEV_REVOKE, "device_revoke",
              "UPDATE devices SET state = 'revoked' WHERE tenant_id = $1 "
              "AND account_id = $2 AND id = $3 AND state <> 'revoked'",
              0);
SV_SQL_SHARED(Q_DEV_REVOKE_SESSIONS, "device_revoke_sessions",
              "UPDATE sessions SET revoked_at = $3 WHERE tenant_id = $1 "
              "AND device_id = $2 AND revoked_at IS NULL",
              0);
SV_SQL_SHARED(Q_NONCE_ADD, "device_nonce_add",
              "INSERT INTO device_nonces (tenant_id, device_id, nonce, "
              "expires_at) VALUES ($1, $2, $3, $4) "
              "ON CONFLICT (tenant_id, device_id, nonce) DO NOTHING",
              0);
SV_SQL_SHARED(Q_NONCE_PRUNE, "device_nonce_prune",
              "DELETE FROM device_nonces WHERE tenant_id = $1 "
              "AND device_id = $2 AND expires_at < $3",
              0);

/* ---- approvals (DEV-3, DEV-4) ---- */

#define AP_COLS                                                                \
    "id, account_id, challenge_id, kind, qr_hash, number, choices, ip, "       \
    "user_agent, state, device_id, created_at, expires_at"

SV_SQL_SHARED(Q_AP_INSERT, "approval_insert",
              "INSERT INTO approvals (tenant_id, id, account_id, "
              "challenge_id, kind, qr_hash, number, choices, ip, user_agent, "
              "state, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, "
              "$6, $7, $8, $9, $10, 'pending', $11, $12)",
              0);
SV_SQL_SHARED(Q_AP_FIND, "approval_find",
              "SELECT " AP_COLS " FROM approvals WHERE tenant_id = $1 "
              "AND id = $2",
              0);
SV_SQL_SHARED(Q_AP_PENDING, "approval_pending",
              "SELECT " AP_COLS " FROM approvals WHERE tenant_id = $1 "
              "AND account_id = $2 AND state = 'pending' AND kind = 'push' "
              "AND expires_at > $3 ORDER BY id LIMIT 20",
              0);
SV_SQL_SHARED(Q_AP_SCANNED, "approval_scanned",
              "UPDATE approvals SET device_id = $3 WHERE tenant_id = $1 "
              "AND id = $2 AND state = 'pending' AND device_id IS NULL",
              0);
SV_SQL_SHARED(Q_AP_DECIDE, "approval_decide",
              "UPDATE approvals SET state = $3, device_id = $4, "
              "decided_at = $5 WHERE tenant_id = $1 AND id = $2 "
              "AND state = 'pending'",
              0);

/* ---- misc ---- */

SV_SQL_SHARED(Q_ACCOUNT_HAS_PHONE, "account_has_phone",
              "SELECT phone_enc IS NOT NULL FROM accounts WHERE tenant_id = $1 "
              "AND id = $2",
              0);
SV_SQL_SHARED(Q_ACCOUNT_FLAG_CHANGE, "account_flag_change",
              "UPDATE accounts SET must_change_password = 1 "
              "WHERE tenant_id = $1 AND id = $2",
              0);
SV_SQL_SHARED(Q_TENANT_REQUIRE_MFA, "tenant_require_mfa",
              "SELECT require_mfa FROM tenants WHERE id = $1", SV_SQL_PLATFORM);
