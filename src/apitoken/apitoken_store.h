/* API tokens' SQL (only here): see apitoken.h. */
#ifndef SV_APITOKEN_APITOKEN_STORE_H
#define SV_APITOKEN_APITOKEN_STORE_H

#include "apitoken/apitoken.h"
#include "db/db.h"

enum sv_qs apitoken_store_insert(struct sv_dbc *c, const char *tenant_id,
                                 const struct sv_api_token *t, const char *key,
                                 const uint8_t hash[32]);
enum sv_qs apitoken_store_name_taken(struct sv_dbc *c, const char *tenant_id,
                                     const char *key);
enum sv_qs apitoken_store_live_count(struct sv_dbc *c, const char *tenant_id,
                                     int64_t now, int64_t *out);
enum sv_qs apitoken_store_find(struct sv_dbc *c, const char *tenant_id,
                               const char *id, struct sv_api_token *out);
enum sv_qs apitoken_store_revoke(struct sv_dbc *c, const char *tenant_id,
                                 const char *id, int64_t now);
enum sv_qs apitoken_store_list(struct sv_dbc *c, const char *tenant_id,
                               sv_api_token_row_fn row, void *cls);
/** Live tokens made by @p account_id, one call of @p row each. */
enum sv_qs apitoken_store_made_by(struct sv_dbc *c, const char *tenant_id,
                                  const char *account_id, int64_t now,
                                  sv_api_token_row_fn row, void *cls);
/** The live token hashing to @p hash whose maker is enabled (the caller
 *  scoped the transaction to the hash). */
enum sv_qs apitoken_store_resolve(struct sv_dbc *c, const uint8_t hash[32],
                                  int64_t now, struct sv_api_token *out,
                                  char *tenant_id);
enum sv_qs apitoken_store_touch(struct sv_dbc *c, const char *tenant_id,
                                const char *id, int64_t now);

#endif
