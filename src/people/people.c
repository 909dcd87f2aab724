/* People: see people.h. */
#include "people/people.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "access/access.h"
#include "audit/audit.h"
#include "core/util.h"
#include "db/db.h"
#include "device/device.h"
#include "directory/tenant.h"
#include "people/offboard.h"
#include "recovery/recovery.h"

/* Department @p id exists: else SV_E_NOT_FOUND naming @p name. */
static enum sv_err
department_exists(struct sv_dbc *c, const char *tenant_id, const char *id,
                  const char *name, const char **field)
{
    struct sv_department d;
    enum sv_err rc = sv_department_find_tx(c, tenant_id, id, &d);
    if (rc == SV_E_NOT_FOUND)
        *field = name;
    return rc;
}

/* Whether @p g holds @p p over department @p dept_id. */
static enum sv_err
allows_in(struct sv_dbc *c, const char *tenant_id, const struct sv_grants *g,
          enum sv_perm p, const char *dept_id, bool *out)
{
    struct sv_department_place pl;
    enum sv_err rc = sv_department_place_tx(c, tenant_id, dept_id, &pl);

    *out = rc == SV_OK && sv_access_allows(g, p, &pl.place);
    return rc;
}

/* Whether @p g holds @p p through a grant over a group @p e is in. */
static enum sv_err
allows_by_group(struct sv_dbc *c, const char *tenant_id,
                const struct sv_grants *g, enum sv_perm p,
                const struct sv_employee *e, bool *out)
{
    struct sv_group_set *gs = malloc(sizeof *gs);
    struct sv_access_place pl = {0};
    enum sv_err rc =
        gs != NULL ? sv_access_groups_of_tx(c, tenant_id, "employee", e->id, gs)
                   : SV_E_INTERNAL;

    if (rc == SV_OK) {
        sv_access_place_add_groups(&pl, gs);
        *out = sv_access_allows(g, p, &pl);
    }
    free(gs);
    return rc;
}

/* Whether @p g holds directory.view_phone over one of @p e's departments. */
static enum sv_err
may_reveal(struct sv_dbc *c, const char *tenant_id, const struct sv_grants *g,
           const struct sv_employee *e, bool *out)
{
    enum sv_err rc = allows_in(c, tenant_id, g, SV_PERM_DIRECTORY_VIEW_PHONE,
                               e->department_id, out);
    for (size_t i = 0; rc == SV_OK && !*out && i < e->n_departments; i++)
        rc = allows_in(c, tenant_id, g, SV_PERM_DIRECTORY_VIEW_PHONE,
                       e->departments[i], out);
    /* A grant over a group covers the employees in it. */
    if (rc == SV_OK && !*out && g->group_scoped)
        rc = allows_by_group(c, tenant_id, g, SV_PERM_DIRECTORY_VIEW_PHONE, e,
                             out);
    return rc;
}

/* DIR-3: SV_E_NOT_FOUND when a hidden department keeps employee @p e
 * from @p viewer (never from itself). */
static enum sv_err
check_seen(struct sv_dbc *c, const char *tenant_id, const char *viewer,
           const struct sv_employee *e)
{
    struct sv_veil *v = malloc(sizeof *v);
    struct sv_department_place pl;
    enum sv_err rc = v != NULL ? SV_OK : SV_E_INTERNAL;

    if (rc == SV_OK && strcmp(viewer, e->id) != 0)
        rc = sv_access_veil_of_tx(c, tenant_id, viewer, v);
    else if (v != NULL)
        v->n = 0;
    for (size_t i = 0; rc == SV_OK && v->n > 0 && i <= e->n_departments; i++) {
        rc = sv_department_place_tx(
            c, tenant_id, i == 0 ? e->department_id : e->departments[i - 1],
            &pl);
        if (rc == SV_OK && sv_veil_hides(v, &pl.place))
            rc = SV_E_NOT_FOUND;
    }
    free(v);
    return rc;
}

/* @p out filled from employee @p e for @p viewer: names, and what the
 * viewer may see. */
static enum sv_err
fill_person(struct sv_dbc *c, const char *tenant_id, const char *viewer,
            const struct sv_employee *e, struct sv_person *out)
{
    struct sv_grants *g = malloc(sizeof *g);
    struct sv_department d;
    struct sv_employee *m = NULL;
    struct sv_account acc;
    struct sv_tenant t;
    enum sv_err rc;

    if (g == NULL)
        return SV_E_INTERNAL;
    memset(out, 0, sizeof *out);
    out->e = *e;
    rc = sv_account_find(c, tenant_id, e->id, &acc);
    if (rc == SV_OK) {
        snprintf(out->username, sizeof out->username, "%s", acc.username);
        out->has_email = acc.has_email;
        snprintf(out->email, sizeof out->email, "%s", acc.email);
        rc = sv_department_find_tx(c, tenant_id, e->department_id, &d);
    }
    if (rc == SV_OK)
        snprintf(out->department_name, sizeof out->department_name, "%s",
                 d.name);
    for (size_t i = 0; rc == SV_OK && i < e->n_departments; i++) {
        rc = sv_department_find_tx(c, tenant_id, e->departments[i], &d);
        if (rc == SV_OK)
            snprintf(out->department_names[i], sizeof out->department_names[i],
                     "%s", d.name);
    }
    if (rc == SV_OK && e->manager_id[0] != '\0') {
        m = malloc(sizeof *m);
        rc = m == NULL ? SV_E_INTERNAL
                       : sv_employee_find_tx(c, tenant_id, e->manager_id, m);
        /* DIR-3: a manager hidden from the viewer is no manager to it. */
        if (rc == SV_OK)
            rc = check_seen(c, tenant_id, viewer, m);
        if (rc == SV_E_NOT_FOUND) {
            rc = SV_OK;
            out->e.manager_id[0] = '\0';
        } else if (rc == SV_OK) {
            snprintf(out->manager_name, sizeof out->manager_name, "%s",
                     m->display_name);
        }
    }
    if (rc == SV_OK)
        rc = sv_access_load_tx(c, tenant_id, viewer, g);
    if (rc == SV_OK)
        rc = allows_in(c, tenant_id, g, SV_PERM_DIRECTORY_MANAGE,
                       e->department_id, &out->may_manage);
    /* A grant over a group the employee is in (as a change asks). */
    if (rc == SV_OK && !out->may_manage && g->group_scoped)
        rc = allows_by_group(c, tenant_id, g, SV_PERM_DIRECTORY_MANAGE, e,
                             &out->may_manage);
    if (rc == SV_OK)
        rc = may_reveal(c, tenant_id, g, e, &out->may_reveal_phone);
    if (rc == SV_OK)
        rc = sv_tenant_find(c, tenant_id, &t);
    if (rc == SV_OK)
        out->phone_clear = !t.mask_phones;
    if (m != NULL)
        sodium_memzero(m, sizeof *m);
    free(m);
    free(g);
    return rc;
}

/* Audit @p action on employee @p id with @p details (stolen). */
static enum sv_err
audit_json(struct sv_dbc *c, const char *tenant_id,
           const struct sv_actor *actor, enum sv_audit_action action,
           const char *id, json_t *details)
{
    return sv_audit_json(c, tenant_id, actor, action, "employee", id, NULL,
                         details);
}

/* DIR-6: directory.manage over every department of @p e (primary and
 * further); with @p roles, access.manage over the tenant too when @p e
 * holds a role (taking or freezing one is the role managers' call). */
static enum sv_err
require_whole(struct sv_dbc *c, const char *tenant_id,
              const struct sv_actor *actor, const struct sv_employee *e,
              bool roles, struct sv_access_denial *denied)
{
    int64_t held = 0;
    enum sv_err rc =
        sv_department_require_tx(c, tenant_id, actor, SV_PERM_DIRECTORY_MANAGE,
                                 e->department_id, denied);

    for (size_t i = 0; rc == SV_OK && i < e->n_departments; i++)
        rc = sv_department_require_tx(c, tenant_id, actor,
                                      SV_PERM_DIRECTORY_MANAGE,
                                      e->departments[i], denied);
    if (rc == SV_OK && roles)
        rc = sv_access_count_tx(c, tenant_id, e->id, &held);
    if (rc == SV_OK && held > 0)
        rc = sv_department_require_tx(c, tenant_id, actor,
                                      SV_PERM_ACCESS_MANAGE, NULL, denied);
    return rc;
}

/* ---- hire ---- */

struct hire_ctx {
    const char *tenant_id;
    const struct sv_hire *h;
    const struct sv_actor *actor;
    struct sv_person *out;
    const char **field;
    struct sv_access_denial denied;
};

static enum sv_err
hire_tx(struct sv_dbc *c, void *cls)
{
    struct hire_ctx *x = cls;
    const struct sv_employee_input *in = &x->h->in;
    struct sv_employee *e = malloc(sizeof *e);
    struct sv_account acc;
    struct sv_tenant t;
    enum sv_err rc;

    *x->field = NULL;
    if (e == NULL)
        return SV_E_INTERNAL;
    rc = sv_department_lock_tx(c, x->tenant_id);
    /* Unknown departments answer 404 before any permission is asked. */
    if (rc == SV_OK)
        rc = department_exists(c, x->tenant_id, in->department_id,
                               "department_id", x->field);
    for (size_t i = 0; rc == SV_OK && i < in->n_departments; i++)
        rc = department_exists(c, x->tenant_id, in->departments[i],
                               "departments", x->field);
    if (rc == SV_OK)
        rc = sv_department_require_tx(c, x->tenant_id, x->actor,
                                      SV_PERM_DIRECTORY_MANAGE,
                                      in->department_id, &x->denied);
    for (size_t i = 0; rc == SV_OK && i < in->n_departments; i++)
        rc = sv_department_require_tx(c, x->tenant_id, x->actor,
                                      SV_PERM_DIRECTORY_MANAGE,
                                      in->departments[i], &x->denied);
    if (rc == SV_OK && x->h->account_id != NULL) {
        /* Any account of the tenant: a tenant-wide right. */
        rc = sv_department_require_tx(c, x->tenant_id, x->actor,
                                      SV_PERM_USERS_MANAGE, NULL, &x->denied);
        if (rc == SV_OK)
            rc = sv_account_find(c, x->tenant_id, x->h->account_id, &acc);
        if (rc == SV_E_NOT_FOUND)
            *x->field = "account_id";
    } else if (rc == SV_OK) {
        rc = sv_tenant_find(c, x->tenant_id, &t);
        if (rc == SV_OK)
            rc = sv_account_create_tx(c, &t, x->h->username, SV_ROLE_MEMBER,
                                      x->h->email, x->h->hash, x->actor, &acc);
        if (rc == SV_E_USERNAME_TAKEN)
            *x->field = "username";
    }
    if (rc == SV_OK)
        rc = sv_employee_insert_tx(c, x->tenant_id, acc.id, in, e, x->field);
    if (rc == SV_OK && x->h->also.fn != NULL)
        rc = x->h->also.fn(c, x->tenant_id, acc.id, x->h->also.cls, x->field);
    if (rc == SV_OK)
        rc = audit_json(
            c, x->tenant_id, x->actor, SV_AUDIT_EMPLOYEE_CREATE, acc.id,
            json_pack("{s:s, s:s, s:s, s:i, s:b}", "username", acc.username,
                      "display_name", e->display_name, "department_id",
                      e->department_id, "departments", (int)e->n_departments,
                      "linked", x->h->account_id != NULL));
    if (rc == SV_OK)
        rc = fill_person(c, x->tenant_id, x->actor->account_id, e, x->out);
    sodium_memzero(e, sizeof *e);
    free(e);
    return rc;
}

enum sv_err
sv_people_hire(struct sv_db *db, const char *tenant_id, const struct sv_hire *h,
               const struct sv_actor *actor, struct sv_person *out,
               const char **field)
{
    struct hire_ctx x = {tenant_id, h, actor, out, field, {0}};

    *field = NULL;
    if (actor == NULL || actor->account_id == NULL ||
        h->in.display_name == NULL || h->in.department_id == NULL ||
        (h->account_id == NULL) == (h->username == NULL))
        return SV_E_INTERNAL; /* the caller's checks */
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "people_hire", tenant_id, hire_tx, &x),
        &x.denied);
}

/* ---- update ---- */

struct update_ctx {
    const char *tenant_id, *id;
    const struct sv_employee_input *in;
    const enum sv_employee_state *state; /* NULL: unchanged */
    const struct sv_people_also *also;   /* NULL: nothing more */
    const struct sv_actor *actor;
    struct sv_person *out;
    const char **field;
    struct sv_access_denial denied;
};

/* Whether department @p id is among @p e's (primary or further). */
static bool
in_departments(const struct sv_employee *e, const char *id)
{
    if (strcmp(e->department_id, id) == 0)
        return true;
    for (size_t i = 0; i < e->n_departments; i++)
        if (strcmp(e->departments[i], id) == 0)
            return true;
    return false;
}

/* Every department the change puts the employee in or takes it out of:
 * each must exist (added ones) and be the actor's to manage. */
static enum sv_err
check_moves(struct sv_dbc *c, struct update_ctx *x,
            const struct sv_employee *before)
{
    const struct sv_employee_input *in = x->in;
    enum sv_err rc = SV_OK;

    if (in->department_id != NULL &&
        strcmp(in->department_id, before->department_id) != 0) {
        rc = department_exists(c, x->tenant_id, in->department_id,
                               "department_id", x->field);
        if (rc == SV_OK)
            rc = sv_department_require_tx(c, x->tenant_id, x->actor,
                                          SV_PERM_DIRECTORY_MANAGE,
                                          in->department_id, &x->denied);
    }
    if (!in->set_departments)
        return rc;
    for (size_t i = 0; rc == SV_OK && i < in->n_departments; i++) {
        if (in_departments(before, in->departments[i]))
            continue;
        rc = department_exists(c, x->tenant_id, in->departments[i],
                               "departments", x->field);
        if (rc == SV_OK)
            rc = sv_department_require_tx(c, x->tenant_id, x->actor,
                                          SV_PERM_DIRECTORY_MANAGE,
                                          in->departments[i], &x->denied);
    }
    for (size_t i = 0; rc == SV_OK && i < before->n_departments; i++) {
        bool kept = false;
        for (size_t j = 0; j < in->n_departments; j++)
            kept =
                kept || strcmp(in->departments[j], before->departments[i]) == 0;
        if (!kept)
            rc = sv_department_require_tx(c, x->tenant_id, x->actor,
                                          SV_PERM_DIRECTORY_MANAGE,
                                          before->departments[i], &x->denied);
    }
    return rc;
}

/* The names of the fields that differ between @p a and @p b. */
static json_t *
changed_fields(const struct sv_employee *a, const struct sv_employee *b)
{
    json_t *f = json_array();
#define DIFF(name, fld)                                                        \
    if (strcmp(a->fld, b->fld) != 0)                                           \
        json_array_append_new(f, json_string(name));
    DIFF("display_name", display_name)
    DIFF("title", title)
    DIFF("employee_no", employee_no)
    DIFF("department_id", department_id)
    DIFF("manager_id", manager_id)
    DIFF("phone", phone)
    DIFF("id_number", id_number)
#undef DIFF
    bool same = a->n_departments == b->n_departments;
    for (size_t i = 0; same && i < a->n_departments; i++)
        same = strcmp(a->departments[i], b->departments[i]) == 0;
    if (!same)
        json_array_append_new(f, json_string("departments"));
    return f;
}

/* DIR-6: a temporary disable, or enabling again (sv_people_change). */
static enum sv_err
change_state(struct sv_dbc *c, struct update_ctx *x,
             const struct sv_employee *before, struct sv_employee *now)
{
    enum sv_employee_state to = *x->state;
    int64_t sessions = 0;
    bool last = false;
    enum sv_err rc;

    if (to == before->state)
        return SV_OK;
    if (before->state == SV_EMPLOYEE_OFFBOARDED) {
        *x->field = "state"; /* left through a rehire only */
        return SV_E_CONFLICT;
    }
    rc = require_whole(c, x->tenant_id, x->actor, before, true, &x->denied);
    if (rc == SV_OK && to == SV_EMPLOYEE_DISABLED) {
        rc = sv_access_last_admin_tx(c, x->tenant_id, x->id, &last);
        if (rc == SV_OK && last) {
            *x->field = "state"; /* nobody could enable it again */
            rc = SV_E_CONFLICT;
        }
        if (rc == SV_OK)
            rc = sv_account_disable_tx(c, x->tenant_id, x->id, &sessions);
        /* No reset code issued before works once it is enabled again. */
        if (rc == SV_OK)
            rc = sv_reset_void_tx(c, x->tenant_id, x->id);
    } else if (rc == SV_OK) {
        rc = sv_account_enable_tx(c, x->tenant_id, x->id, NULL);
    }
    if (rc == SV_OK)
        rc = sv_employee_set_state_tx(c, x->tenant_id, x->id, to);
    if (rc == SV_OK)
        rc = audit_json(c, x->tenant_id, x->actor,
                        to == SV_EMPLOYEE_DISABLED ? SV_AUDIT_EMPLOYEE_DISABLE
                                                   : SV_AUDIT_EMPLOYEE_ENABLE,
                        x->id,
                        json_pack("{s:I}", "sessions", (json_int_t)sessions));
    if (rc == SV_OK)
        now->state = to;
    return rc;
}

static enum sv_err
update_tx(struct sv_dbc *c, void *cls)
{
    struct update_ctx *x = cls;
    struct sv_employee *before = malloc(sizeof *before);
    struct sv_employee *now = malloc(sizeof *now);
    enum sv_err rc = before && now ? SV_OK : SV_E_INTERNAL;
    struct sv_department_place pl;
    json_t *fields;

    *x->field = NULL;
    if (rc == SV_OK)
        rc = sv_department_lock_tx(c, x->tenant_id);
    if (rc == SV_OK)
        rc = sv_employee_find_tx(c, x->tenant_id, x->id, before);
    /* The employee where it is: its primary department's place (and the
     * groups it is in, for a grant over a group). */
    if (rc == SV_OK)
        rc =
            sv_department_place_tx(c, x->tenant_id, before->department_id, &pl);
    if (rc == SV_OK)
        rc = sv_access_require_tx(c, x->tenant_id, x->actor,
                                  SV_PERM_DIRECTORY_MANAGE, &pl.place,
                                  "employee", x->id, &x->denied);
    if (rc == SV_OK)
        rc = check_moves(c, x, before);
    if (rc == SV_OK)
        rc = sv_employee_update_tx(c, x->tenant_id, x->id, x->in, NULL, now,
                                   x->field);
    if (rc == SV_OK) {
        fields = changed_fields(before, now);
        if (json_array_size(fields) > 0)
            rc = audit_json(c, x->tenant_id, x->actor, SV_AUDIT_EMPLOYEE_UPDATE,
                            x->id, json_pack("{s:o}", "fields", fields));
        else
            json_decref(fields); /* nothing changed: no event */
    }
    if (rc == SV_OK && x->state != NULL)
        rc = change_state(c, x, before, now);
    if (rc == SV_OK && x->also != NULL && x->also->fn != NULL)
        rc = x->also->fn(c, x->tenant_id, x->id, x->also->cls, x->field);
    if (rc == SV_OK)
        rc = fill_person(c, x->tenant_id, x->actor->account_id, now, x->out);
    if (before != NULL)
        sodium_memzero(before, sizeof *before);
    if (now != NULL)
        sodium_memzero(now, sizeof *now);
    free(before);
    free(now);
    return rc;
}

enum sv_err
sv_people_update(struct sv_db *db, const char *tenant_id, const char *id,
                 const struct sv_employee_input *in,
                 const struct sv_actor *actor, struct sv_person *out,
                 const char **field)
{
    return sv_people_change(db, tenant_id, id, in, NULL, actor, out, field);
}

enum sv_err
sv_people_change(struct sv_db *db, const char *tenant_id, const char *id,
                 const struct sv_employee_input *in,
                 const enum sv_employee_state *state,
                 const struct sv_actor *actor, struct sv_person *out,
                 const char **field)
{
    return sv_people_change_also(db, tenant_id, id, in, state, NULL, actor, out,
                                 field);
}

enum sv_err
sv_people_change_also(struct sv_db *db, const char *tenant_id, const char *id,
                      const struct sv_employee_input *in,
                      const enum sv_employee_state *state,
                      const struct sv_people_also *also,
                      const struct sv_actor *actor, struct sv_person *out,
                      const char **field)
{
    struct update_ctx x = {tenant_id, id,  in,    state, also,
                           actor,     out, field, {0}};

    *field = NULL;
    if (actor == NULL || actor->account_id == NULL)
        return SV_E_INTERNAL;
    if (state != NULL && *state == SV_EMPLOYEE_OFFBOARDED) {
        *field = "state"; /* only POST …/offboard, with a successor */
        return SV_E_FIELD_INVALID;
    }
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "people_update", tenant_id, update_tx, &x),
        &x.denied);
}

/* ---- DIR-6: offboarding ---- */

struct offboard_ctx {
    const char *tenant_id, *id, *successor_id;
    const struct sv_actor *actor;
    struct sv_person *out;
    json_t *report; /* on success */
    const char **field;
    struct sv_access_denial denied;
};

/* The successor: an active employee, whose departments the actor manages
 * too (what passes on lands there). */
static enum sv_err
check_successor(struct sv_dbc *c, struct offboard_ctx *x, struct sv_employee *s)
{
    enum sv_err rc = sv_employee_find_tx(c, x->tenant_id, x->successor_id, s);

    if (rc == SV_E_NOT_FOUND)
        *x->field = "successor_id";
    if (rc == SV_OK && s->state != SV_EMPLOYEE_ACTIVE) {
        *x->field = "successor_id";
        rc = SV_E_CONFLICT;
    }
    return rc;
}

/* The steps every offboarding takes, in order; @p report gets their
 * counts. */
static enum sv_err
offboard_steps(struct sv_dbc *c, struct offboard_ctx *x, json_t *report)
{
    const struct sv_offboard_ctx hx = {x->tenant_id, x->id, x->successor_id,
                                       x->actor};
    int64_t sessions = 0, devices = 0, roles = 0;
    json_t *hooks;
    enum sv_err rc;

    rc = sv_employee_set_state_tx(c, x->tenant_id, x->id,
                                  SV_EMPLOYEE_OFFBOARDED);
    if (rc == SV_OK)
        rc = sv_account_disable_tx(c, x->tenant_id, x->id, &sessions);
    /* No reset code issued before works after a rehire. */
    if (rc == SV_OK)
        rc = sv_reset_void_tx(c, x->tenant_id, x->id);
    if (rc == SV_OK)
        rc = sv_device_revoke_trusted_tx(c, x->tenant_id, x->id, x->actor,
                                         "offboarding", &devices);
    /* SV_E_CONFLICT: the tenant's last enabled tenant admin. */
    if (rc == SV_OK)
        rc = sv_access_remove_all_tx(c, x->tenant_id, x->id, x->actor,
                                     "offboarding", &roles);
    if (rc != SV_OK)
        return rc;
    json_object_set_new(report, "sessions", json_integer(sessions));
    json_object_set_new(report, "devices", json_integer(devices));
    json_object_set_new(report, "roles", json_integer(roles));
    hooks = json_object();
    if (hooks == NULL || json_object_set_new(report, "hooks", hooks) != 0)
        return SV_E_INTERNAL;
    /* What else passes on: one line per capability (offboard.h). */
    return sv_offboard_run_tx(c, sv_offboard_hooks, &hx, hooks);
}

static enum sv_err
offboard_tx(struct sv_dbc *c, void *cls)
{
    struct offboard_ctx *x = cls;
    struct sv_employee *e = malloc(sizeof *e);
    struct sv_employee *s = malloc(sizeof *s);
    json_t *report = json_pack("{s:s}", "successor_id", x->successor_id);
    enum sv_err rc = e && s && report ? SV_OK : SV_E_INTERNAL;

    *x->field = NULL;
    json_decref(x->report); /* a retried transaction starts over */
    x->report = NULL;
    if (rc == SV_OK)
        rc = sv_department_lock_tx(c, x->tenant_id);
    if (rc == SV_OK)
        rc = sv_employee_find_tx(c, x->tenant_id, x->id, e);
    if (rc == SV_OK && e->state == SV_EMPLOYEE_OFFBOARDED)
        rc = SV_E_CONFLICT; /* once; a rehire comes first */
    /* After the look-up: an unknown employee is 404 whatever follows. */
    if (rc == SV_OK && strcmp(x->id, x->successor_id) == 0) {
        *x->field = "successor_id"; /* someone else */
        rc = SV_E_FIELD_INVALID;
    }
    if (rc == SV_OK)
        rc = check_successor(c, x, s);
    if (rc == SV_OK)
        rc = require_whole(c, x->tenant_id, x->actor, e, true, &x->denied);
    if (rc == SV_OK)
        rc = require_whole(c, x->tenant_id, x->actor, s, false, &x->denied);
    if (rc == SV_OK)
        rc = offboard_steps(c, x, report);
    if (rc == SV_OK)
        rc = audit_json(c, x->tenant_id, x->actor, SV_AUDIT_EMPLOYEE_OFFBOARD,
                        x->id, json_deep_copy(report));
    if (rc == SV_OK) {
        e->state = SV_EMPLOYEE_OFFBOARDED;
        rc = fill_person(c, x->tenant_id, x->actor->account_id, e, x->out);
    }
    if (rc == SV_OK) {
        x->report = report;
        report = NULL;
    }
    json_decref(report);
    if (e != NULL)
        sodium_memzero(e, sizeof *e);
    if (s != NULL)
        sodium_memzero(s, sizeof *s);
    free(e);
    free(s);
    return rc;
}

enum sv_err
sv_people_offboard(struct sv_db *db, const char *tenant_id, const char *id,
                   const char *successor_id, const struct sv_actor *actor,
                   struct sv_person *out, json_t **report, const char **field)
{
    struct offboard_ctx x = {tenant_id, id,   successor_id, actor,
                             out,       NULL, field,        {0}};
    enum sv_err rc;

    *field = NULL;
    *report = NULL;
    if (actor == NULL || actor->account_id == NULL || successor_id == NULL)
        return SV_E_INTERNAL;
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    rc = sv_db_run_tenant_tx(db, "people_offboard", tenant_id, offboard_tx, &x);
    if (rc == SV_OK)
        *report = x.report;
    else
        json_decref(x.report);
    return sv_access_denied_after(db, tenant_id, actor, rc, &x.denied);
}

/* ---- DIR-6: rehiring ---- */

struct rehire_ctx {
    const char *tenant_id, *id, *hash;
    const struct sv_actor *actor;
    struct sv_person *out;
    struct sv_access_denial denied;
};

static enum sv_err
rehire_tx(struct sv_dbc *c, void *cls)
{
    struct rehire_ctx *x = cls;
    struct sv_employee *e = malloc(sizeof *e);
    enum sv_employee_state was = SV_EMPLOYEE_ACTIVE;
    enum sv_err rc = e != NULL ? SV_OK : SV_E_INTERNAL;

    if (rc == SV_OK)
        rc = sv_department_lock_tx(c, x->tenant_id);
    if (rc == SV_OK)
        rc = sv_employee_find_tx(c, x->tenant_id, x->id, e);
    if (rc == SV_OK && e->state == SV_EMPLOYEE_ACTIVE)
        rc = SV_E_CONFLICT; /* working here already */
    if (rc == SV_OK)
        rc = require_whole(c, x->tenant_id, x->actor, e, true, &x->denied);
    if (rc == SV_OK) {
        was = e->state;
        rc = sv_account_enable_tx(c, x->tenant_id, x->id, x->hash);
    }
    if (rc == SV_OK)
        rc = sv_employee_set_state_tx(c, x->tenant_id, x->id,
                                      SV_EMPLOYEE_ACTIVE);
    if (rc == SV_OK)
        rc = audit_json(
            c, x->tenant_id, x->actor, SV_AUDIT_EMPLOYEE_REHIRE, x->id,
            json_pack("{s:s, s:b}", "from", sv_employee_state_name(was),
                      "temporary_password", 1));
    if (rc == SV_OK) {
        e->state = SV_EMPLOYEE_ACTIVE;
        rc = fill_person(c, x->tenant_id, x->actor->account_id, e, x->out);
    }
    if (e != NULL)
        sodium_memzero(e, sizeof *e);
    free(e);
    return rc;
}

enum sv_err
sv_people_rehire(struct sv_db *db, const char *tenant_id, const char *id,
                 const char *hash, const struct sv_actor *actor,
                 struct sv_person *out)
{
    struct rehire_ctx x = {tenant_id, id, hash, actor, out, {0}};

    if (actor == NULL || actor->account_id == NULL || hash == NULL)
        return SV_E_INTERNAL;
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "people_rehire", tenant_id, rehire_tx, &x),
        &x.denied);
}

/* ---- reads ---- */

struct get_ctx {
    const char *tenant_id, *id, *viewer;
    struct sv_person *out;
};

static enum sv_err
get_ro(struct sv_dbc *c, void *cls)
{
    struct get_ctx *x = cls;
    struct sv_employee *e = malloc(sizeof *e);
    enum sv_err rc = e != NULL ? sv_employee_find_tx(c, x->tenant_id, x->id, e)
                               : SV_E_INTERNAL;

    if (rc == SV_OK)
        rc = check_seen(c, x->tenant_id, x->viewer, e);
    if (rc == SV_OK)
        rc = fill_person(c, x->tenant_id, x->viewer, e, x->out);
    if (e != NULL)
        sodium_memzero(e, sizeof *e);
    free(e);
    return rc;
}

enum sv_err
sv_people_get(struct sv_db *db, const char *tenant_id, const char *id,
              const char *viewer, struct sv_person *out)
{
    struct get_ctx x = {tenant_id, id, viewer, out};

    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_db_run_tenant_ro(db, tenant_id, get_ro, &x);
}

/* ---- DIR-5: one phone in clear ---- */

/* The quota's window. */
#define REVEAL_WINDOW_MS (24 * 3600 * 1000LL)

struct reveal_ctx {
    const char *tenant_id, *id;
    const struct sv_actor *actor;
    char *out;
    int *left;
    struct sv_access_denial denied;
};

static enum sv_err
reveal_tx(struct sv_dbc *c, void *cls)
{
    struct reveal_ctx *x = cls;
    struct sv_employee *e = malloc(sizeof *e);
    struct sv_grants *g = malloc(sizeof *g);
    struct sv_tenant t;
    int64_t used = 0;
    bool may = false;
    enum sv_err rc = e && g ? SV_OK : SV_E_INTERNAL;

    x->out[0] = '\0';
    if (rc == SV_OK)
        rc = sv_employee_find_tx(c, x->tenant_id, x->id, e);
    if (rc == SV_OK)
        rc = check_seen(c, x->tenant_id, x->actor->account_id, e);
    if (rc == SV_OK)
        rc = sv_access_load_tx(c, x->tenant_id, x->actor->account_id, g);
    if (rc == SV_OK)
        rc = may_reveal(c, x->tenant_id, g, e, &may);
    /* Refused: asked again over the primary department, which records. */
    if (rc == SV_OK && !may)
        rc = sv_department_require_tx(c, x->tenant_id, x->actor,
                                      SV_PERM_DIRECTORY_VIEW_PHONE,
                                      e->department_id, &x->denied);
    if (rc == SV_OK)
        rc = sv_tenant_find(c, x->tenant_id, &t);
    if (rc == SV_OK)
        rc = sv_audit_count_tx(c, x->tenant_id, SV_AUDIT_EMPLOYEE_PHONE_REVEAL,
                               x->actor->account_id,
                               sv_now_ms() - REVEAL_WINDOW_MS, &used);
    if (rc == SV_OK) {
        *x->left = used >= t.phone_reveals_per_day
                       ? 0
                       : t.phone_reveals_per_day - (int)used;
        if (e->phone[0] != '\0' && *x->left == 0)
            rc = SV_E_QUOTA_EXCEEDED;
    }
    if (rc == SV_OK && e->phone[0] != '\0') {
        rc = audit_json(c, x->tenant_id, x->actor,
                        SV_AUDIT_EMPLOYEE_PHONE_REVEAL, x->id,
                        json_pack("{s:I}", "count", (json_int_t)used + 1));
        if (rc == SV_OK) {
            snprintf(x->out, SV_E164_MAX + 1, "%s", e->phone);
            (*x->left)--;
        }
    }
    if (e != NULL)
        sodium_memzero(e, sizeof *e);
    free(e);
    free(g);
    return rc;
}

enum sv_err
sv_people_reveal_phone(struct sv_db *db, const char *tenant_id, const char *id,
                       const struct sv_actor *actor, char out[SV_E164_MAX + 1],
                       int *left)
{
    struct reveal_ctx x = {tenant_id, id, actor, out, left, {0}};
    enum sv_err rc;

    out[0] = '\0';
    *left = 0;
    if (actor == NULL || actor->account_id == NULL)
        return SV_E_INTERNAL;
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    rc = sv_db_run_tenant_tx(db, "people_reveal_phone", tenant_id, reveal_tx,
                             &x);
    if (rc != SV_OK)
        sodium_memzero(out, SV_E164_MAX + 1);
    return sv_access_denied_after(db, tenant_id, actor, rc, &x.denied);
}
