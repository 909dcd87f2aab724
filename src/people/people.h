/*
 * People: the lifecycle of an employee across the capabilities that hold
 * its parts (issue 11): the account (identity/), the directory profile
 * (directory/employee.h), the permission model (access/). Hiring creates
 * the account and its profile in one transaction (or links an existing
 * account); a change of the profile; reading one with the names it
 * refers to, as a given viewer may see it; DIR-6: offboarding (the
 * account disabled, sessions, devices and roles gone, what the employee
 * held passed on to a successor through the hooks of people/offboard.h),
 * a temporary disable, and rehiring.
 *
 * Permissions (docs/permissions.md), asked inside each transaction:
 *   - hiring or changing needs directory.manage over every department the
 *     employee is put in or taken out of, and over its primary department
 *     as it was (a department admin works inside their subtree only);
 *   - linking an existing account needs users.manage over the tenant too
 *     (the account may be anyone's);
 *   - DIR-5: while the tenant masks phones (mask_phones, the default),
 *     every view shows them masked; one number in clear is a request of
 *     its own (sv_people_reveal_phone), allowed with directory.view_phone
 *     over one of the employee's departments, audited as sensitive-data
 *     access and counted against the viewer's quota for 24 hours. A tenant
 *     that does not mask shows phones to every directory reader;
 *   - the ID number is clear to a viewer holding directory.manage over the
 *     primary department, masked for others;
 *   - DIR-6: offboarding, disabling, enabling and rehiring an employee
 *     need directory.manage over every department of it (primary and
 *     further), an offboarding over every department of the successor
 *     too, and access.manage over the tenant when the employee holds any
 *     role (taking or freezing a role is the role managers' call).
 * A refusal is SV_E_FORBIDDEN and an access.denied event.
 */
#ifndef SV_PEOPLE_PEOPLE_H
#define SV_PEOPLE_PEOPLE_H

#include <stdbool.h>

#include <jansson.h>

#include "core/errors.h"
#include "directory/department.h"
#include "directory/employee.h"
#include "identity/identity.h"

struct sv_actor;
struct sv_db;

/** An employee with the names it refers to, as one viewer may see it. */
struct sv_person {
    struct sv_employee e;
    char username[SV_USERNAME_MAX + 1];
    bool has_email;
    char email[SV_EMAIL_MAX + 1];
    char department_name[SV_DEPARTMENT_NAME_BYTES + 1];
    char department_names[SV_EMPLOYEE_DEPTS_MAX][SV_DEPARTMENT_NAME_BYTES + 1];
    char manager_name[SV_EMPLOYEE_NAME_MAX * 4 + 1]; /* "" when none */
    bool may_manage;       /* the viewer may change it, see its ID number */
    bool phone_clear;      /* views show the phone in clear (no masking) */
    bool may_reveal_phone; /* the viewer may reveal it (view_phone) */
};

/**
 * A caller's own work, done in the same transaction as a hire or a change
 * of employee @p id, after it (SCIM's externalId): an error rolls the
 * whole back, naming its field in *@p field.
 */
struct sv_people_also {
    enum sv_err (*fn)(struct sv_dbc *c, const char *tenant_id, const char *id,
                      void *cls, const char **field);
    void *cls;
};

/** What a hire takes: a new account (username, e-mail, the temporary
 *  password's hash) or an existing one (account_id), and the profile. */
struct sv_hire {
    const char *username, *email, *hash;
    const char *account_id;
    struct sv_employee_input in; /* display_name and department_id set */
    struct sv_people_also also;  /* fn NULL: nothing more */
};

/**
 * Hire: the account (new: member, must change its temporary password) and
 * its profile in one transaction, audited as account.created (new) and
 * employee.create by @p actor. @p out gets the employee as @p actor sees
 * it.
 * @return SV_OK; SV_E_USERNAME_TAKEN ("username"); SV_E_NOT_FOUND
 *         ("account_id", "department_id", "departments", "manager_id");
 *         SV_E_EXISTS ("account_id": already an employee; "employee_no");
 *         SV_E_CONFLICT ("manager_id"); SV_E_FORBIDDEN; database errors.
 */
SV_MUST_CHECK enum sv_err
sv_people_hire(struct sv_db *db, const char *tenant_id, const struct sv_hire *h,
               const struct sv_actor *actor, struct sv_person *out,
               const char **field);

/**
 * Change employee @p id: what @p in marks set, audited as employee.update
 * (the fields changed, by name). As hire; SV_E_NOT_FOUND (no field) for
 * an unknown id.
 */
SV_MUST_CHECK enum sv_err
sv_people_update(struct sv_db *db, const char *tenant_id, const char *id,
                 const struct sv_employee_input *in,
                 const struct sv_actor *actor, struct sv_person *out,
                 const char **field);

/**
 * Change employee @p id as sv_people_update() does and, with @p state
 * (NULL: unchanged), its state too, in the same transaction (DIR-6).
 * "disabled" from "active": the account disabled, its sessions revoked
 * and logins closed, its roles kept (employee.disable); "active" from
 * "disabled": enabled again with its password (employee.enable).
 * SV_E_FIELD_INVALID ("state") for "offboarded" (only
 * sv_people_offboard); SV_E_CONFLICT ("state") from "offboarded" (only
 * sv_people_rehire) and when it would disable the tenant's last enabled
 * tenant admin.
 */
SV_MUST_CHECK enum sv_err sv_people_change(
    struct sv_db *db, const char *tenant_id, const char *id,
    const struct sv_employee_input *in, const enum sv_employee_state *state,
    const struct sv_actor *actor, struct sv_person *out, const char **field);
/** sv_people_change() and @p also (NULL: nothing) in its transaction. */
SV_MUST_CHECK enum sv_err sv_people_change_also(
    struct sv_db *db, const char *tenant_id, const char *id,
    const struct sv_employee_input *in, const enum sv_employee_state *state,
    const struct sv_people_also *also, const struct sv_actor *actor,
    struct sv_person *out, const char **field);

/**
 * DIR-6: offboard employee @p id, handing what it holds to @p successor_id
 * (an active employee of the tenant, not @p id), in one transaction: its
 * state offboarded, its account disabled, every session revoked, every
 * trusted device revoked (device.revoke each), every role assignment
 * removed (access.revoke each), then every hook of sv_offboard_hooks[];
 * one employee.offboard event lists what each step and hook did.
 * @p report gets that list (a new object: the caller decrefs it):
 * {"successor_id", "sessions", "devices", "roles", "hooks": {name: {…}}}.
 * @return SV_OK; SV_E_NOT_FOUND (no field: @p id; "successor_id");
 *         SV_E_FIELD_INVALID ("successor_id": @p id itself);
 *         SV_E_CONFLICT (no field: @p id is offboarded already, or it is
 *         the tenant's last enabled tenant admin; "successor_id": not
 *         active); SV_E_FORBIDDEN (access.denied recorded); a hook's
 *         error; database errors. Nothing changes on an error.
 */
SV_MUST_CHECK enum sv_err
sv_people_offboard(struct sv_db *db, const char *tenant_id, const char *id,
                   const char *successor_id, const struct sv_actor *actor,
                   struct sv_person *out, json_t **report, const char **field);

/**
 * DIR-6: rehire employee @p id (offboarded or disabled): its account
 * enabled with password hash @p hash (a temporary password, to be changed
 * at the next sign-in; every session revoked), its state active, audited
 * as employee.rehire. Roles and devices are not given back.
 * @return SV_OK; SV_E_NOT_FOUND; SV_E_CONFLICT (it is active);
 *         SV_E_FORBIDDEN; database errors.
 */
SV_MUST_CHECK enum sv_err sv_people_rehire(struct sv_db *db,
                                           const char *tenant_id,
                                           const char *id, const char *hash,
                                           const struct sv_actor *actor,
                                           struct sv_person *out);

/** Employee @p id as @p viewer (an account of the tenant) sees it.
 *  SV_E_NOT_FOUND when the tenant has none. */
SV_MUST_CHECK enum sv_err sv_people_get(struct sv_db *db, const char *tenant_id,
                                        const char *id, const char *viewer,
                                        struct sv_person *out);

/**
 * DIR-5: employee @p id's phone in clear for @p actor, audited as
 * employee.phone_reveal (SENSITIVE_ACCESS). @p out gets it ("" when the
 * employee has none: no event, nothing counted), *@p left how many more
 * the actor may reveal within 24 hours.
 * @return SV_OK; SV_E_NOT_FOUND; SV_E_FORBIDDEN (no directory.view_phone
 *         over any of its departments: access.denied); SV_E_QUOTA_EXCEEDED
 *         (the tenant's phone_reveals_per_day used up in the last 24
 *         hours); database errors.
 */
SV_MUST_CHECK enum sv_err
sv_people_reveal_phone(struct sv_db *db, const char *tenant_id, const char *id,
                       const struct sv_actor *actor, char out[SV_E164_MAX + 1],
                       int *left);

#endif
