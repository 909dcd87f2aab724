/* The CSV import against the directory: see import.h, docs/import.md. */
#include "provision/import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "access/access.h"
#include "audit/audit.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/employee.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "provision/import_doc.h"

/* Rows between two looks at the clock of progress and cancellation. */
enum { EVERY = 1024 };

/* One attempt of the import's transaction: what the database holds, the
 * errors found against it, and the writes. All of it is made again when
 * the transaction runs again. */
struct run_ctx {
    struct sv_import_doc *d;
    const char *tenant_id;
    const struct sv_import_options *o;
    bool write; /* a real run of a file without errors of its own */
    /* per attempt */
    struct sv_arena *arena;
    struct imp_errors errs;
    struct imp_map dept_key;  /* "<parent id>/<key>" → existing index */
    struct imp_map dept_id;   /* id → existing index */
    char (*ex_id)[37];        /* existing departments */
    int32_t *ex_parent;       /* their parent's index; -1 a top one */
    char (*ex_parent_id)[37]; /* as read, until linked */
    size_t n_ex, cap_ex;
    struct imp_map username; /* existing account → index in acc_id */
    char (*acc_id)[37];
    size_t n_acc, cap_acc;
    struct imp_map employee;  /* an employee's account id → 1 */
    struct imp_map number;    /* an employee number in use → 1 */
    struct sv_grants *grants; /* the actor's; NULL: the operator */
    struct sv_access_denial denied;
    bool refused;
    size_t new_depts, employees;
    uint64_t done, total;
    enum sv_import_phase phase;
};

static void
progress(struct run_ctx *x, enum sv_import_phase phase, uint64_t done,
         uint64_t total)
{
    if (x->o->progress != NULL)
        x->o->progress(x->o->cls, phase, done, total);
}

static bool
cancelled(const struct run_ctx *x)
{
    return x->o->cancelled != NULL && x->o->cancelled(x->o->cls);
}

/* Every EVERY rows: progress, and whether to stop. */
static bool
tick(struct run_ctx *x, size_t i)
{
    if (i % EVERY != 0)
        return false;
    progress(x, x->phase, x->done, x->total);
    return cancelled(x);
}

static void run_error(struct run_ctx *x, uint32_t line, int column,
                      const char *rule, const char *arg, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
run_error(struct run_ctx *x, uint32_t line, int column, const char *rule,
          const char *arg, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    imp_error_add(&x->errs, x->arena, line,
                  column >= 0 ? sv_import_column_name(column) : NULL,
                  column >= 0 ? x->d->col_of[column] : -1, rule, arg, "%s",
                  msg);
}

static void *
grow(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 1024;
    v = realloc(v, *cap * size);
    if (v == NULL)
        sv_abort_at(__FILE__, __LINE__, "out of memory");
    return v;
}

static void
attempt_fini(struct run_ctx *x)
{
    imp_errors_fini(&x->errs);
    imp_map_fini(&x->dept_key);
    imp_map_fini(&x->dept_id);
    imp_map_fini(&x->username);
    imp_map_fini(&x->employee);
    imp_map_fini(&x->number);
    free(x->ex_id);
    free(x->ex_parent);
    free(x->ex_parent_id);
    free(x->acc_id);
    x->ex_id = NULL;
    x->ex_parent = NULL;
    x->ex_parent_id = NULL;
    x->acc_id = NULL;
    x->n_ex = x->cap_ex = x->n_acc = x->cap_acc = 0;
    sv_arena_free(x->arena);
    x->arena = NULL;
}

/* ---- what the tenant has ---- */

static void
each_department(void *cls, const char *id, const char *parent_id,
                const char *key)
{
    struct run_ctx *x = cls;
    size_t i = x->n_ex++;

    if (i == x->cap_ex) {
        x->cap_ex = x->cap_ex ? x->cap_ex * 2 : 1024;
        x->ex_id = realloc(x->ex_id, x->cap_ex * sizeof *x->ex_id);
        x->ex_parent_id =
            realloc(x->ex_parent_id, x->cap_ex * sizeof *x->ex_parent_id);
        if (x->ex_id == NULL || x->ex_parent_id == NULL)
            sv_abort_at(__FILE__, __LINE__, "out of memory");
    }
    snprintf(x->ex_id[i], 37, "%s", id);
    snprintf(x->ex_parent_id[i], 37, "%s", parent_id);
    imp_map_put(&x->dept_key,
                sv_arena_printf(x->arena, "%s/%s", parent_id, key), (int32_t)i);
}

static void
each_account(void *cls, const char *id, const char *username)
{
    struct run_ctx *x = cls;
    size_t i = x->n_acc++;

    x->acc_id = grow(x->acc_id, &x->cap_acc, i, sizeof *x->acc_id);
    snprintf(x->acc_id[i], 37, "%s", id);
    imp_map_put(&x->username, sv_arena_strdup(x->arena, username), (int32_t)i);
}

static void
each_employee(void *cls, const char *id, const char *employee_no)
{
    struct run_ctx *x = cls;

    imp_map_put(&x->employee, sv_arena_strdup(x->arena, id), 1);
    if (employee_no != NULL)
        imp_map_put(&x->number, sv_arena_strdup(x->arena, employee_no), 1);
}

static enum sv_err
load(struct sv_dbc *c, struct run_ctx *x)
{
    enum sv_err rc = sv_department_each_tx(c, x->tenant_id, each_department, x);

    if (rc == SV_OK) {
        /* Keyed by ex_id's strings: made once the array no longer moves. */
        x->ex_parent = sv_xcalloc(x->n_ex ? x->n_ex : 1, sizeof *x->ex_parent);
        for (size_t i = 0; i < x->n_ex; i++)
            imp_map_put(&x->dept_id, x->ex_id[i], (int32_t)i);
        for (size_t i = 0; i < x->n_ex; i++)
            x->ex_parent[i] = x->ex_parent_id[i][0] != '\0'
                                  ? imp_map_get(&x->dept_id, x->ex_parent_id[i])
                                  : -1;
    }
    if (rc == SV_OK)
        rc = sv_account_each_tx(c, x->tenant_id, each_account, x);
    if (rc == SV_OK)
        rc = sv_employee_each_tx(c, x->tenant_id, each_employee, x);
    if (rc == SV_OK && x->o->actor != NULL && x->o->actor->account_id != NULL) {
        x->grants = malloc(sizeof *x->grants);
        rc = x->grants != NULL
                 ? sv_access_load_tx(c, x->tenant_id, x->o->actor->account_id,
                                     x->grants)
                 : SV_E_INTERNAL;
    }
    return rc;
}

/* ---- the rules against the tenant ---- */

/* May the actor manage existing department @p i (its place from the tree
 * read)? */
static bool
may_manage_existing(struct run_ctx *x, int32_t i)
{
    struct sv_access_place pl = {0};

    for (int32_t at = i; at >= 0 && pl.n < SV_ACCESS_DEPTH_MAX;
         at = x->ex_parent[at])
        pl.dept[pl.n++] = x->ex_id[at];
    return sv_access_allows(x->grants, SV_PERM_DIRECTORY_MANAGE, &pl);
}

/* The file's departments against the tree: which exist, which the actor
 * may put employees in (an existing one it manages, a new one under one
 * it manages; a new top one needs the tenant). Parents come first. */
static void
match_departments(struct run_ctx *x)
{
    struct sv_import_doc *d = x->d;

    x->new_depts = 0;
    for (size_t i = 0; i < d->n_depts; i++) {
        struct imp_dept *dp = &d->depts[i];
        const struct imp_dept *up =
            dp->parent >= 0 ? &d->depts[dp->parent] : NULL;
        int32_t ex = -1;

        dp->exists = false;
        dp->id[0] = '\0';
        if (up == NULL || up->exists)
            ex =
                imp_map_get(&x->dept_key,
                            sv_arena_printf(x->arena, "%s/%s",
                                            up != NULL ? up->id : "", dp->key));
        if (ex >= 0) {
            dp->exists = true;
            memcpy(dp->id, x->ex_id[ex], 37);
        } else {
            x->new_depts++;
        }
        if (x->grants == NULL)
            dp->allowed = 1;
        else if (ex >= 0)
            dp->allowed = may_manage_existing(x, ex);
        else if (up != NULL)
            dp->allowed = up->allowed;
        else
            dp->allowed =
                sv_access_allows(x->grants, SV_PERM_DIRECTORY_MANAGE, NULL);
    }
}

/* The nearest department of the tree at or above @p i ("" none). */
static const char *
nearest_existing(const struct sv_import_doc *d, int32_t i)
{
    while (i >= 0 && !d->depts[i].exists)
        i = d->depts[i].parent;
    return i >= 0 ? d->depts[i].id : "";
}

static void
refuse(struct run_ctx *x, const struct imp_row *r, int column, int32_t dept)
{
    const struct sv_import_doc *d = x->d;
    const char *at = nearest_existing(d, dept);

    if (!x->refused) {
        x->refused = true;
        x->denied.perm = SV_PERM_DIRECTORY_MANAGE;
        x->denied.object_type = at[0] != '\0' ? "department" : "tenant";
        snprintf(x->denied.object_id, sizeof x->denied.object_id, "%s", at);
    }
    if (at[0] == '\0')
        run_error(x, r->line, column, "forbidden", d->depts[dept].path,
                  "creating the top department %s needs directory.manage "
                  "over the tenant",
                  d->depts[dept].path);
    else
        run_error(x, r->line, column, "forbidden", d->depts[dept].path,
                  "you may not manage department %s (directory.manage)",
                  d->depts[dept].path);
}

static enum sv_err
check_rows(struct run_ctx *x)
{
    struct sv_import_doc *d = x->d;

    x->employees = 0;
    x->phase = SV_IMPORT_CHECKING;
    x->total = d->n_rows;
    for (size_t i = 0; i < d->n_rows; i++) {
        struct imp_row *r = &d->rows[i];

        x->done = i;
        if (tick(x, i))
            return SV_E_UNAVAILABLE;
        r->manager_id = NULL;
        r->id[0] = '\0';
        if (r->dept_only) {
            if (r->dept >= 0 && !d->depts[r->dept].exists &&
                d->depts[r->dept].allowed == 0)
                refuse(x, r, SV_IMPORT_DEPARTMENT, r->dept);
            continue;
        }
        x->employees++;
        if (r->dept >= 0 && d->depts[r->dept].allowed == 0)
            refuse(x, r, SV_IMPORT_DEPARTMENT, r->dept);
        for (size_t k = 0; k < r->n_further; k++)
            if (d->depts[r->further[k]].allowed == 0) {
                refuse(x, r, SV_IMPORT_DEPARTMENTS, r->further[k]);
                break;
            }
        if (r->f[SV_IMPORT_USERNAME] != NULL &&
            imp_map_get(&x->username, r->f[SV_IMPORT_USERNAME]) >= 0)
            run_error(x, r->line, SV_IMPORT_USERNAME, "username_taken", NULL,
                      "the tenant already has an account with this username");
        if (r->f[SV_IMPORT_EMPLOYEE_NO] != NULL &&
            imp_map_get(&x->number, r->f[SV_IMPORT_EMPLOYEE_NO]) >= 0)
            run_error(x, r->line, SV_IMPORT_EMPLOYEE_NO, "employee_no_taken",
                      NULL,
                      "an employee of the tenant already has this number");
        if (r->f[SV_IMPORT_MANAGER] != NULL && r->manager_row == -1) {
            int32_t a = imp_map_get(&x->username, r->f[SV_IMPORT_MANAGER]);
            if (a < 0)
                run_error(x, r->line, SV_IMPORT_MANAGER, "manager_unknown",
                          r->f[SV_IMPORT_MANAGER],
                          "no employee %s in the file or the tenant",
                          r->f[SV_IMPORT_MANAGER]);
            else if (imp_map_get(&x->employee, x->acc_id[a]) < 0)
                run_error(x, r->line, SV_IMPORT_MANAGER, "manager_not_employee",
                          r->f[SV_IMPORT_MANAGER],
                          "%s is an account of the tenant but not an "
                          "employee",
                          r->f[SV_IMPORT_MANAGER]);
            else
                r->manager_id = x->acc_id[a];
        }
    }
    x->done = d->n_rows;
    progress(x, x->phase, x->done, x->total);
    return SV_OK;
}

/* ---- writing ---- */

/* The details of an event: a compact JSON object (stolen). Caller frees. */
static char *
details_of(json_t *j)
{
    char *text =
        j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    return text;
}

static enum sv_err
audit_add(struct sv_audit_batch *b, const struct sv_actor *actor,
          enum sv_audit_action action, const char *type, const char *id,
          json_t *details)
{
    char *text = details_of(details);
    enum sv_err rc;

    if (text == NULL)
        return SV_E_INTERNAL;
    rc = sv_audit_batch_add(b, actor, action, type, id, "success", NULL, text);
    free(text);
    return rc;
}

static json_t *
job_json(const struct run_ctx *x)
{
    return x->o->job_id != NULL ? json_string(x->o->job_id) : json_null();
}

static enum sv_err
write_departments(struct run_ctx *x, struct sv_dbc *c, struct sv_audit_batch *b,
                  int64_t now)
{
    struct sv_import_doc *d = x->d;
    enum sv_err rc = SV_OK;

    for (size_t i = 0; rc == SV_OK && i < d->n_depts; i++) {
        struct imp_dept *dp = &d->depts[i];
        struct sv_department nd = {0};

        if (dp->exists)
            continue;
        if (tick(x, x->done++))
            return SV_E_UNAVAILABLE;
        sv_uuid7(dp->id);
        memcpy(nd.id, dp->id, 37);
        if (dp->parent >= 0)
            memcpy(nd.parent_id, d->depts[dp->parent].id, 37);
        snprintf(nd.name, sizeof nd.name, "%s", dp->name);
        nd.created_at = nd.updated_at = now;
        rc = sv_department_insert_imported_tx(c, x->tenant_id, &nd);
        if (rc == SV_OK)
            rc = audit_add(b, x->o->actor, SV_AUDIT_DEPARTMENT_CREATE,
                           "department", dp->id,
                           json_pack("{s:s, s:o, s:o}", "name", dp->name,
                                     "parent_id",
                                     dp->parent >= 0 ? json_string(nd.parent_id)
                                                     : json_null(),
                                     "import", job_json(x)));
    }
    return rc;
}

static enum sv_err
write_employees(struct run_ctx *x, struct sv_dbc *c, struct sv_audit_batch *b,
                const struct sv_tenant_keys *tk, int64_t now)
{
    struct sv_import_doc *d = x->d;
    const char *further[SV_EMPLOYEE_DEPTS_MAX];
    enum sv_err rc = SV_OK;

    /* Every account first: a manager may be a later line. */
    for (size_t i = 0; i < d->n_rows; i++)
        if (!d->rows[i].dept_only)
            sv_uuid7(d->rows[i].id);
    for (size_t i = 0; rc == SV_OK && i < d->n_rows; i++) {
        const struct imp_row *r = &d->rows[i];
        if (r->dept_only)
            continue;
        if (tick(x, x->done++))
            return SV_E_UNAVAILABLE;
        rc = sv_account_insert_imported_tx(c, tk, x->tenant_id, r->id,
                                           r->f[SV_IMPORT_USERNAME],
                                           r->f[SV_IMPORT_EMAIL], now);
    }
    for (size_t i = 0; rc == SV_OK && i < d->n_rows; i++) {
        const struct imp_row *r = &d->rows[i];
        struct sv_employee_input in = {0};

        if (r->dept_only)
            continue;
        if (tick(x, x->done++))
            return SV_E_UNAVAILABLE;
        for (size_t k = 0; k < r->n_further; k++)
            further[k] = d->depts[r->further[k]].id;
        in.display_name = r->f[SV_IMPORT_DISPLAY_NAME];
        in.set_title = true;
        in.title = r->f[SV_IMPORT_TITLE] != NULL ? r->f[SV_IMPORT_TITLE] : "";
        in.set_employee_no = true;
        in.employee_no = r->f[SV_IMPORT_EMPLOYEE_NO];
        in.department_id = d->depts[r->dept].id;
        in.set_departments = true;
        in.n_departments = r->n_further;
        in.departments = further;
        in.set_manager = true;
        in.manager_id =
            r->manager_row >= 0 ? d->rows[r->manager_row].id : r->manager_id;
        in.set_phone = true;
        in.phone = r->f[SV_IMPORT_PHONE];
        in.set_id_number = true;
        in.id_number = r->f[SV_IMPORT_ID_NUMBER];
        rc = sv_employee_insert_imported_tx(c, tk, x->tenant_id, r->id, &in,
                                            now);
        /* What the single-object paths record: the account, then its
         * profile (never a phone, e-mail or ID number). */
        if (rc == SV_OK)
            rc = audit_add(b, x->o->actor, SV_AUDIT_ACCOUNT_CREATED, "account",
                           r->id,
                           json_pack("{s:s, s:s, s:o}", "username",
                                     r->f[SV_IMPORT_USERNAME], "role", "member",
                                     "import", job_json(x)));
        if (rc == SV_OK)
            rc = audit_add(
                b, x->o->actor, SV_AUDIT_EMPLOYEE_CREATE, "employee", r->id,
                json_pack("{s:s, s:s, s:s, s:i, s:b, s:o}", "username",
                          r->f[SV_IMPORT_USERNAME], "display_name",
                          r->f[SV_IMPORT_DISPLAY_NAME], "department_id",
                          in.department_id, "departments", (int)r->n_further,
                          "linked", 0, "import", job_json(x)));
    }
    return rc;
}

static enum sv_err
write_all(struct run_ctx *x, struct sv_dbc *c)
{
    const struct sv_tenant_keys *tk = NULL;
    struct sv_audit_batch b;
    int64_t now = sv_now_ms();
    enum sv_err rc;

    x->phase = SV_IMPORT_WRITING;
    x->done = 0;
    x->total = x->new_depts + 2 * x->employees;
    progress(x, x->phase, 0, x->total);
    /* Every read before the batch: the keys, the audit head (locked). */
    rc = sv_tenant_keys_get(c, x->tenant_id, 0, &tk);
    if (rc == SV_OK)
        rc = sv_audit_batch_begin(c, x->tenant_id, &b);
    if (rc != SV_OK)
        return rc;
    sv_db_batch_begin(c);
    rc = write_departments(x, c, &b, now);
    if (rc == SV_OK)
        rc = write_employees(x, c, &b, tk, now);
    if (rc == SV_OK)
        rc = audit_add(
            &b, x->o->actor, SV_AUDIT_DIRECTORY_IMPORT, "import", x->o->job_id,
            json_pack("{s:I, s:I, s:I, s:o}", "lines", (json_int_t)x->d->n_rows,
                      "employees", (json_int_t)x->employees, "departments",
                      (json_int_t)x->new_depts, "job", job_json(x)));
    if (rc == SV_OK)
        rc = sv_audit_batch_end(&b);
    if (rc == SV_OK)
        rc = sv_db_batch_end(c);
    if (rc == SV_OK)
        progress(x, x->phase, x->total, x->total);
    return rc;
}

/* The transaction (a read one for a dry run or a file with errors). */
static enum sv_err
import_tx(struct sv_dbc *c, void *cls)
{
    struct run_ctx *x = cls;
    enum sv_err rc;

    attempt_fini(x); /* a retried transaction starts over */
    free(x->grants);
    x->grants = NULL;
    x->refused = false;
    x->arena = sv_arena_new();
    x->phase = SV_IMPORT_CHECKING;
    progress(x, x->phase, 0, x->d->n_rows);
    /* The directory lock first: what is checked is what is written. */
    rc = x->write ? sv_department_lock_tx(c, x->tenant_id) : SV_OK;
    if (rc == SV_OK)
        rc = load(c, x);
    if (rc != SV_OK)
        return rc;
    match_departments(x);
    rc = check_rows(x);
    if (rc != SV_OK)
        return rc;
    if (x->errs.total > 0 || x->d->errors.total > 0)
        return x->write ? SV_E_FIELD_INVALID : SV_OK; /* nothing written */
    if (!x->write)
        return SV_OK;
    rc = write_all(x, c);
    if (rc == SV_OK && x->o->commit_tx != NULL) {
        struct sv_import_report r = {0};
        r.lines = x->d->n_rows;
        r.employees = x->employees;
        r.departments = x->new_depts;
        r.imported = true;
        rc = x->o->commit_tx(c, x->o->cls, &r);
    }
    return rc;
}

struct tenant_ctx {
    const char *tenant_id;
    struct sv_tenant t;
};

static enum sv_err
tenant_ro(struct sv_dbc *c, void *cls)
{
    struct tenant_ctx *t = cls;
    return sv_tenant_find(c, t->tenant_id, &t->t);
}

/* A real run refused: a failed directory.import event (the counts). */
struct failed_ctx {
    const struct run_ctx *x;
    const struct sv_import_report *r;
};

static enum sv_err
failed_tx(struct sv_dbc *c, void *cls)
{
    struct failed_ctx *f = cls;
    const struct run_ctx *x = f->x;
    char *text = details_of(
        json_pack("{s:I, s:I, s:o}", "lines", (json_int_t)f->r->lines, "errors",
                  (json_int_t)f->r->n_errors, "job", job_json(x)));
    enum sv_err rc;

    if (text == NULL)
        return SV_E_INTERNAL;
    rc = sv_audit_by(c, x->tenant_id, x->o->actor, SV_AUDIT_DIRECTORY_IMPORT,
                     "import", x->o->job_id, "failure", "invalid", text);
    free(text);
    return rc;
}

enum sv_err
sv_import_run(struct sv_db *db, const char *tenant_id, const char *csv,
              size_t len, const struct sv_import_options *o,
              struct sv_import_report *out)
{
    struct tenant_ctx t;
    struct run_ctx x;
    enum sv_err rc;

    memset(out, 0, sizeof *out);
    memset(&x, 0, sizeof x);
    memset(&t, 0, sizeof t);
    t.tenant_id = tenant_id;
    if (len > SV_IMPORT_BYTES_MAX)
        return SV_E_BODY_TOO_LARGE;
    if (SV_NEVER(o == NULL))
        return SV_E_INTERNAL;
    rc = sv_db_run_tenant_ro(db, tenant_id, tenant_ro, &t);
    if (rc != SV_OK)
        return rc;
    x.tenant_id = tenant_id;
    x.o = o;
    rc = sv_import_parse(csv, len, t.t.phone_region, o, &x.d);
    if (rc == SV_E_FIELD_INVALID) {
        sv_log(SV_LOG_ERROR, "import", "tenant phone region %s unknown",
               t.t.phone_region);
        return SV_E_INTERNAL;
    }
    if (rc != SV_OK)
        return rc;
    if (x.d->header_ok) {
        x.write = !o->dry_run && x.d->errors.total == 0;
        rc = x.write ? sv_db_run_tenant_tx(db, "directory_import", tenant_id,
                                           import_tx, &x)
                     : sv_db_run_tenant_ro(db, tenant_id, import_tx, &x);
        if (rc == SV_E_FIELD_INVALID)
            rc = SV_OK; /* the report says why; nothing was written */
    }
    if (rc == SV_OK) {
        out->lines = x.d->n_rows;
        out->employees = x.d->header_ok ? x.employees : x.d->n_employees;
        out->departments = x.d->header_ok ? x.new_depts : 0;
        imp_errors_report(&x.d->errors, &x.errs, out);
        out->imported = x.write && out->n_errors == 0;
        progress(&x, SV_IMPORT_FINISHED, out->lines, out->lines);
    }
    /* A real run refused: its denial and its failure on record. */
    if (rc == SV_OK && !o->dry_run && out->n_errors > 0) {
        struct failed_ctx f = {&x, out};
        enum sv_err arc = SV_OK;
        if (x.refused && o->actor != NULL && o->actor->account_id != NULL)
            arc = sv_access_denied(db, tenant_id, o->actor, &x.denied,
                                   "directory import");
        if (arc == SV_OK)
            arc = sv_db_run_tenant_tx(db, "directory_import_failed", tenant_id,
                                      failed_tx, &f);
        if (arc != SV_OK)
            rc = arc;
    }
    attempt_fini(&x);
    free(x.grants);
    sv_import_doc_free(x.d);
    if (rc != SV_OK)
        sv_import_report_fini(out);
    return rc;
}
