/*
 * One permission model (issue 11, part 3; DIR-2, AUD-2; docs/permissions.md):
 * "may this actor do this action on this object?".
 *
 * A permission (permissions.def) is an action on a kind of object. A role
 * is a set of permissions: four built in (tenant admin, department admin,
 * auditor, member) whose sets the catalogue gives, and custom roles a
 * tenant admin names and fills. An assignment gives a role to an account
 * or to a group (every employee in it, however deeply) over a scope: the
 * tenant, a department and its subtree, or a group and the groups inside
 * it. Every account holds the member role over the tenant without one.
 *
 * The evaluator is pure: sv_access_allows() over an account's grants (its
 * assignments, loaded by sv_access_load_tx()) and the object's place (the
 * department it is in and that department's ancestors, from the closure
 * index). Deny by default: no grant that holds the permission and covers
 * the object, no access. A permission of TENANT kind is held only over the
 * tenant; one of DEPARTMENT kind over the tenant, over any ancestor of
 * the object's department (a department is its own ancestor), or over any
 * group the object is in (a group is in itself): an employee's place lists
 * its departments' ancestors and its groups, a group's the groups
 * containing it.
 *
 * Every refusal is an access.denied event (sv_access_denied), at most
 * SV_ACCESS_DENIALS_PER_MIN a minute per account (the rest are counted
 * into the next one recorded); every grant, revocation and change of a
 * custom role is an access.* event of the PRIVILEGE_CHANGE report.
 */
#ifndef SV_ACCESS_ACCESS_H
#define SV_ACCESS_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

struct sv_actor;
struct sv_db;
struct sv_dbc;

enum sv_perm {
#define SV_PERMISSION(NAME, wire, kind, roles) SV_PERM_##NAME,
#include "access/permissions.def"
#undef SV_PERMISSION
    SV_PERM__COUNT
};

/** Where a permission can apply (permissions.def). */
enum sv_object_kind { SV_OBJECT_TENANT, SV_OBJECT_DEPARTMENT };

/** A set of permissions: bit p for enum sv_perm p. */
typedef uint64_t sv_perm_set;
#define SV_PERM_BIT(p) ((sv_perm_set)1 << (p))

enum sv_builtin_role {
    SV_BUILTIN_TENANT_ADMIN,
    SV_BUILTIN_DEPARTMENT_ADMIN,
    SV_BUILTIN_AUDITOR,
    SV_BUILTIN_MEMBER, /* every account; never assigned */
    SV_BUILTIN__COUNT
};

/** A role's name: a built-in's key ("tenant_admin") or a custom role's. */
#define SV_ROLE_NAME_MAX 64
#define SV_ROLE_DESCRIPTION_MAX 256
/** Assignments per account at most (the grants an evaluation walks). */
#define SV_ACCESS_GRANTS_MAX 64
/** Levels of an object's place at most: the department tree's depth. */
#define SV_ACCESS_DEPTH_MAX 32
/** Groups of an object's place at most (the groups it is in, however
 *  deeply). Past it, the rest are left out: a grant over them is not
 *  seen, never one too many. */
#define SV_ACCESS_GROUPS_MAX 32
/** access.denied events recorded per account and minute at most. */
#define SV_ACCESS_DENIALS_PER_MIN 10

const char *sv_perm_name(enum sv_perm p);
SV_MUST_CHECK bool sv_perm_parse(const char *s, enum sv_perm *out);
enum sv_object_kind sv_perm_kind(enum sv_perm p);
/** The catalogue's one-line description of @p p (for the API). */
const char *sv_builtin_role_key(enum sv_builtin_role r);
SV_MUST_CHECK bool sv_builtin_role_parse(const char *s,
                                         enum sv_builtin_role *out);
sv_perm_set sv_builtin_role_perms(enum sv_builtin_role r);
/** The names of the permissions in @p s, in catalogue order: a new JSON
 *  array (the API's answers and the audit events' details). */
struct json_t;
struct json_t *sv_perm_set_json(sv_perm_set s);
/** The set a role may be assigned at department scope with: it holds a
 *  permission of DEPARTMENT kind. */
bool sv_perm_set_departmental(sv_perm_set s);

enum sv_scope_kind { SV_SCOPE_TENANT, SV_SCOPE_DEPARTMENT, SV_SCOPE_GROUP };

const char *sv_scope_kind_name(enum sv_scope_kind k);

struct sv_grant {
    sv_perm_set perms;
    enum sv_scope_kind scope;
    char scope_id[37]; /* the department or group; "" over the tenant */
};

/** An account's grants: its assignments, those of the groups it is in
 *  (grants over the same scope merged), and the member role. */
struct sv_grants {
    size_t n;
    bool group_scoped; /* one is over a group: places need their groups */
    struct sv_grant at[SV_ACCESS_GRANTS_MAX * 2 + 1];
};

/** Where an object is: its department and every ancestor of it, and the
 *  groups it is in, in any order (n and ng 0: an object of the tenant as
 *  a whole). Borrowed strings. */
struct sv_access_place {
    size_t n;
    const char *dept[SV_ACCESS_DEPTH_MAX];
    size_t ng;
    const char *group[SV_ACCESS_GROUPS_MAX];
};

/** The groups an object is in, for a place (sv_access_groups_of_tx). */
struct sv_group_set {
    size_t n;
    char ids[SV_ACCESS_GROUPS_MAX][37];
};
/** Add @p gs to @p place (its strings borrowed from @p gs). */
void sv_access_place_add_groups(struct sv_access_place *place,
                                const struct sv_group_set *gs);

/* ---- the evaluator (pure) ---- */

/** Only the member role: the grants of an account with no assignment. */
void sv_grants_init(struct sv_grants *g);
/** Add @p perms over @p scope (@p scope_id NULL over the tenant), merged
 *  into a grant over the same scope if there is one: false when full. */
SV_MUST_CHECK bool sv_grants_add(struct sv_grants *g, sv_perm_set perms,
                                 enum sv_scope_kind scope,
                                 const char *scope_id);
/**
 * May the holder of @p g do @p p on an object at @p place (NULL: the
 * tenant as a whole)? Deny by default.
 */
bool sv_access_allows(const struct sv_grants *g, enum sv_perm p,
                      const struct sv_access_place *place);
/** Whether @p g holds @p p over anything at all: the router's check before
 *  a handler that asks about the object. */
bool sv_access_holds(const struct sv_grants *g, enum sv_perm p);
/** The permissions @p g holds over the tenant as a whole. */
sv_perm_set sv_access_tenant_perms(const struct sv_grants *g);
/** The permissions @p g holds over anything at all. */
sv_perm_set sv_access_any_perms(const struct sv_grants *g);

/* ---- inside a transaction ---- */

/** The grants of account @p account_id (the member role when it has no
 *  assignment). SV_E_INTERNAL (logged) when it has more than the cap. */
SV_MUST_CHECK enum sv_err sv_access_load_tx(struct sv_dbc *c,
                                            const char *tenant_id,
                                            const char *account_id,
                                            struct sv_grants *out);

/** A refusal to record after the transaction that found it rolled back. */
struct sv_access_denial {
    enum sv_perm perm;
    const char *object_type; /* static: "tenant", "department", … */
    char object_id[37];      /* "" for the tenant */
};

/**
 * The check a change runs in its own transaction, after it has found its
 * object (so that a move or a revocation committed meanwhile cannot slip
 * between check and change): @p actor's grants, loaded here, against
 * @p p at @p place. SV_OK, or SV_E_FORBIDDEN with @p denied filled for
 * sv_access_denied(). An actor without an account (the CLI) is refused:
 * platform commands do not run through here.
 */
SV_MUST_CHECK enum sv_err
sv_access_require_tx(struct sv_dbc *c, const char *tenant_id,
                     const struct sv_actor *actor, enum sv_perm p,
                     const struct sv_access_place *place,
                     const char *object_type, const char *object_id,
                     struct sv_access_denial *denied);

/**
 * The groups the employee (@p kind "employee") or group (@p kind "group")
 * @p id is in, however deeply (a group is in itself: first), at most
 * SV_ACCESS_GROUPS_MAX. An employee is in a group as a member, through a
 * department that is a member (the department alone, or with its subtree)
 * or through a group that is a member.
 */
SV_MUST_CHECK enum sv_err sv_access_groups_of_tx(struct sv_dbc *c,
                                                 const char *tenant_id,
                                                 const char *kind,
                                                 const char *id,
                                                 struct sv_group_set *out);

/* ---- DIR-3: hidden departments ---- */

/** Hidden departments per tenant at most. */
#define SV_HIDDEN_MAX 16

/**
 * What hidden departments keep from one viewer: the hidden departments
 * it may not see. A hidden department, its subtree and the employees in
 * any of them are seen only by those it names (department_viewers: the
 * members of a group, the holders of a role, however they hold it) and by
 * whoever holds directory.manage over it; for everyone else they do not
 * exist (not found, never forbidden).
 */
struct sv_veil {
    size_t n;
    char ids[SV_HIDDEN_MAX][37];
    char list[SV_HIDDEN_MAX * 37 + 2]; /* ",id,id,": the SQL filters' */
};

/** The veil of @p viewer with grants @p g (its own, loaded). */
SV_MUST_CHECK enum sv_err
sv_access_veil_tx(struct sv_dbc *c, const char *tenant_id, const char *viewer,
                  const struct sv_grants *g, struct sv_veil *out);
/** sv_access_veil_tx() with the viewer's grants loaded here; an empty veil
 *  for @p viewer NULL (nothing is hidden from the system). */
SV_MUST_CHECK enum sv_err sv_access_veil_of_tx(struct sv_dbc *c,
                                               const char *tenant_id,
                                               const char *viewer,
                                               struct sv_veil *out);
/** Whether @p v hides an object at department place @p place. */
bool sv_veil_hides(const struct sv_veil *v,
                   const struct sv_access_place *place);
/** The parameter of the SQL filters (access/veil_sql.h): NULL when
 *  nothing is hidden from the viewer. */
const char *sv_veil_param(const struct sv_veil *v);

/** Whether any assignment is scoped on department @p dept_id. */
SV_MUST_CHECK enum sv_err sv_access_scope_used_tx(struct sv_dbc *c,
                                                  const char *tenant_id,
                                                  const char *dept_id,
                                                  bool *out);

/* ---- whole operations ---- */

/** sv_access_load_tx() in a read transaction of its own. */
SV_MUST_CHECK enum sv_err sv_access_load(struct sv_db *db,
                                         const char *tenant_id,
                                         const char *account_id,
                                         struct sv_grants *out);

/**
 * Record @p d as an access.denied event by @p actor (result "denied";
 * details: the permission, the object, @p route when not NULL), unless
 * the actor's account has had SV_ACCESS_DENIALS_PER_MIN recorded within
 * the minute: then it is counted, and the next one recorded says how many
 * were left out ("suppressed"). A stranger's requests never get here
 * (they have no session).
 */
SV_MUST_CHECK enum sv_err sv_access_denied(struct sv_db *db,
                                           const char *tenant_id,
                                           const struct sv_actor *actor,
                                           const struct sv_access_denial *d,
                                           const char *route);

/**
 * The end of a change that ran sv_access_require_tx(): when its
 * transaction answered @p rc SV_E_FORBIDDEN, record @p d (sv_access_denied)
 * now that it has rolled back. Returns @p rc (or the recording's error).
 */
SV_MUST_CHECK enum sv_err
sv_access_denied_after(struct sv_db *db, const char *tenant_id,
                       const struct sv_actor *actor, enum sv_err rc,
                       const struct sv_access_denial *d);

/* ---- roles and assignments (tenant admins: access.manage) ---- */

/** A role as listed: a built-in one (id its key) or a custom one. */
struct sv_role_view {
    const char *id, *name, *description;
    bool builtin;
    sv_perm_set perms;
    int64_t created_at, updated_at; /* 0 for the built-in ones */
};
typedef void (*sv_role_row_fn)(void *cls, const struct sv_role_view *r);

/** The built-in roles (member last), then the custom ones by name. */
SV_MUST_CHECK enum sv_err sv_access_roles_list(struct sv_db *db,
                                               const char *tenant_id,
                                               void (*start)(void *),
                                               sv_role_row_fn row, void *cls);

/** A custom role's fields; a change sets only what is set. */
struct sv_role_input {
    const char *name;        /* 1-64 characters */
    const char *description; /* 0-256 characters */
    bool set_perms;
    sv_perm_set perms; /* at least one */
};

/** One custom role as it is after a change. */
struct sv_custom_role {
    char id[37];
    char name[SV_ROLE_NAME_MAX * 4 + 1];
    char description[SV_ROLE_DESCRIPTION_MAX * 4 + 1];
    sv_perm_set perms;
    int64_t created_at, updated_at;
};

bool sv_check_role_name(const char *s, size_t len);
bool sv_check_role_description(const char *s, size_t len);

/**
 * Create a custom role, audited as access.role.create.
 * @return SV_OK; SV_E_FIELD_INVALID ("name": the rule or a built-in's
 *         key; "permissions": empty); SV_E_EXISTS ("name": taken, case
 *         folded); database errors.
 */
SV_MUST_CHECK enum sv_err sv_access_role_create(struct sv_db *db,
                                                const char *tenant_id,
                                                const struct sv_role_input *in,
                                                const struct sv_actor *actor,
                                                struct sv_custom_role *out,
                                                const char **field);
/**
 * Change custom role @p id (name, description, permissions), audited as
 * access.role.update with what changed. Its holders' grants change with
 * it. SV_E_NOT_FOUND (a built-in's key too: built-in roles do not
 * change); SV_E_CONFLICT ("permissions": it is assigned at department
 * scope and the new set has no permission of DEPARTMENT kind); as create.
 */
SV_MUST_CHECK enum sv_err
sv_access_role_update(struct sv_db *db, const char *tenant_id, const char *id,
                      const struct sv_role_input *in,
                      const struct sv_actor *actor, struct sv_custom_role *out,
                      const char **field);
/** Delete custom role @p id, audited. SV_E_CONFLICT while it is assigned. */
SV_MUST_CHECK enum sv_err sv_access_role_delete(struct sv_db *db,
                                                const char *tenant_id,
                                                const char *id,
                                                const struct sv_actor *actor);

/** An assignment. */
struct sv_assignment {
    char id[37];
    char role[37];       /* a built-in's key or a custom role's id */
    char account_id[37]; /* the subject, an account ("" for a group) */
    enum sv_scope_kind scope;
    char department_id[37]; /* with SV_SCOPE_DEPARTMENT, else "" */
    int64_t created_at;
    char group_id[37];       /* the subject, a group ("" for an account) */
    char scope_group_id[37]; /* with SV_SCOPE_GROUP, else "" */
};

/** What to give: to an account or to a group (one of the two). */
struct sv_assignment_input {
    const char *role;       /* a built-in's key (not "member") or an id */
    const char *account_id; /* of the tenant, or NULL with group_id */
    enum sv_scope_kind scope;
    const char *department_id;  /* with SV_SCOPE_DEPARTMENT */
    const char *group_id;       /* the subject when not an account */
    const char *scope_group_id; /* with SV_SCOPE_GROUP */
};

/**
 * Give a role, audited as access.grant (PRIVILEGE_CHANGE).
 * @return SV_OK; SV_E_NOT_FOUND ("role", "account_id", "group_id",
 *         "department_id", "scope_group_id"); SV_E_FIELD_INVALID ("role":
 *         "member", which every account holds; "scope": a role without a
 *         DEPARTMENT-kind permission given over a department or a group);
 *         SV_E_EXISTS (the same assignment exists); SV_E_CONFLICT
 *         ("account_id", "group_id": it holds SV_ACCESS_GRANTS_MAX);
 *         database errors.
 */
SV_MUST_CHECK enum sv_err sv_access_grant(struct sv_db *db,
                                          const char *tenant_id,
                                          const struct sv_assignment_input *in,
                                          const struct sv_actor *actor,
                                          struct sv_assignment *out,
                                          const char **field);
/**
 * Remove assignment @p id, audited as access.revoke. SV_E_NOT_FOUND;
 * SV_E_CONFLICT when it is the tenant's last tenant admin over the tenant
 * (nobody could give it back).
 */
SV_MUST_CHECK enum sv_err sv_access_revoke(struct sv_db *db,
                                           const char *tenant_id,
                                           const char *id,
                                           const struct sv_actor *actor);

/** Assignments in id order, after @p after_id (NULL: from the start). */
struct sv_assignment_query {
    const char *account_id; /* NULL: every subject's; else this account's
                               (or this group's: the ids are UUIDs) */
    const char *after_id;
    int limit;          /* 1..200 */
    const char *viewer; /* DIR-3: assignments over a department hidden from
                           this account are left out (NULL: none) */
};
/** @p username is the account's or, for a group, the group's name;
 *  @p department_name the scope's department's or group's name. */
typedef void (*sv_assignment_row_fn)(void *cls, const struct sv_assignment *a,
                                     const char *username,
                                     const char *role_name,
                                     const char *department_name);
SV_MUST_CHECK enum sv_err
sv_access_assignments_list(struct sv_db *db, const char *tenant_id,
                           const struct sv_assignment_query *q,
                           void (*start)(void *), sv_assignment_row_fn row,
                           void *cls, bool *more);

/* ---- DIR-6: an account leaving (people/: offboarding, disabling) ---- */

/**
 * Inside a transaction, under the tenant's access lock (taken here):
 * *@p out true when @p account_id is a tenant admin over the tenant and no
 * other enabled account is one (disabling or stripping it would leave the
 * tenant with nobody to give the role back).
 */
SV_MUST_CHECK enum sv_err sv_access_last_admin_tx(struct sv_dbc *c,
                                                  const char *tenant_id,
                                                  const char *account_id,
                                                  bool *out);
/** How many assignments @p account_id holds. */
SV_MUST_CHECK enum sv_err sv_access_count_tx(struct sv_dbc *c,
                                             const char *tenant_id,
                                             const char *account_id,
                                             int64_t *n);
/**
 * Remove every assignment of @p account_id, each audited as access.revoke
 * (PRIVILEGE_CHANGE) by @p actor with reason @p why; *@p n: how many.
 * SV_E_CONFLICT (nothing removed) when it is the tenant's last enabled
 * tenant admin. The caller has checked that @p actor may.
 */
SV_MUST_CHECK enum sv_err sv_access_remove_all_tx(struct sv_dbc *c,
                                                  const char *tenant_id,
                                                  const char *account_id,
                                                  const struct sv_actor *actor,
                                                  const char *why, int64_t *n);

/* ---- identity's tenant-wide built-in role (accounts, /me) ---- */

/**
 * Inside a transaction: give new account @p account_id built-in role
 * @p r over the tenant (nothing for SV_BUILTIN_MEMBER), unaudited: the
 * account.created event that the caller writes names it.
 */
SV_MUST_CHECK enum sv_err sv_access_give_builtin_tx(struct sv_dbc *c,
                                                    const char *tenant_id,
                                                    const char *account_id,
                                                    enum sv_builtin_role r);

#endif
