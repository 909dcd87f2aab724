/* SCIM's SQL (only here): see scim.h. */
#ifndef SV_SCIM_SCIM_STORE_H
#define SV_SCIM_SCIM_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

/** The external id of @p resource ("User", "Group") @p id into @p out
 *  (SV_QS_NONE: none). */
enum sv_qs scim_store_external_id(struct sv_dbc *c, const char *tenant_id,
                                  const char *resource, const char *id,
                                  char *out, size_t len);
/** Set (NULL: drop) it. SV_QS_NONE when another resource has it. */
enum sv_qs scim_store_set_external_id(struct sv_dbc *c, const char *tenant_id,
                                      const char *resource, const char *id,
                                      const char *external_id);

/** "employee" or "group" into @p kind when @p id is one of the tenant's. */
enum sv_qs scim_store_member_kind(struct sv_dbc *c, const char *tenant_id,
                                  const char *id, char kind[12]);

/** A filter of a list: at most one of the three (NULL: none). */
struct scim_query {
    const char *username;    /* Users: exact (lower case) */
    const char *name_key;    /* Groups: the name's key (ASCII folded) */
    const char *external_id; /* either */
    int64_t offset, count;
    const char *veil; /* Users: the viewer's (access/veil_sql.h), or NULL */
};
typedef void (*scim_id_fn)(void *cls, const char *id);
/** The ids of a page of employees (Users) or groups (Groups) in id order,
 *  and how many match in all. */
enum sv_qs scim_store_users(struct sv_dbc *c, const char *tenant_id,
                            const struct scim_query *q, scim_id_fn row,
                            void *cls, int64_t *total);
enum sv_qs scim_store_groups(struct sv_dbc *c, const char *tenant_id,
                             const struct scim_query *q, scim_id_fn row,
                             void *cls, int64_t *total);

#endif
