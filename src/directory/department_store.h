/* directory's department SQL (only here): see department.h. */
#ifndef SV_DIRECTORY_DEPARTMENT_STORE_H
#define SV_DIRECTORY_DEPARTMENT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "directory/department.h"

/**
 * Take the tenant's tree lock until the transaction ends (a no-op update
 * of the tenant's row): PostgreSQL writes run at READ COMMITTED, where two
 * moves checked alone could together make a cycle, and a name checked
 * free could be taken meanwhile. Every write of the tree takes it first.
 */
enum sv_qs department_store_lock(struct sv_dbc *c, const char *tenant_id);
enum sv_qs department_store_find(struct sv_dbc *c, const char *tenant_id,
                                 const char *id, struct sv_department *out);
/** Insert @p d (parent_id "" for a root), key @p key, and its closure rows:
 *  itself at depth 0 and one per ancestor of its parent. */
enum sv_qs department_store_insert(struct sv_dbc *c, const char *tenant_id,
                                   const struct sv_department *d,
                                   const char *key);
/** SV_QS_ONE when a department other than @p except_id under @p parent_id
 *  ("" for the roots) has key @p key. */
enum sv_qs department_store_sibling_taken(struct sv_dbc *c,
                                          const char *tenant_id,
                                          const char *parent_id,
                                          const char *key,
                                          const char *except_id);
/** Department @p id and its ancestors as an access place (none: n 0). */
enum sv_qs department_store_place(struct sv_dbc *c, const char *tenant_id,
                                  const char *id,
                                  struct sv_department_place *out);
/** SV_QS_ONE when @p id is in the subtree of @p ancestor_id. */
/** The child of @p parent_id ("" the roots) whose name key is @p key. */
enum sv_qs department_store_child(struct sv_dbc *c, const char *tenant_id,
                                  const char *parent_id, const char *key,
                                  char out[37]);
enum sv_qs department_store_within(struct sv_dbc *c, const char *tenant_id,
                                   const char *id, const char *ancestor_id);
/** The level of @p id: 1 for a root (its closure rows as descendant). */
enum sv_qs department_store_level(struct sv_dbc *c, const char *tenant_id,
                                  const char *id, int64_t *out);
/** The height of @p id's subtree: 0 for a leaf. */
enum sv_qs department_store_height(struct sv_dbc *c, const char *tenant_id,
                                   const char *id, int64_t *out);
/** SV_QS_ONE when @p id has a child department. */
enum sv_qs department_store_has_child(struct sv_dbc *c, const char *tenant_id,
                                      const char *id);
/** SV_QS_ONE when a CRM record is placed in @p id. */
enum sv_qs department_store_has_records(struct sv_dbc *c, const char *tenant_id,
                                        const char *id);
enum sv_qs department_store_rename(struct sv_dbc *c, const char *tenant_id,
                                   const char *id, const char *name,
                                   const char *key, int64_t now);
/**
 * Move @p id (and its subtree) under @p parent_id (NULL: a root): the
 * closure rows linking the subtree to its old ancestors go, rows linking
 * it to the new parent's ancestors (and the parent) come. The caller has
 * checked that @p parent_id is not inside the subtree.
 */
enum sv_qs department_store_move(struct sv_dbc *c, const char *tenant_id,
                                 const char *id, const char *parent_id,
                                 int64_t now);
/** Every department of the tenant, in no particular order. */
enum sv_qs department_store_each(struct sv_dbc *c, const char *tenant_id,
                                 sv_department_each_fn fn, void *cls);
/** Delete leaf @p id and its closure rows. */
enum sv_qs department_store_delete(struct sv_dbc *c, const char *tenant_id,
                                   const char *id);
/** The ancestors of @p id, root first, into @p path (at most its size). */
enum sv_qs department_store_ancestors(struct sv_dbc *c, const char *tenant_id,
                                      const char *id,
                                      struct sv_department_path *path);
/**
 * A page of at most @p limit departments (see struct sv_department_query;
 * @p like is the LIKE pattern of q, its wildcards escaped, or NULL), each
 * handed to @p row.
 */
enum sv_qs department_store_page(struct sv_dbc *c, const char *tenant_id,
                                 const char *parent_id, const char *like,
                                 const char *after_key, const char *after_id,
                                 int limit, const char *veil,
                                 sv_department_row_fn row, void *cls);

/* DIR-3: visibility */
enum sv_qs department_store_set_hidden(struct sv_dbc *c, const char *tenant_id,
                                       const char *id, bool hidden,
                                       int64_t now);
enum sv_qs department_store_hidden(struct sv_dbc *c, const char *tenant_id,
                                   const char *id, bool *hidden);
enum sv_qs department_store_hidden_count(struct sv_dbc *c,
                                         const char *tenant_id, int64_t *out);
enum sv_qs department_store_viewers_clear(struct sv_dbc *c,
                                          const char *tenant_id,
                                          const char *id);
enum sv_qs department_store_viewer_add(struct sv_dbc *c, const char *tenant_id,
                                       const char *id, const char *kind,
                                       const char *subject_id);
typedef void (*department_viewer_fn)(void *cls, const char *kind,
                                     const char *subject_id, const char *name);
enum sv_qs department_store_viewers(struct sv_dbc *c, const char *tenant_id,
                                    const char *id, department_viewer_fn row,
                                    void *cls);
/** Custom role or group @p id of the tenant (read only): SV_QS_ONE. */
enum sv_qs department_store_role_exists(struct sv_dbc *c, const char *tenant_id,
                                        const char *id);
enum sv_qs department_store_group_exists(struct sv_dbc *c,
                                         const char *tenant_id, const char *id);

#endif
