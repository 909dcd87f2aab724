/*
 * Departments as a tree (DIR-2, issue 11 part 1) against a real SQLite
 * database: after every create, move and delete the closure answers
 * sv_department_within_tx() for every pair exactly as the parent links
 * say, and each department's path is its chain of parents; a move into
 * the department itself or its subtree is refused (409, parent_id);
 * sibling names are unique case-insensitively (create, rename, move);
 * delete refuses a department with children; another tenant's ids are
 * not found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "core/json.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/tenant.h"
#include "testdb.h"

static struct sv_app app;
static char dir[64];
static struct sv_tenant t1, t2;
#define ADMIN_ID "01900000-0000-7000-8000-00000000ad01"
static const struct sv_actor actor = {ADMIN_ID, "test", "127.0.0.1", "unit"};

static enum sv_err
tenant_tx(struct sv_dbc *c, void *cls)
{
    return sv_tenant_create_tx(c, app.kr, cls, "test");
}

static int
setup(void **state)
{
    (void)state;
    if (sv_testapp_open(&app, dir, "dept", NULL) != 0)
        return -1;
    snprintf(t1.slug, sizeof t1.slug, "acme");
    snprintf(t1.name, sizeof t1.name, "Acme");
    snprintf(t2.slug, sizeof t2.slug, "beta");
    snprintf(t2.name, sizeof t2.name, "Beta");
    if (sv_db_run_tx(app.db, "t", tenant_tx, &t1) != SV_OK ||
        sv_db_run_tx(app.db, "t", tenant_tx, &t2) != SV_OK)
        return -1;
    sv_testapp_admin(&app, t1.id, ADMIN_ID);
    sv_testapp_admin(&app, t2.id, ADMIN_ID);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    return sv_testapp_close(&app, dir);
}

/* ---- a small tree and its model: parent links by index ---- */

#define N_MAX 16
struct tree {
    const char *tenant_id;
    int n;
    char id[N_MAX][37];
    int parent[N_MAX]; /* -1: a root; -2: deleted */
};

static int
add(struct tree *t, const char *name, int parent)
{
    struct sv_department d;
    const char *field = "x";
    enum sv_err rc = sv_department_create(app.db, t->tenant_id, name,
                                          parent >= 0 ? t->id[parent] : NULL,
                                          &actor, &d, NULL, &field);
    assert_int_equal(rc, SV_OK);
    assert_null(field);
    assert_string_equal(d.parent_id, parent >= 0 ? t->id[parent] : "");
    memcpy(t->id[t->n], d.id, sizeof d.id);
    t->parent[t->n] = parent;
    return t->n++;
}

struct within_ctx {
    const char *tenant_id, *id, *ancestor;
    bool out;
};

static enum sv_err
within_tx(struct sv_dbc *c, void *cls)
{
    struct within_ctx *w = cls;
    return sv_department_within_tx(c, w->tenant_id, w->id, w->ancestor,
                                   &w->out);
}

static bool
within(const char *tenant_id, const char *id, const char *ancestor)
{
    struct within_ctx w = {tenant_id, id, ancestor, false};
    assert_int_equal(sv_db_run_tenant_ro(app.db, tenant_id, within_tx, &w),
                     SV_OK);
    return w.out;
}

/* Is @p a an ancestor of @p x (or @p x itself) by the model? */
static bool
model_within(const struct tree *t, int x, int a)
{
    for (int i = x; i >= 0; i = t->parent[i])
        if (i == a)
            return true;
    return false;
}

/* The closure agrees with the model on every pair; paths are the chains. */
static void
check_tree(const struct tree *t)
{
    for (int x = 0; x < t->n; x++) {
        struct sv_department d;
        struct sv_department_path p;
        int chain[N_MAX], n = 0;

        if (t->parent[x] == -2) {
            assert_int_equal(
                sv_department_get(app.db, t->tenant_id, t->id[x], NULL, &d, &p),
                SV_E_NOT_FOUND);
            continue;
        }
        for (int a = 0; a < t->n; a++) {
            if (t->parent[a] == -2)
                continue;
            if (within(t->tenant_id, t->id[x], t->id[a]) !=
                model_within(t, x, a))
                fail_msg("within(%d, %d) differs from the tree", x, a);
        }
        assert_int_equal(
            sv_department_get(app.db, t->tenant_id, t->id[x], NULL, &d, &p),
            SV_OK);
        for (int i = t->parent[x]; i >= 0; i = t->parent[i])
            chain[n++] = i;
        assert_int_equal(p.n, n);
        for (int i = 0; i < n; i++) /* root first */
            assert_string_equal(p.at[i].id, t->id[chain[n - 1 - i]]);
        assert_string_equal(d.parent_id,
                            t->parent[x] >= 0 ? t->id[t->parent[x]] : "");
    }
}

static enum sv_err
move(struct tree *t, int x, int to, const char **field)
{
    struct sv_department_change chg = {NULL, true, to >= 0 ? t->id[to] : NULL};
    struct sv_department d;
    enum sv_err rc = sv_department_update(app.db, t->tenant_id, t->id[x], &chg,
                                          &actor, &d, NULL, field);
    if (rc == SV_OK)
        t->parent[x] = to;
    return rc;
}

/*
 *   0 Head office N        5 Plant N
 *   ├─ 1 Sales             └─ 6 Line 1
 *   │  ├─ 2 North
 *   │  └─ 3 South
 *   └─ 4 Finance
 */
static void
build(struct tree *t, const char *tenant_id)
{
    static int round; /* the roots of each test's tree differ by name */
    char head[32], plant[32];

    round++;
    snprintf(head, sizeof head, "Head office %d", round);
    snprintf(plant, sizeof plant, "Plant %d", round);
    memset(t, 0, sizeof *t);
    t->tenant_id = tenant_id;
    add(t, head, -1);
    add(t, "Sales", 0);
    add(t, "North", 1);
    add(t, "South", 1);
    add(t, "Finance", 0);
    add(t, plant, -1);
    add(t, "Line 1", 5);
}

static void
test_department_closure_create_move_delete(void **state)
{
    struct tree t;
    const char *field = NULL;
    (void)state;

    build(&t, t1.id);
    check_tree(&t);
    /* A subtree (Sales: 3 departments) under another root's child. */
    assert_int_equal(move(&t, 1, 6, &field), SV_OK);
    check_tree(&t);
    /* To the roots, and back under its old parent. */
    assert_int_equal(move(&t, 1, -1, &field), SV_OK);
    check_tree(&t);
    assert_int_equal(move(&t, 1, 0, &field), SV_OK);
    check_tree(&t);
    /* A leaf from one parent to a sibling's child. */
    assert_int_equal(move(&t, 4, 2, &field), SV_OK);
    check_tree(&t);
    /* Delete: a leaf goes; a department with children stays. */
    assert_int_equal(sv_department_delete(app.db, t.tenant_id, t.id[1], &actor),
                     SV_E_CONFLICT);
    assert_int_equal(sv_department_delete(app.db, t.tenant_id, t.id[4], &actor),
                     SV_OK);
    t.parent[4] = -2;
    check_tree(&t);
    assert_int_equal(sv_department_delete(app.db, t.tenant_id, t.id[4], &actor),
                     SV_E_NOT_FOUND);
}

static void
test_department_move_into_own_subtree_refused(void **state)
{
    struct tree t;
    const char *field = NULL;
    (void)state;

    build(&t, t1.id);
    /* Itself, a child, a grandchild: 409 naming parent_id. */
    assert_int_equal(move(&t, 0, 0, &field), SV_E_CONFLICT);
    assert_string_equal(field, "parent_id");
    field = NULL;
    assert_int_equal(move(&t, 0, 1, &field), SV_E_CONFLICT);
    assert_string_equal(field, "parent_id");
    field = NULL;
    assert_int_equal(move(&t, 0, 3, &field), SV_E_CONFLICT);
    assert_string_equal(field, "parent_id");
    /* After Sales moved under Plant's Line 1, Plant cannot go under North. */
    assert_int_equal(move(&t, 1, 6, &field), SV_OK);
    assert_int_equal(move(&t, 5, 2, &field), SV_E_CONFLICT);
    assert_string_equal(field, "parent_id");
    check_tree(&t); /* nothing of the refused moves stayed */
    /* An unknown parent: not found, naming parent_id. */
    {
        struct sv_department_change chg = {
            NULL, true, "01900000-0000-7000-8000-000000000000"};
        struct sv_department d;
        assert_int_equal(sv_department_update(app.db, t.tenant_id, t.id[2],
                                              &chg, &actor, &d, NULL, &field),
                         SV_E_NOT_FOUND);
        assert_string_equal(field, "parent_id");
    }
}

static void
test_department_within_answers(void **state)
{
    struct tree t;
    const char *unknown = "01900000-0000-7000-8000-000000000001";
    (void)state;

    build(&t, t1.id);
    assert_true(within(t.tenant_id, t.id[3], t.id[0]));  /* grandchild */
    assert_true(within(t.tenant_id, t.id[3], t.id[1]));  /* child */
    assert_true(within(t.tenant_id, t.id[3], t.id[3]));  /* itself */
    assert_false(within(t.tenant_id, t.id[0], t.id[3])); /* upwards */
    assert_false(within(t.tenant_id, t.id[3], t.id[2])); /* a sibling */
    assert_false(within(t.tenant_id, t.id[6], t.id[0])); /* another root */
    assert_false(within(t.tenant_id, unknown, t.id[0]));
    assert_false(within(t.tenant_id, t.id[0], unknown));
    /* Another tenant's view of the same ids: nothing (DIR-1). */
    assert_false(within(t2.id, t.id[3], t.id[0]));
    assert_false(within(t2.id, t.id[3], t.id[3]));
}

static void
test_department_sibling_names_unique(void **state)
{
    struct sv_department d, r;
    struct tree t;
    const char *field = NULL;
    (void)state;

    build(&t, t1.id);
    /* Under one parent, case-insensitively (ASCII). */
    assert_int_equal(sv_department_create(app.db, t1.id, "SALES", t.id[0],
                                          &actor, &d, NULL, &field),
                     SV_E_EXISTS);
    assert_string_equal(field, "name");
    /* Roots among themselves: "Plant N" is taken by this test's tree. */
    {
        struct sv_department_path p;
        char name[32];
        assert_int_equal(
            sv_department_get(app.db, t1.id, t.id[5], NULL, &d, &p), SV_OK);
        sv_department_name_key(d.name, name);
        assert_int_equal(sv_department_create(app.db, t1.id, name, NULL, &actor,
                                              &d, NULL, &field),
                         SV_E_EXISTS);
        assert_string_equal(field, "name");
    }
    /* The same name under another parent, or in another tenant: fine. */
    assert_int_equal(sv_department_create(app.db, t1.id, "Sales", t.id[5],
                                          &actor, &d, NULL, &field),
                     SV_OK);
    assert_int_equal(sv_department_create(app.db, t2.id, "Sales", NULL, &actor,
                                          &r, NULL, &field),
                     SV_OK);
    /* Rename onto a sibling's name: refused; a change of case: fine. */
    {
        struct sv_department_change chg = {"north", false, NULL};
        assert_int_equal(sv_department_update(app.db, t1.id, t.id[3], &chg,
                                              &actor, &r, NULL, &field),
                         SV_E_EXISTS);
        assert_string_equal(field, "name");
        chg.name = "NORTH";
        assert_int_equal(sv_department_update(app.db, t1.id, t.id[2], &chg,
                                              &actor, &r, NULL, &field),
                         SV_OK);
        assert_string_equal(r.name, "NORTH");
    }
    /* A move under a parent that has a child of the same name: refused. */
    assert_int_equal(move(&t, 1, 5, &field), SV_E_EXISTS);
    assert_string_equal(field, "name");
    /* The name rule: empty, too long, control characters. */
    assert_false(sv_check_department_name("", 0));
    assert_false(sv_check_department_name("a\tb", 3));
    assert_false(sv_check_department_name("a\xc2\x85"
                                          "b",
                                          4));
    assert_true(sv_check_department_name("销售部", strlen("销售部")));
    {
        char long_name[SV_DEPARTMENT_NAME_MAX + 2];
        memset(long_name, 'x', sizeof long_name - 1);
        long_name[sizeof long_name - 1] = '\0';
        assert_false(sv_check_department_name(long_name, strlen(long_name)));
        assert_true(sv_check_department_name(long_name, strlen(long_name) - 1));
    }
}

static void
test_department_other_tenant_not_found(void **state)
{
    struct tree t;
    struct sv_department d;
    struct sv_department_path p;
    struct sv_department_change chg = {"Renamed", false, NULL};
    const char *field = NULL;
    (void)state;

    build(&t, t2.id);
    assert_int_equal(sv_department_get(app.db, t1.id, t.id[0], NULL, &d, &p),
                     SV_E_NOT_FOUND);
    assert_int_equal(sv_department_update(app.db, t1.id, t.id[0], &chg, &actor,
                                          &d, NULL, &field),
                     SV_E_NOT_FOUND);
    assert_int_equal(sv_department_delete(app.db, t1.id, t.id[6], &actor),
                     SV_E_NOT_FOUND);
    /* Nor as a parent. */
    assert_int_equal(sv_department_create(app.db, t1.id, "Mine", t.id[0],
                                          &actor, &d, NULL, &field),
                     SV_E_NOT_FOUND);
    assert_string_equal(field, "parent_id");
    check_tree(&t); /* untouched */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_department_closure_create_move_delete),
        cmocka_unit_test(test_department_move_into_own_subtree_refused),
        cmocka_unit_test(test_department_within_answers),
        cmocka_unit_test(test_department_sibling_names_unique),
        cmocka_unit_test(test_department_other_tenant_not_found),
    };
    if (sodium_init() < 0)
        return 1;
    sv_json_init();
    return cmocka_run_group_tests(tests, setup, teardown);
}
