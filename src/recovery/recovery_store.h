/* The SQL of reset codes (only here). */
#ifndef SV_RECOVERY_RECOVERY_STORE_H
#define SV_RECOVERY_RECOVERY_STORE_H

#include <stdint.h>

#include "db/db.h"

#define RECOVERY_HASH_LEN 32

/** Forget the account's codes made before @p before. */
enum sv_qs recovery_store_prune(struct sv_dbc *c, const char *tenant_id,
                                const char *account_id, int64_t before);
enum sv_qs recovery_store_sweep(struct sv_dbc *c, const char *tenant_id,
                                int64_t before);
enum sv_qs recovery_store_insert(struct sv_dbc *c, const char *tenant_id,
                                 const char *id, const char *account_id,
                                 const uint8_t hash[RECOVERY_HASH_LEN],
                                 int64_t now, int64_t expires_at);
/** Codes made for the account at or after @p since (used or not). */
enum sv_qs recovery_store_count_since(struct sv_dbc *c, const char *tenant_id,
                                      const char *account_id, int64_t since,
                                      int64_t *n);
/** Void every unused code of the account (expires now). */
enum sv_qs recovery_store_void(struct sv_dbc *c, const char *tenant_id,
                               const char *account_id, int64_t now);

struct reset_row {
    char id[37];
    uint8_t hash[RECOVERY_HASH_LEN];
    int64_t attempts;
};

/** The newest unused, unexpired code of the account. */
enum sv_qs recovery_store_find(struct sv_dbc *c, const char *tenant_id,
                               const char *account_id, int64_t now,
                               struct reset_row *r);
/** One more wrong attempt; at @p max attempts the code expires now. */
enum sv_qs recovery_store_fail(struct sv_dbc *c, const char *tenant_id,
                               const char *id, int64_t now, int64_t max);
/** Consume a code if still unused and unexpired. */
enum sv_qs recovery_store_use(struct sv_dbc *c, const char *tenant_id,
                              const char *id, int64_t now);

#endif
