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
/** @p version 0 = newest. Copies the wrapped key into @p out. */
enum sv_qs tenant_store_find_key(struct sv_dbc *c, const char *tenant_id,
                                 uint32_t version, uint32_t *found_version,
                                 uint8_t *out, size_t *len);

#endif
