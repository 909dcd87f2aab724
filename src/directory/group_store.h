/* groups' SQL (only here): see group.h. */
#ifndef SV_DIRECTORY_GROUP_STORE_H
#define SV_DIRECTORY_GROUP_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "directory/group.h"

enum sv_qs group_store_find(struct sv_dbc *c, const char *tenant_id,
                            const char *id, struct sv_group *out);
/** @p out's owner name and direct member count. */
enum sv_qs group_store_view(struct sv_dbc *c, const char *tenant_id,
                            struct sv_group_view *out);
enum sv_qs group_store_name_taken(struct sv_dbc *c, const char *tenant_id,
                                  const char *key, const char *except);
enum sv_qs group_store_count(struct sv_dbc *c, const char *tenant_id,
                             int64_t *out);
enum sv_qs group_store_insert(struct sv_dbc *c, const char *tenant_id,
                              const struct sv_group *g, const char *key);
enum sv_qs group_store_update(struct sv_dbc *c, const char *tenant_id,
                              const struct sv_group *g, const char *key);
/** Delete group @p id, its members and its memberships in other groups. */
enum sv_qs group_store_delete(struct sv_dbc *c, const char *tenant_id,
                              const char *id);
/** SV_QS_ONE when a role is assigned to or over group @p id, or it is a
 *  viewer of a hidden department. */
enum sv_qs group_store_used(struct sv_dbc *c, const char *tenant_id,
                            const char *id);
/** SV_QS_ONE when group @p id or a group containing it holds a role or
 *  sees a hidden department. */
enum sv_qs group_store_privileged(struct sv_dbc *c, const char *tenant_id,
                                  const char *id);
/** An active employee: SV_QS_ONE with its display name. */
enum sv_qs group_store_employee(struct sv_dbc *c, const char *tenant_id,
                                const char *id, char *name, size_t len,
                                bool active_only);
enum sv_qs group_store_department(struct sv_dbc *c, const char *tenant_id,
                                  const char *id);
/** DIR-3: SV_QS_ONE when employee (or department) @p id is outside
 *  @p veil (access/veil_sql.h). */
enum sv_qs group_store_seen(struct sv_dbc *c, const char *tenant_id,
                            bool department, const char *id, const char *veil);
/** SV_QS_ONE when @p inner is @p outer or inside it (a member, however
 *  deeply). */
enum sv_qs group_store_contains(struct sv_dbc *c, const char *tenant_id,
                                const char *outer, const char *inner);
/** Levels above @p id (0: no group contains it) and below (0: no group
 *  inside it). */
enum sv_qs group_store_depth(struct sv_dbc *c, const char *tenant_id,
                             const char *id, int64_t *up, int64_t *down);
enum sv_qs group_store_member_count(struct sv_dbc *c, const char *tenant_id,
                                    const char *id, int64_t *out);
/** SV_QS_NONE when @p member_id is already a member. */
enum sv_qs group_store_member_add(struct sv_dbc *c, const char *tenant_id,
                                  const char *id, const char *kind,
                                  const char *member_id, bool subtree,
                                  int64_t now);
/** SV_QS_ONE with the member's kind when removed. */
enum sv_qs group_store_member_find(struct sv_dbc *c, const char *tenant_id,
                                   const char *id, const char *member_id,
                                   enum sv_member_kind *kind);
enum sv_qs group_store_member_remove(struct sv_dbc *c, const char *tenant_id,
                                     const char *id, const char *member_id);

/** @p veil: the viewer's (access/veil_sql.h): a hidden owner reads as
 *  none. */
enum sv_qs group_store_page(struct sv_dbc *c, const char *tenant_id,
                            const struct sv_group_query *q, const char *veil,
                            sv_group_row_fn row, void *cls, bool *more);
/** @p veil: ",id,id," or NULL (access/veil_sql.h). */
enum sv_qs group_store_members(struct sv_dbc *c, const char *tenant_id,
                               const char *id, const char *veil,
                               const char *after_id, int limit,
                               sv_group_member_row_fn row, void *cls,
                               bool *more);
enum sv_qs group_store_expand(struct sv_dbc *c, const char *tenant_id,
                              const char *id, const char *veil,
                              const char *after_key, const char *after_id,
                              int limit, sv_group_person_row_fn row, void *cls,
                              bool *more);

/* offboarding */
/** The groups member @p id (of @p kind) is a direct member of, one per
 *  call of @p row. */
typedef void (*group_id_fn)(void *cls, const char *group_id, const char *name);
enum sv_qs group_store_memberships(struct sv_dbc *c, const char *tenant_id,
                                   const char *kind, const char *id,
                                   group_id_fn row, void *cls);
enum sv_qs group_store_owned(struct sv_dbc *c, const char *tenant_id,
                             const char *account_id, group_id_fn row,
                             void *cls);
enum sv_qs group_store_pass_owned(struct sv_dbc *c, const char *tenant_id,
                                  const char *from, const char *to,
                                  int64_t now);

#endif
