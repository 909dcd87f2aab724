/* access's SQL (only here): see access.h. */
#ifndef SV_ACCESS_ACCESS_STORE_H
#define SV_ACCESS_ACCESS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "db/db.h"

/** The tenant's lock for grants, revocations and role changes (its row):
 *  "the last tenant admin" and "assigned at department scope" are checked
 *  and changed under it. */
enum sv_qs access_store_lock(struct sv_dbc *c, const char *tenant_id);

/** One assignment of an account with one permission of its role (NULL
 *  for a built-in role, whose set the catalogue gives). Borrowed. */
typedef bool (*access_grant_row_fn)(void *cls, const char *assignment_id,
                                    const char *role, const char *scope_kind,
                                    const char *scope_id,
                                    const char *permission);
/** Every assignment of @p account_id, rows of one assignment together.
 *  @p row returns false to stop (SV_QS_HARD). */
enum sv_qs access_store_grants(struct sv_dbc *c, const char *tenant_id,
                               const char *account_id, access_grant_row_fn row,
                               void *cls);
/** The assignments of the groups @p account_id is in, as
 *  access_store_grants(). */
enum sv_qs access_store_group_grants(struct sv_dbc *c, const char *tenant_id,
                                     const char *account_id,
                                     access_grant_row_fn row, void *cls);
/** The groups employee @p id is in, however deeply (at most
 *  SV_ACCESS_GROUPS_MAX). */
enum sv_qs access_store_groups_of_employee(struct sv_dbc *c,
                                           const char *tenant_id,
                                           const char *id,
                                           struct sv_group_set *out);
/** Group @p id and the groups it is in, nearest first. */
enum sv_qs access_store_groups_of_group(struct sv_dbc *c, const char *tenant_id,
                                        const char *id,
                                        struct sv_group_set *out);
/** Group @p id of the tenant: SV_QS_ONE with its name. */
enum sv_qs access_store_group(struct sv_dbc *c, const char *tenant_id,
                              const char *id, char *name, size_t len);
/* DIR-3 */
enum sv_qs access_store_hidden(struct sv_dbc *c, const char *tenant_id,
                               void (*row)(void *, const char *), void *cls);
enum sv_qs access_store_hidden_named(
    struct sv_dbc *c, const char *tenant_id, const char *account_id,
    void (*row)(struct sv_veil *, const char *), struct sv_veil *v);
/** Department @p id and its ancestors into @p ids (at most
 *  SV_ACCESS_DEPTH_MAX). */
enum sv_qs access_store_place(struct sv_dbc *c, const char *tenant_id,
                              const char *id, char ids[][37], size_t *n);
enum sv_qs access_store_scope_used(struct sv_dbc *c, const char *tenant_id,
                                   const char *dept_id);

/* What a grant names, read from their owners' tables (read only). */
#define ACCESS_USERNAME_BYTES 65
/** A username or a group's name (128 characters of UTF-8). */
#define ACCESS_NAME_BYTES 513
/** Account @p id of the tenant: SV_QS_ONE with its username. */
enum sv_qs access_store_account(struct sv_dbc *c, const char *tenant_id,
                                const char *id, char *username, size_t len);
/** Department @p id of the tenant: SV_QS_ONE when it exists. */
enum sv_qs access_store_department(struct sv_dbc *c, const char *tenant_id,
                                   const char *id);

/* roles */
enum sv_qs access_store_role_find(struct sv_dbc *c, const char *tenant_id,
                                  const char *id, struct sv_custom_role *out);
/** The permissions of custom role @p id into @p out (unknown names, e.g.
 *  of a newer release, are left out: never more than was granted). */
enum sv_qs access_store_role_perms(struct sv_dbc *c, const char *tenant_id,
                                   const char *id, sv_perm_set *out);
enum sv_qs access_store_role_name_taken(struct sv_dbc *c, const char *tenant_id,
                                        const char *key, const char *except);
enum sv_qs access_store_role_count(struct sv_dbc *c, const char *tenant_id,
                                   int64_t *out);
enum sv_qs access_store_role_insert(struct sv_dbc *c, const char *tenant_id,
                                    const struct sv_custom_role *r,
                                    const char *key);
enum sv_qs access_store_role_update(struct sv_dbc *c, const char *tenant_id,
                                    const struct sv_custom_role *r,
                                    const char *key);
/** Replace the permissions of role @p id with @p perms. */
enum sv_qs access_store_role_set_perms(struct sv_dbc *c, const char *tenant_id,
                                       const char *id, sv_perm_set perms);
enum sv_qs access_store_role_delete(struct sv_dbc *c, const char *tenant_id,
                                    const char *id);
/** SV_QS_ONE when role @p role is assigned (@p dept_only: at department
 *  scope). */
enum sv_qs access_store_role_assigned(struct sv_dbc *c, const char *tenant_id,
                                      const char *role, bool dept_only);
/** Every custom role in name order, each with its permissions. */
typedef void (*access_role_row_fn)(void *cls, const struct sv_custom_role *r);
enum sv_qs access_store_roles(struct sv_dbc *c, const char *tenant_id,
                              access_role_row_fn row, void *cls);

/* assignments */
/** Insert @p a: SV_QS_NONE when the same one exists. */
enum sv_qs access_store_assign(struct sv_dbc *c, const char *tenant_id,
                               const struct sv_assignment *a,
                               const char *created_by);
enum sv_qs access_store_assignment_find(struct sv_dbc *c, const char *tenant_id,
                                        const char *id,
                                        struct sv_assignment *out);
enum sv_qs access_store_assignment_count(struct sv_dbc *c,
                                         const char *tenant_id,
                                         const char *account_id, int64_t *out);
/** Tenant admins over the tenant: enabled accounts other than @p except. */
enum sv_qs access_store_admin_count(struct sv_dbc *c, const char *tenant_id,
                                    const char *except, int64_t *out);
/** SV_QS_ONE when @p account_id is a tenant admin over the tenant. */
enum sv_qs access_store_is_admin(struct sv_dbc *c, const char *tenant_id,
                                 const char *account_id);
enum sv_qs access_store_unassign(struct sv_dbc *c, const char *tenant_id,
                                 const char *id);
/** @p veil: the viewer's (veil_sql.h): assignments over a department it
 *  hides are left out. */
enum sv_qs access_store_assignments(struct sv_dbc *c, const char *tenant_id,
                                    const struct sv_assignment_query *q,
                                    const char *veil, sv_assignment_row_fn row,
                                    void *cls, bool *more);

#endif
