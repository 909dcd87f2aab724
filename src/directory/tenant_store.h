/* directory's tenant SQL (only here). */
#ifndef SV_DIRECTORY_TENANT_STORE_H
#define SV_DIRECTORY_TENANT_STORE_H

#include "db/db.h"
#include "directory/tenant.h"

enum sv_qs tenant_store_find_by_slug(struct sv_dbc *c, const char *slug,
                                     struct sv_tenant *out);
enum sv_qs tenant_store_find(struct sv_dbc *c, const char *id,
                             struct sv_tenant *out);
enum sv_qs tenant_store_list(struct sv_dbc *c, sv_tenant_row_fn row, void *cls);
enum sv_qs tenant_store_insert(struct sv_dbc *c, const struct sv_tenant *t);
/** The sign-in policy columns of tenant @p t->id: require_mfa (AUTH-8),
 *  password_policy and password_min_score (AUTH-1). */
enum sv_qs tenant_store_set_policy(struct sv_dbc *c, const struct sv_tenant *t);
enum sv_qs tenant_store_insert_key(struct sv_dbc *c, const char *tenant_id,
                                   uint32_t version, const uint8_t *wrapped,
                                   size_t len);
/** A key version as stored: wrapped by the root key. */
struct tenant_store_key {
    uint32_t version;
    uint8_t wrapped[SV_WRAPPED_KEK_MAX];
    size_t wrapped_len;
    uint8_t index_wrapped[SV_WRAPPED_KEK_MAX]; /* the tenant's index key */
    size_t index_len;                          /* 0: not made yet */
};
/** Live (not retired) version @p version, 0 = the newest, with the
 *  tenant's index key. */
enum sv_qs tenant_store_find_key(struct sv_dbc *c, const char *tenant_id,
                                 uint32_t version,
                                 struct tenant_store_key *out);
/** The newest live version's number. */
enum sv_qs tenant_store_newest_key(struct sv_dbc *c, const char *tenant_id,
                                   uint32_t *version);
/** Tenants made before migration 016 (key scheme 1: their key versions
 *  wrapped by the root key) (platform). */
enum sv_qs tenant_store_legacy(struct sv_dbc *c,
                               void (*row)(void *, const char *), void *cls);
/** The live key versions, oldest first, at most @p cap. */
enum sv_qs tenant_store_live_keys(struct sv_dbc *c, const char *tenant_id,
                                  struct tenant_store_key *out, size_t cap,
                                  size_t *n);
/** Replace a version's wrapped key (the same key, wrapped anew). */
enum sv_qs tenant_store_rewrap_key(struct sv_dbc *c, const char *tenant_id,
                                   uint32_t version, const uint8_t *wrapped,
                                   size_t len);
/** Store the tenant's index key and mark it key scheme 2 (its keys under
 *  its master key); SV_QS_NONE when it already was (platform). */
enum sv_qs tenant_store_set_index_key(struct sv_dbc *c, const char *tenant_id,
                                      const uint8_t *wrapped, size_t len);

/* ---- deletion (DATA-7) ---- */

/** The tenant tables the erase empties, in its order (for the test). */
const char *const *tenant_store_erase_tables(size_t *n);
/** Delete every row of the tenant (its audit stream and head, its key
 *  versions, then the tenant); *rows: how many. Tenant and platform
 *  scope. */
enum sv_qs tenant_store_erase(struct sv_dbc *c, const char *tenant_id,
                              int64_t *rows);
/** The tenant listed as deleted (its audit events may go then). */
enum sv_qs tenant_store_tombstone(struct sv_dbc *c, const char *tenant_id,
                                  const char *slug, const char *actor,
                                  int64_t now);
enum sv_qs tenant_store_tombstone_done(struct sv_dbc *c, const char *tenant_id,
                                       int64_t now);
/** Every deleted tenant's id (platform). */
enum sv_qs tenant_store_deleted(struct sv_dbc *c,
                                void (*row)(void *, const char *), void *cls);
/** Accounts, records and audit events of the tenant. */
enum sv_qs tenant_store_counts(struct sv_dbc *c, const char *tenant_id,
                               int64_t out[3]);

#endif
