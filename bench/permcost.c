/*
 * permcost: what a permission check costs in-process (issue 11, scenario
 * 10 of bench/run.sh; target p99 <= 20 us).
 *
 * usage: permcost DATA_DIR [CHECKS]
 *
 * Opens DATA_DIR as `serve` does, makes a tenant with a tree of 11,110
 * departments (10 roots, fan-out 10, four levels: 10,000 leaves), and a
 * department admin holding department_admin over three of the hundred
 * second-level subtrees and a custom role over a fourth. A group of the
 * tenant holds a role too (the department admin is in none), so loading
 * grants asks whether the account is in any group, as it does in a tenant
 * that uses groups (the walk through an account's groups, when it is in
 * one, costs about 15 us more on SQLite: docs/benchmarks.md).
 * Then times CHECKS
 * checks (default 100,000) of "may the department admin do
 * directory.manage on this leaf department?", the leaf picked at random
 * (about 4 % inside a held subtree), three ways:
 *
 *   eval   sv_access_allows() alone over grants and a place already in
 *          memory: the evaluator's own cost.
 *   place  a read transaction that reads the leaf's place from the closure
 *          index, then evaluates (grants loaded once, as the router does
 *          for one request).
 *   full   a read transaction of its own that loads the grants and the
 *          place, then evaluates.
 *   intx   the same three steps inside a transaction already open: what a
 *          change pays for sv_access_require_tx() in its own transaction
 *          (the check proper, without a BEGIN and COMMIT of its own).
 *
 * Every answer is checked against the tree's own arithmetic (the leaf is
 * inside a held subtree or not), so a fast wrong answer cannot pass.
 * Prints one line
 *   PERMCOST depts=… checks=… eval_p50=… eval_p99=… place_p50=…
 *            place_p99=… full_p50=… full_p99=… intx_p50=… intx_p99=…
 *            allowed=…
 * (microseconds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "access/access.h"
#include "app.h"
#include "audit/audit.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/group.h"
#include "directory/tenant.h"
#include "identity/identity.h"

#define FAN 10
#define N2 (FAN * FAN)                /* second-level departments */
#define NLEAF (FAN * FAN * FAN * FAN) /* leaves */

static char l1[FAN][37], l2[N2][37], l3[N2 * FAN][37], leaf[NLEAF][37];
static const char ADMIN_ID[] = "01900000-0000-7000-8000-0000000b0001";
static char da_id[37]; /* the department admin's account */
/* The second-level subtrees the department admin holds (indexes into l2):
 * three by department_admin, one by a custom role. */
static const int HELD[4] = {7, 31, 58, 99};

static double
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[(size_t)(p * (double)(n - 1))];
}

static struct sv_app app;
static long checks = 100000;
static double *iv;
static struct sv_tenant tenant;

static enum sv_err
tenant_tx(struct sv_dbc *c, void *cls)
{
    (void)cls;
    enum sv_err rc = sv_tenant_create_tx(c, app.kr, &tenant, "bench");
    if (rc == SV_OK)
        rc = sv_db_scope_tenant(c, tenant.id);
    if (rc == SV_OK)
        rc = sv_access_give_builtin_tx(c, tenant.id, ADMIN_ID,
                                       SV_BUILTIN_TENANT_ADMIN);
    if (rc == SV_OK) {
        /* Never signs in: any hash will do. */
        struct sv_account a;
        rc = sv_account_create_tx(c, &tenant, "dana", SV_ROLE_MEMBER, NULL,
                                  "bench-no-login", NULL, &a);
        memcpy(da_id, a.id, sizeof da_id);
    }
    return rc;
}

static void
mkdept(const struct sv_actor *a, const char *name, const char *parent,
       char out[37])
{
    struct sv_department d;
    const char *field = NULL;
    enum sv_err rc = sv_department_create(app.db, tenant.id, name, parent, a,
                                          &d, NULL, &field);
    if (rc != SV_OK) {
        fprintf(stderr, "permcost: department %s: %s (%s)\n", name,
                sv_err_code(rc), field ? field : "-");
        exit(1);
    }
    memcpy(out, d.id, 37);
}

/* Whether leaf @p i is inside one of the held subtrees: leaf i sits under
 * second-level department i / 100. */
static bool
expected(int i)
{
    for (int k = 0; k < 4; k++)
        if (i / (FAN * FAN) == HELD[k])
            return true;
    return false;
}

struct place_ctx {
    const char *leaf_id;
    struct sv_department_place *out;
};

static enum sv_err
place_ro(struct sv_dbc *c, void *cls)
{
    struct place_ctx *x = cls;
    return sv_department_place_tx(c, tenant.id, x->leaf_id, x->out);
}

struct check_ctx {
    const char *leaf_id;
    struct sv_grants *g; /* full: loaded here */
    bool load;
    bool allowed;
};

static enum sv_err
check_ro(struct sv_dbc *c, void *cls)
{
    struct check_ctx *x = cls;
    struct sv_department_place pl;
    enum sv_err rc = SV_OK;

    if (x->load)
        rc = sv_access_load_tx(c, tenant.id, da_id, x->g);
    if (rc == SV_OK)
        rc = sv_department_place_tx(c, tenant.id, x->leaf_id, &pl);
    if (rc == SV_OK)
        x->allowed =
            sv_access_allows(x->g, SV_PERM_DIRECTORY_MANAGE, &pl.place);
    return rc;
}

static bool expected(int i);

/* intx: every check inside this one read transaction, each timed. */
static enum sv_err
intx_ro(struct sv_dbc *c, void *cls)
{
    struct sv_grants *g = cls;
    for (long n = 0; n < checks; n++) {
        int i = (int)randombytes_uniform(NLEAF);
        struct sv_department_place pl;
        double a0 = now_us();
        enum sv_err rc = sv_access_load_tx(c, tenant.id, da_id, g);
        if (rc == SV_OK)
            rc = sv_department_place_tx(c, tenant.id, leaf[i], &pl);
        bool ok = rc == SV_OK &&
                  sv_access_allows(g, SV_PERM_DIRECTORY_MANAGE, &pl.place);
        iv[n] = now_us() - a0;
        if (rc != SV_OK || ok != expected(i)) {
            fprintf(stderr, "permcost: intx: wrong answer for leaf %d\n", i);
            return SV_E_INTERNAL;
        }
    }
    return SV_OK;
}

int
main(int argc, char **argv)
{
    const struct sv_actor admin = {ADMIN_ID, "bench", "127.0.0.1", "permcost"};
    char err[256] = "";
    struct sv_grants g;
    struct sv_assignment asg;
    struct sv_custom_role role;
    const char *field = NULL;
    int allowed = 0;

    if (argc > 2)
        checks = atol(argv[2]);
    if (argc < 2 || checks < 100 || checks > 10000000) {
        fprintf(stderr, "usage: permcost DATA_DIR [CHECKS]\n");
        return 2;
    }
    if (sodium_init() < 0 ||
        sv_app_open(&app, argv[1], 2, err, sizeof err) != SV_OK) {
        fprintf(stderr, "permcost: open %s: %s\n", argv[1], err);
        return 1;
    }
    snprintf(tenant.slug, sizeof tenant.slug, "permbench");
    snprintf(tenant.name, sizeof tenant.name, "Permission bench");
    if (sv_db_run_tx(app.db, "bench_tenant", tenant_tx, NULL) != SV_OK) {
        fprintf(stderr, "permcost: cannot create the tenant\n");
        return 1;
    }
    double t0 = now_us();
    for (int a = 0; a < FAN; a++) {
        char name[32];
        snprintf(name, sizeof name, "Division %d", a);
        mkdept(&admin, name, NULL, l1[a]);
        for (int b = 0; b < FAN; b++) {
            int i2 = a * FAN + b;
            snprintf(name, sizeof name, "Region %d", i2);
            mkdept(&admin, name, l1[a], l2[i2]);
            for (int c = 0; c < FAN; c++) {
                int i3 = i2 * FAN + c;
                snprintf(name, sizeof name, "Area %d", i3);
                mkdept(&admin, name, l2[i2], l3[i3]);
                for (int d = 0; d < FAN; d++) {
                    int i4 = i3 * FAN + d;
                    snprintf(name, sizeof name, "Team %d", i4);
                    mkdept(&admin, name, l3[i3], leaf[i4]);
                }
            }
        }
    }
    fprintf(stderr, "permcost: %d departments in %.1f s\n",
            FAN + N2 + N2 * FAN + NLEAF, (now_us() - t0) / 1e6);
    /* The department admin: three subtrees by the built-in role, one by a
     * custom role (grants of both kinds in the set). */
    struct sv_role_input rin = {"Tree keepers", "", true,
                                SV_PERM_BIT(SV_PERM_DIRECTORY_MANAGE)};
    if (sv_access_role_create(app.db, tenant.id, &rin, &admin, &role, &field) !=
        SV_OK) {
        fprintf(stderr, "permcost: custom role\n");
        return 1;
    }
    for (int k = 0; k < 4; k++) {
        struct sv_assignment_input in = {k < 3 ? "department_admin" : role.id,
                                         da_id, SV_SCOPE_DEPARTMENT,
                                         l2[HELD[k]]};
        if (sv_access_grant(app.db, tenant.id, &in, &admin, &asg, &field) !=
            SV_OK) {
            fprintf(stderr, "permcost: grant %d (%s)\n", k,
                    field ? field : "-");
            return 1;
        }
    }
    /* A group with a role, its members every department under the first
     * root: the tenant then has group assignments, so every load asks
     * whether the account is in a group (the way a tenant that uses groups
     * pays), not the shortcut for a tenant without. */
    struct sv_group_input gin = {"Regional leads", NULL, false, NULL};
    struct sv_group_view gv;
    struct sv_assignment_input gin2 = {"auditor", NULL, SV_SCOPE_TENANT,
                                       NULL,      NULL, NULL};
    if (sv_group_create(app.db, tenant.id, &gin, &admin, &gv, &field) !=
            SV_OK ||
        sv_group_member_add(app.db, tenant.id, gv.g.id, SV_MEMBER_DEPARTMENT,
                            l1[0], true, &admin, &field) != SV_OK ||
        (gin2.group_id = gv.g.id,
         sv_access_grant(app.db, tenant.id, &gin2, &admin, &asg, &field)) !=
            SV_OK) {
        fprintf(stderr, "permcost: group (%s)\n", field ? field : "-");
        return 1;
    }
    if (sv_access_load(app.db, tenant.id, da_id, &g) != SV_OK || g.n != 5) {
        fprintf(stderr, "permcost: grants\n");
        return 1;
    }

    double *ev = calloc((size_t)checks, sizeof *ev);
    double *pv = calloc((size_t)checks, sizeof *pv);
    double *fv = calloc((size_t)checks, sizeof *fv);
    struct sv_grants *fresh = malloc(sizeof *fresh);
    iv = calloc((size_t)checks, sizeof *iv);
    if (!ev || !pv || !fv || !fresh || !iv)
        return 1;
    /* eval: places read beforehand (a small rotating set), then timed. */
    enum { PRE = 1024 };
    static struct sv_department_place pre[PRE];
    static int pre_i[PRE];
    for (int k = 0; k < PRE; k++) {
        pre_i[k] = (int)randombytes_uniform(NLEAF);
        struct place_ctx pc = {leaf[pre_i[k]], &pre[k]};
        if (sv_db_run_tenant_ro(app.db, tenant.id, place_ro, &pc) != SV_OK)
            return 1;
    }
    for (long n = 0; n < checks; n++) {
        int k = (int)(n % PRE);
        double a0 = now_us();
        bool ok = sv_access_allows(&g, SV_PERM_DIRECTORY_MANAGE, &pre[k].place);
        ev[n] = now_us() - a0;
        if (ok != expected(pre_i[k])) {
            fprintf(stderr, "permcost: eval: wrong answer for leaf %d\n",
                    pre_i[k]);
            return 1;
        }
    }
    for (long n = 0; n < checks; n++) {
        int i = (int)randombytes_uniform(NLEAF);
        struct check_ctx x = {leaf[i], &g, false, false};
        double a0 = now_us();
        if (sv_db_run_tenant_ro(app.db, tenant.id, check_ro, &x) != SV_OK)
            return 1;
        pv[n] = now_us() - a0;
        if (x.allowed != expected(i)) {
            fprintf(stderr, "permcost: place: wrong answer for leaf %d\n", i);
            return 1;
        }
    }
    for (long n = 0; n < checks; n++) {
        int i = (int)randombytes_uniform(NLEAF);
        struct check_ctx x = {leaf[i], fresh, true, false};
        double a0 = now_us();
        if (sv_db_run_tenant_ro(app.db, tenant.id, check_ro, &x) != SV_OK)
            return 1;
        fv[n] = now_us() - a0;
        if (x.allowed != expected(i)) {
            fprintf(stderr, "permcost: full: wrong answer for leaf %d\n", i);
            return 1;
        }
        allowed += x.allowed;
    }
    if (sv_db_run_tenant_ro(app.db, tenant.id, intx_ro, fresh) != SV_OK)
        return 1;
    printf("PERMCOST depts=%d checks=%ld eval_p50=%.2f eval_p99=%.2f "
           "place_p50=%.1f place_p99=%.1f full_p50=%.1f full_p99=%.1f "
           "intx_p50=%.1f intx_p99=%.1f allowed=%d\n",
           FAN + N2 + N2 * FAN + NLEAF, checks, pct(ev, (size_t)checks, 0.5),
           pct(ev, (size_t)checks, 0.99), pct(pv, (size_t)checks, 0.5),
           pct(pv, (size_t)checks, 0.99), pct(fv, (size_t)checks, 0.5),
           pct(fv, (size_t)checks, 0.99), pct(iv, (size_t)checks, 0.5),
           pct(iv, (size_t)checks, 0.99), allowed);
    free(ev);
    free(pv);
    free(fv);
    free(fresh);
    free(iv);
    sv_app_close(&app);
    return 0;
}
