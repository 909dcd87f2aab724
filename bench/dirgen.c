/*
 * dirgen: a large directory for the benchmark (issue 11, scenario 11 of
 * bench/run.sh).
 *
 * usage: dirgen DATA_DIR TENANT_SLUG ADMIN_USERNAME EMPLOYEES DEPARTMENTS
 *
 * Opens DATA_DIR as `serve` does (the server must not be running), and
 * fills tenant TENANT_SLUG with DEPARTMENTS departments (10 roots, then
 * fan-out 10 below them until the count is reached) made by its admin,
 * and EMPLOYEES employees: each an account that never signs in (no usable
 * password) with a profile whose phone is a valid Chinese mobile number,
 * sealed and blind-indexed as the API would. The employees are spread
 * over the departments evenly, except that one department (the first
 * department made, a leaf) also gets 200 more: the department whose page the
 * benchmark reads. Employees go in batches of 1,000 per transaction.
 *
 * Prints one line: DIRGEN depts=… employees=… big=<department id>
 * dept_s=… emp_s=…
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/employee.h"
#include "directory/tenant.h"
#include "identity/identity.h"

#define BATCH 1000
#define BIG_EXTRA 200

static struct sv_app app;
static struct sv_tenant tenant;
static char (*depts)[37];
static long n_depts;

/* A row only: the account never signs in ("-" is no hash of anything). */
SV_SQL(Q_BENCH_ACCOUNT, "bench_account",
       "INSERT INTO accounts (tenant_id, id, username, password_hash, "
       "must_change_password, created_at) VALUES ($1, $2, $3, '-', 0, 0)",
       0);

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct batch_ctx {
    long first, count, total;
};

static enum sv_err
batch_tx(struct sv_dbc *c, void *cls)
{
    struct batch_ctx *b = cls;

    for (long i = b->first; i < b->first + b->count; i++) {
        char id[37], name[32], phone[16];
        struct sv_employee out;
        const char *field = NULL;
        /* The last department (a leaf) also holds the last BIG_EXTRA. */
        long d = i >= b->total - BIG_EXTRA ? n_depts - 1 : (long)(i % n_depts);
        sv_uuid7(id);
        snprintf(name, sizeof name, "e%07ld", i);
        if (sv_db_exec_ttt(c, &Q_BENCH_ACCOUNT, tenant.id, id, name) !=
            SV_QS_ONE)
            return SV_E_INTERNAL;
        snprintf(phone, sizeof phone, "+86138%08ld", i % 100000000);
        snprintf(name, sizeof name, "Employee %07ld", i);
        struct sv_employee_input in = {.display_name = name,
                                       .department_id = depts[d],
                                       .set_phone = true,
                                       .phone = phone};
        enum sv_err rc =
            sv_employee_insert_tx(c, tenant.id, id, &in, &out, &field);
        if (rc != SV_OK) {
            fprintf(stderr, "dirgen: employee %ld: %s (%s)\n", i,
                    sv_err_code(rc), field ? field : "-");
            return rc;
        }
    }
    return SV_OK;
}

struct find_ctx {
    const char *slug, *username;
    struct sv_account admin;
};

static enum sv_err
find_tx(struct sv_dbc *c, void *cls)
{
    struct find_ctx *x = cls;
    enum sv_err rc = sv_tenant_find_by_slug(c, x->slug, &tenant);
    if (rc == SV_OK)
        rc = sv_db_scope_tenant(c, tenant.id);
    if (rc == SV_OK)
        rc = sv_account_find_by_username(c, tenant.id, x->username, &x->admin);
    return rc;
}

int
main(int argc, char **argv)
{
    char err[256] = "";
    struct find_ctx f;
    long n_emp;
    double t0;

    if (argc != 6 || (n_emp = atol(argv[4])) < BIG_EXTRA ||
        (n_depts = atol(argv[5])) < 10 || n_depts > 1000000) {
        fprintf(stderr, "usage: dirgen DATA_DIR TENANT_SLUG ADMIN_USERNAME "
                        "EMPLOYEES DEPARTMENTS\n");
        return 2;
    }
    if (sodium_init() < 0 ||
        sv_app_open(&app, argv[1], 2, err, sizeof err) != SV_OK) {
        fprintf(stderr, "dirgen: open %s: %s\n", argv[1], err);
        return 1;
    }
    f.slug = argv[2];
    f.username = argv[3];
    if (sv_db_run_ro(app.db, find_tx, &f) != SV_OK) {
        fprintf(stderr, "dirgen: no tenant %s with an account %s\n", argv[2],
                argv[3]);
        return 1;
    }
    struct sv_actor admin = {f.admin.id, f.admin.username, "127.0.0.1",
                             "dirgen"};
    depts = calloc((size_t)n_depts, sizeof *depts);
    if (depts == NULL)
        return 1;
    /* Level by level: 10 roots, then each department of the level above
     * gets children in turn until the count is reached. */
    t0 = now_s();
    for (long i = 0; i < n_depts; i++) {
        struct sv_department d;
        const char *field = NULL;
        char name[32];
        const char *parent = i < 10 ? NULL : depts[(i - 10) / 10];
        snprintf(name, sizeof name, "Dept %06ld", i);
        if (sv_department_create(app.db, tenant.id, name, parent, &admin, &d,
                                 NULL, &field) != SV_OK) {
            fprintf(stderr, "dirgen: department %ld (%s)\n", i,
                    field ? field : "-");
            return 1;
        }
        memcpy(depts[i], d.id, sizeof depts[i]);
    }
    double dept_s = now_s() - t0;
    t0 = now_s();
    for (long first = 0; first < n_emp; first += BATCH) {
        struct batch_ctx b = {
            first, n_emp - first < BATCH ? n_emp - first : BATCH, n_emp};
        if (sv_db_run_tenant_tx(app.db, "dirgen", tenant.id, batch_tx, &b) !=
            SV_OK) {
            fprintf(stderr, "dirgen: batch at %ld failed\n", first);
            return 1;
        }
    }
    printf("DIRGEN depts=%ld employees=%ld big=%s dept_s=%.1f emp_s=%.1f\n",
           n_depts, n_emp, depts[n_depts - 1], dept_s, now_s() - t0);
    free(depts);
    sv_app_close(&app);
    return 0;
}
