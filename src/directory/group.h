/*
 * Groups (issue 11, parts 1 and 3): named sets of employees, departments
 * (the department alone, or with its subtree) and other groups, owned by
 * an employee. An employee is in a group as a member, through a member
 * department, or through a member group, however deeply; nesting never
 * makes a cycle and is at most SV_GROUP_NESTING_MAX levels deep.
 *
 * Groups are subjects of role assignments (every employee in one holds
 * its roles) and scopes of them (a role over a group covers the group,
 * the groups inside it and its employees); access/access.h evaluates both.
 *
 * Who may do what, asked inside each change's transaction:
 *   - create: directory.manage held anywhere (the route asks); the owner
 *     is the creator unless another employee is named;
 *   - change, delete, add or remove members: the owner, or
 *     directory.manage over the group (a grant over the tenant, the group
 *     or a group containing it);
 *   - a privileged group (it, or a group containing it, holds a role or
 *     may see a hidden department) changes members or is deleted only with
 *     access.manage too: adding oneself to a group of tenant admins is a
 *     grant of tenant admin. Such a change is also an access.grant /
 *     access.revoke event.
 * A refusal is SV_E_FORBIDDEN and an access.denied event. A group with an
 * assignment to or over it cannot be deleted (SV_E_CONFLICT).
 *
 * Every change is one transaction with its audit events (group.*), under
 * the tenant's directory lock.
 */
#ifndef SV_DIRECTORY_GROUP_H
#define SV_DIRECTORY_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

struct sv_actor;
struct sv_db;
struct sv_dbc;
struct json_t;

/** A name: 1-128 characters, no control characters (the department rule),
 *  unique per tenant with ASCII letters folded. */
#define SV_GROUP_NAME_MAX 128
#define SV_GROUP_NAME_BYTES (SV_GROUP_NAME_MAX * 4)
#define SV_GROUP_DESCRIPTION_MAX 256
/** Groups per tenant, direct members per group, nesting levels at most. */
#define SV_GROUPS_MAX 10000
#define SV_GROUP_MEMBERS_MAX 10000
#define SV_GROUP_NESTING_MAX 8

struct sv_group {
    char id[37];
    char name[SV_GROUP_NAME_BYTES + 1];
    char description[SV_GROUP_DESCRIPTION_MAX * 4 + 1];
    char owner_id[37]; /* "" when none (its owner was offboarded) */
    int64_t created_at, updated_at;
};

/** A group with what a viewer needs to show it. */
struct sv_group_view {
    struct sv_group g;
    char owner_name[SV_GROUP_NAME_BYTES + 1]; /* the owner's display name */
    int64_t members;                          /* direct members */
    bool may_manage; /* the viewer may change it (its membership too) */
};

/** A change: what is set. */
struct sv_group_input {
    const char *name;        /* NULL: keep */
    const char *description; /* NULL: keep */
    bool set_owner;
    const char *owner_id; /* with set_owner: an active employee */
};

bool sv_check_group_description(const char *s, size_t len);

/**
 * Create a group, audited as group.create. Owner: @p in->owner_id when
 * set, else the actor (when it is an employee).
 * @return SV_OK; SV_E_FIELD_INVALID ("name", "description"); SV_E_EXISTS
 *         ("name"); SV_E_NOT_FOUND ("owner_id": no active employee);
 *         SV_E_CONFLICT (SV_GROUPS_MAX); database errors.
 */
SV_MUST_CHECK enum sv_err
sv_group_create(struct sv_db *db, const char *tenant_id,
                const struct sv_group_input *in, const struct sv_actor *actor,
                struct sv_group_view *out, const char **field);
/** Change group @p id (name, description, owner), audited as group.update
 *  with what changed. As create; SV_E_NOT_FOUND; SV_E_FORBIDDEN. */
SV_MUST_CHECK enum sv_err
sv_group_update(struct sv_db *db, const char *tenant_id, const char *id,
                const struct sv_group_input *in, const struct sv_actor *actor,
                struct sv_group_view *out, const char **field);
/** Delete group @p id and its memberships (its own and in other groups),
 *  audited. SV_E_NOT_FOUND; SV_E_FORBIDDEN; SV_E_CONFLICT (a role is
 *  assigned to or over it, or it may see a hidden department). */
SV_MUST_CHECK enum sv_err sv_group_delete(struct sv_db *db,
                                          const char *tenant_id, const char *id,
                                          const struct sv_actor *actor);
/** Group @p id as @p viewer sees it. SV_E_NOT_FOUND. */
SV_MUST_CHECK enum sv_err sv_group_get(struct sv_db *db, const char *tenant_id,
                                       const char *id, const char *viewer,
                                       struct sv_group_view *out);

/** A page of groups in name order. */
struct sv_group_query {
    const char *q;                    /* NULL, or a case-insensitive prefix */
    const char *after_key, *after_id; /* the previous page's last row */
    int limit;                        /* 1..200 */
    const char *viewer; /* DIR-3: an owner hidden from it is not named */
};
typedef void (*sv_group_row_fn)(void *cls, const struct sv_group *g,
                                const char *key);
SV_MUST_CHECK enum sv_err sv_group_list(struct sv_db *db, const char *tenant_id,
                                        const struct sv_group_query *q,
                                        void (*start)(void *),
                                        sv_group_row_fn row, void *cls,
                                        bool *more);

/* ---- members ---- */

enum sv_member_kind {
    SV_MEMBER_EMPLOYEE,
    SV_MEMBER_DEPARTMENT,
    SV_MEMBER_GROUP
};
const char *sv_member_kind_name(enum sv_member_kind k);
SV_MUST_CHECK bool sv_member_kind_parse(const char *s,
                                        enum sv_member_kind *out);

/**
 * Add a member to group @p id, audited as group.member.add (and
 * access.grant when the group is privileged).
 * @return SV_OK; SV_E_NOT_FOUND (no field: the group; "id": no such
 *         employee, department or group); SV_E_FIELD_INVALID ("subtree"
 *         for a member that is not a department); SV_E_EXISTS ("id": a
 *         member already); SV_E_CONFLICT ("id": a cycle, nesting deeper
 *         than SV_GROUP_NESTING_MAX, or SV_GROUP_MEMBERS_MAX);
 *         SV_E_FORBIDDEN; database errors.
 */
SV_MUST_CHECK enum sv_err
sv_group_member_add(struct sv_db *db, const char *tenant_id, const char *id,
                    enum sv_member_kind kind, const char *member_id,
                    bool subtree, const struct sv_actor *actor,
                    const char **field);
/** Remove member @p member_id from group @p id, audited (group.member.remove,
 *  access.revoke when privileged). SV_E_NOT_FOUND; SV_E_FORBIDDEN. */
SV_MUST_CHECK enum sv_err
sv_group_member_remove(struct sv_db *db, const char *tenant_id, const char *id,
                       const char *member_id, const struct sv_actor *actor);

/** One member of a listing. Borrowed. @p name: the employee's display
 *  name, the department's or the group's name. */
struct sv_group_member_view {
    enum sv_member_kind kind;
    const char *id, *name;
    bool subtree;
    int64_t added_at;
};
typedef void (*sv_group_member_row_fn)(void *cls,
                                       const struct sv_group_member_view *m);
/**
 * The direct members of group @p id (kind, then id order), after
 * @p after_id, as @p viewer may see them: employees and departments a
 * hidden department keeps from the viewer are left out (DIR-3).
 */
SV_MUST_CHECK enum sv_err
sv_group_members(struct sv_db *db, const char *tenant_id, const char *id,
                 const char *viewer, const char *after_id, int limit,
                 void (*start)(void *), sv_group_member_row_fn row, void *cls,
                 bool *more);

/** One employee of a group's expansion. Borrowed. */
struct sv_group_person {
    const char *id, *display_name, *title, *department_id, *state, *key;
};
typedef void (*sv_group_person_row_fn)(void *cls,
                                       const struct sv_group_person *p);
/**
 * Every employee in group @p id however deeply (directly, through a
 * department or its subtree, through nested groups), in name order after
 * (@p after_key, @p after_id), as @p viewer may see them (DIR-3).
 */
SV_MUST_CHECK enum sv_err
sv_group_expand(struct sv_db *db, const char *tenant_id, const char *id,
                const char *viewer, const char *after_key, const char *after_id,
                int limit, void (*start)(void *), sv_group_person_row_fn row,
                void *cls, bool *more);

/* ---- several changes in one transaction (SCIM) ---- */

/** A member added or removed. */
struct sv_group_member_op {
    bool add;
    enum sv_member_kind kind; /* of an added member */
    const char *id;
};

/** Everything one request changes of a group. */
struct sv_group_change {
    const struct sv_group_input *in; /* NULL: no field changes */
    /* Members: with replace_members the employee and group members become
     * exactly the added ones (department members stay); else each op in
     * turn (removing one that is not a member: SV_E_NOT_FOUND "id"). */
    bool replace_members;
    size_t n_ops;
    const struct sv_group_member_op *ops;
    /* The caller's own work on group id, last, in the same transaction. */
    enum sv_err (*also)(struct sv_dbc *c, const char *tenant_id, const char *id,
                        void *cls, const char **field);
    void *also_cls;
};

/**
 * Create (@p id NULL) or change group @p id with every change of @p chg in
 * one transaction, each change checked and audited as its own call would
 * (sv_group_create, sv_group_update, sv_group_member_add and _remove).
 * @p out gets the group as it ends. Errors as those calls'.
 */
SV_MUST_CHECK enum sv_err
sv_group_apply(struct sv_db *db, const char *tenant_id, const char *id,
               const struct sv_group_change *chg, const struct sv_actor *actor,
               struct sv_group_view *out, const char **field);

/**
 * Inside a transaction: employee or department @p id (@p kind) leaves every
 * group it is a direct member of, each audited as group.member.remove (and
 * access.revoke for a privileged group). *@p n (may be NULL) gets how many.
 */
SV_MUST_CHECK enum sv_err
sv_group_forget_tx(struct sv_dbc *c, const char *tenant_id,
                   enum sv_member_kind kind, const char *id,
                   const struct sv_actor *actor, size_t *n);

/* ---- offboarding (people/offboard.h's hook) ---- */

/**
 * Inside the offboarding's transaction: account @p account_id leaves
 * every group it is a direct member of, and the groups it owns pass to
 * @p successor_id; audited (group.member.remove, group.update). Adds
 * "left" and "passed_on" (counts) to @p report.
 */
SV_MUST_CHECK enum sv_err
sv_group_offboard_tx(struct sv_dbc *c, const char *tenant_id,
                     const char *account_id, const char *successor_id,
                     const struct sv_actor *actor, struct json_t *report);

#endif
