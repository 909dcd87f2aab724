/*
 * Departments (DIR-2, issue 11 part 1): a tree per tenant. A department
 * has a name (1-128 characters, no control characters, unique among its
 * siblings, ASCII letters compared case-insensitively) and at most one
 * parent; one without is a root. The tree is also kept as its closure
 * (department_paths: every ancestor, descendant and their distance, a
 * department its own at distance 0), so "is X inside the subtree of Y" is
 * one indexed look-up and a move rewrites the closure rows of the moved
 * subtree in the transaction that moves it.
 *
 * A change asks the permission model (access/access.h) for
 * directory.manage over the department it touches, inside its own
 * transaction: creating under a parent asks about the parent (a root:
 * the tenant), a rename or delete about the department, a move about the
 * department and its new parent. So a department admin changes only their
 * subtree (DIR-2); a refusal is SV_E_FORBIDDEN and an access.denied event.
 *
 * Delete refuses a department with child departments, with employees
 * (primary or further department) or with a role given over it.
 *
 * Every change is one transaction, serialised per tenant (the tree's
 * lock: the tenant's row), with its audit event. Ids of another tenant
 * are SV_E_NOT_FOUND, as unknown ones are (DIR-1).
 *
 * The *_tx functions run inside the caller's transaction, with the tenant
 * scope set; the others are whole operations (handlers, the CLI).
 */
#ifndef SV_DIRECTORY_DEPARTMENT_H
#define SV_DIRECTORY_DEPARTMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "core/errors.h"

struct sv_actor;
struct sv_db;
struct sv_dbc;

/** A name: 1-128 characters (code points). */
#define SV_DEPARTMENT_NAME_MAX 128
/** Bytes of a name (or its key) at most, without the NUL. */
#define SV_DEPARTMENT_NAME_BYTES (SV_DEPARTMENT_NAME_MAX * 4)
/** Levels of the tree at most (a root is level 1): bounds the closure a
 *  move rewrites (subtree size × depth) and the path a get returns. */
#define SV_DEPARTMENT_DEPTH_MAX 32
/** A search text: 1-64 characters. */
#define SV_DEPARTMENT_QUERY_MAX 64

struct sv_department {
    char id[37];
    char parent_id[37]; /* "" for a root */
    char name[SV_DEPARTMENT_NAME_BYTES + 1];
    int64_t created_at, updated_at;
};

/** The ancestors of a department, root first (the department not in it). */
struct sv_department_path {
    size_t n;
    struct {
        char id[37];
        char name[SV_DEPARTMENT_NAME_BYTES + 1];
    } at[SV_DEPARTMENT_DEPTH_MAX];
};

/** Name rule: 1-128 characters of valid UTF-8, no control characters. */
bool sv_check_department_name(const char *s, size_t len);

/**
 * The key names are compared and sorted by: @p name with ASCII letters in
 * lower case (the same on both engines; other scripts compare as typed).
 * @p out holds at least strlen(@p name) + 1 bytes.
 */
void sv_department_name_key(const char *name, char *out);

/** Where a department is, for the permission model: itself and its
 *  ancestors (the strings point into ids). */
struct sv_department_place {
    struct sv_access_place place;
    char ids[SV_DEPARTMENT_DEPTH_MAX][37];
};

/* ---- inside a transaction ---- */

/** Take the tenant's directory lock until the transaction ends: every
 *  write of the tree and of employees takes it first. */
SV_MUST_CHECK enum sv_err sv_department_lock_tx(struct sv_dbc *c,
                                                const char *tenant_id);

/**
 * Permission @p p for @p actor over department @p id (NULL: the tenant as a
 * whole), inside the change's transaction: sv_access_require_tx() at the
 * department's place.
 */
SV_MUST_CHECK enum sv_err
sv_department_require_tx(struct sv_dbc *c, const char *tenant_id,
                         const struct sv_actor *actor, enum sv_perm p,
                         const char *id, struct sv_access_denial *denied);

/**
 * The department at @p path: names from a root down, separated by "/"
 * (each name as the name rule has it, compared as names are, ASCII
 * case-insensitively). SV_E_NOT_FOUND when a step has no such child;
 * SV_E_FIELD_INVALID when a name breaks the rule or the path is deeper than
 * the tree may be.
 */
SV_MUST_CHECK enum sv_err sv_department_by_path_tx(struct sv_dbc *c,
                                                   const char *tenant_id,
                                                   const char *path,
                                                   char out[37]);

/** The path text of a department named @p name below @p path (root
 *  first): names joined by '/', a '/', ';' or '\\' in a name preceded by a
 *  backslash; what sv_department_by_path_tx() reads. Truncated to @p cap. */
size_t sv_department_path_text(const struct sv_department_path *path,
                               const char *name, char *out, size_t cap);

/** The place of department @p id (@p id NULL: the tenant, n 0). */
SV_MUST_CHECK enum sv_err
sv_department_place_tx(struct sv_dbc *c, const char *tenant_id, const char *id,
                       struct sv_department_place *out);

/**
 * For a bulk import (provision/, docs/import.md): insert department @p d
 * (id, parent_id "" for a root, name and times set by the caller) and its
 * closure rows, without the checks and the event of sv_department_create():
 * the importer has checked the name, the depth, the siblings and the
 * actor's permission under the directory lock, and audits in its batch.
 * The parent must be inserted first; the statements may be batched
 * (sv_db_batch_begin).
 */
SV_MUST_CHECK enum sv_err
sv_department_insert_imported_tx(struct sv_dbc *c, const char *tenant_id,
                                 const struct sv_department *d);

/** Every department of the tenant, in no particular order (@p parent_id
 *  "" for a root; @p key the name key): a bulk import reads the tree once.
 *  Borrowed strings, valid during the call. */
typedef void (*sv_department_each_fn)(void *cls, const char *id,
                                      const char *parent_id, const char *key);
SV_MUST_CHECK enum sv_err sv_department_each_tx(struct sv_dbc *c,
                                                const char *tenant_id,
                                                sv_department_each_fn fn,
                                                void *cls);

/** Department @p id of the tenant: SV_E_NOT_FOUND when it has none. */
SV_MUST_CHECK enum sv_err sv_department_find_tx(struct sv_dbc *c,
                                                const char *tenant_id,
                                                const char *id,
                                                struct sv_department *out);

/**
 * Whether department @p id is inside the subtree of @p ancestor_id (a
 * department is inside its own): one look-up of the closure's primary
 * key, whatever the depth. Unknown ids (or another tenant's) answer false:
 * the caller that must tell "unknown" apart finds them first.
 *
 * WARNING: a permission check on this answer must run in the same
 * transaction as the change it allows; a move committed in between
 * changes the answer.
 */
SV_MUST_CHECK enum sv_err
sv_department_within_tx(struct sv_dbc *c, const char *tenant_id, const char *id,
                        const char *ancestor_id, bool *out);

/* ---- whole operations ---- */

/**
 * Create department @p name under @p parent_id (NULL: a root), audited as
 * department.create by @p actor. @p out gets it, @p path (may be NULL) its
 * ancestors, root first.
 * @param[out] field  on a refusal, the field at fault (static), else NULL
 * @return SV_OK; SV_E_FIELD_INVALID ("name": the name rule);
 *         SV_E_NOT_FOUND ("parent_id": no such department in the tenant);
 *         SV_E_EXISTS ("name": a sibling has the name);
 *         SV_E_CONFLICT ("parent_id": the tree would be deeper than
 *         SV_DEPARTMENT_DEPTH_MAX); database errors.
 */
SV_MUST_CHECK enum sv_err
sv_department_create(struct sv_db *db, const char *tenant_id, const char *name,
                     const char *parent_id, const struct sv_actor *actor,
                     struct sv_department *out, struct sv_department_path *path,
                     const char **field);

/** A change of a department: only what is set. */
struct sv_department_change {
    const char *name;      /* NULL: keep it */
    bool move;             /* set the parent to parent_id */
    const char *parent_id; /* with move: the new parent, NULL: a root */
};

/**
 * Rename and/or move department @p id in one transaction: department.rename
 * and department.move events by @p actor, each only when something
 * changed. A move rewrites the closure rows of the moved subtree. @p out
 * gets the department as it is now, @p path (may be NULL) its ancestors.
 * @param[out] field  on a refusal, the field at fault (static), else NULL
 * @return SV_OK; SV_E_NOT_FOUND (no field: @p id; "parent_id": the new
 *         parent); SV_E_FIELD_INVALID ("name"); SV_E_EXISTS ("name": a
 *         sibling under the parent it ends under has the name);
 *         SV_E_CONFLICT ("parent_id": the new parent is the department
 *         itself or inside its subtree, or the tree would be too deep);
 *         database errors.
 */
SV_MUST_CHECK enum sv_err
sv_department_update(struct sv_db *db, const char *tenant_id, const char *id,
                     const struct sv_department_change *chg,
                     const struct sv_actor *actor, struct sv_department *out,
                     struct sv_department_path *path, const char **field);

/**
 * Delete department @p id, audited as department.delete by @p actor.
 * @return SV_OK; SV_E_NOT_FOUND; SV_E_CONFLICT (it has child departments
 *         or employees, or a role is assigned over it); SV_E_FORBIDDEN;
 *         database errors.
 */
SV_MUST_CHECK enum sv_err sv_department_delete(struct sv_db *db,
                                               const char *tenant_id,
                                               const char *id,
                                               const struct sv_actor *actor);

/** Department @p id and its ancestors (@p path, root first), one snapshot,
 *  as @p viewer may see it (NULL: anyone). SV_E_NOT_FOUND when the tenant
 *  has no such department, or it is hidden from the viewer (DIR-3). */
SV_MUST_CHECK enum sv_err sv_department_get(struct sv_db *db,
                                            const char *tenant_id,
                                            const char *id, const char *viewer,
                                            struct sv_department *out,
                                            struct sv_department_path *path);

/* ---- DIR-3: hidden departments ---- */

/** Viewers named by one hidden department at most. */
#define SV_DEPARTMENT_VIEWERS_MAX 16

/** Whether a department is hidden, and whom it names: groups (their
 *  members) and roles (their holders). */
struct sv_department_visibility {
    bool hidden;
    size_t n;
    struct {
        char kind[8]; /* "group" or "role" */
        char id[37];  /* a group's id; a built-in role's key or a custom id */
        char name[SV_DEPARTMENT_NAME_BYTES + 1];
    } at[SV_DEPARTMENT_VIEWERS_MAX];
};

/** A change of visibility: the whole of it. */
struct sv_visibility_input {
    bool hidden;
    size_t n;
    const char *kind[SV_DEPARTMENT_VIEWERS_MAX]; /* "group" or "role" */
    const char *id[SV_DEPARTMENT_VIEWERS_MAX];
};

/** Department @p id's visibility, for @p actor with directory.manage over
 *  it. SV_E_NOT_FOUND; SV_E_FORBIDDEN. */
SV_MUST_CHECK enum sv_err
sv_department_visibility_get(struct sv_db *db, const char *tenant_id,
                             const char *id, const struct sv_actor *actor,
                             struct sv_department_visibility *out);
/**
 * Hide or show department @p id and name who may see it while hidden,
 * audited as department.visibility, with directory.manage over it.
 * @return SV_OK; SV_E_NOT_FOUND (no field: the department; "viewers": a
 *         group or role); SV_E_FIELD_INVALID ("viewers": "member", which
 *         everyone holds); SV_E_CONFLICT ("hidden": SV_HIDDEN_MAX hidden
 *         already); SV_E_FORBIDDEN; database errors.
 */
SV_MUST_CHECK enum sv_err sv_department_visibility_set(
    struct sv_db *db, const char *tenant_id, const char *id,
    const struct sv_visibility_input *in, const struct sv_actor *actor,
    struct sv_department_visibility *out, const char **field);

/** One department of a listing; @p key is its sort key (for a cursor).
 *  Borrowed: valid during the row callback. */
struct sv_department_view {
    const char *id, *parent_id /* NULL: a root */, *name, *key;
    int64_t created_at, updated_at;
};
typedef void (*sv_department_row_fn)(void *cls,
                                     const struct sv_department_view *d);

/** A page of departments. */
struct sv_department_query {
    const char *parent_id; /* NULL: the roots (or, with q, the whole tree) */
    const char *q; /* NULL: the parent's children; else a case-insensitive
                      substring of the name, searched in the subtree below
                      parent_id (the whole tree without one) */
    const char *after_key, *after_id; /* the last row of the previous page,
                                         or both NULL */
    int limit;                        /* 1..200 */
    const char *viewer; /* DIR-3: leave out what is hidden from this
                           account (NULL: nothing left out) */
};

/**
 * A page of departments in name order (key, then id), each handed to
 * @p row; @p start (may be NULL) runs before the first row of each attempt.
 * *@p more tells whether another page follows.
 * @return SV_OK; SV_E_NOT_FOUND (parent_id: no such department);
 *         SV_E_FIELD_INVALID (q or limit out of range: a bug of the caller's
 *         checks); database errors.
 */
SV_MUST_CHECK enum sv_err
sv_department_list(struct sv_db *db, const char *tenant_id,
                   const struct sv_department_query *q, void (*start)(void *),
                   sv_department_row_fn row, void *cls, bool *more);

#endif
