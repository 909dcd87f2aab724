/*
 * The permission model (access/access.h): the evaluator alone (scopes,
 * subtrees, deny by default, custom sets, the catalogue's rules), then
 * against a database: grants loaded from assignments, custom roles,
 * department scope through the closure, the last tenant admin (enabled
 * accounts only: DIR-6), removing every role of a leaving account, the
 * denial log's flood limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "access/access.h"
#include "app.h"
#include "audit/audit.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "testdb.h"

/* ---- the evaluator alone ---- */

static const struct sv_access_place *
place_of(struct sv_access_place *p, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    p->n = n;
    p->ng = 0;
    for (size_t i = 0; i < n; i++)
        p->dept[i] = va_arg(ap, const char *);
    va_end(ap);
    return p;
}

static void
test_member_only_reads(void **state)
{
    struct sv_grants g;
    struct sv_access_place p;
    (void)state;

    sv_grants_init(&g);
    /* Every account reads the directory and keeps the CRM records it owns
     * (records.<type>.own, of tenant kind); nothing else, anywhere. */
    assert_true(sv_access_allows(&g, SV_PERM_DIRECTORY_READ, NULL));
    for (int i = 0; i < SV_PERM__COUNT; i++) {
        if (i == SV_PERM_DIRECTORY_READ || i == SV_PERM_RECORDS_CUSTOMER_OWN ||
            i == SV_PERM_RECORDS_CONTACT_OWN ||
            i == SV_PERM_RECORDS_OPPORTUNITY_OWN ||
            i == SV_PERM_RECORDS_ACTIVITY_OWN) {
            assert_true(sv_access_allows(&g, (enum sv_perm)i, NULL));
            assert_int_equal(sv_perm_kind((enum sv_perm)i), SV_OBJECT_TENANT);
            continue;
        }
        assert_false(sv_access_allows(&g, (enum sv_perm)i, NULL));
        assert_false(sv_access_allows(&g, (enum sv_perm)i,
                                      place_of(&p, 2, "d-leaf", "d-root")));
        assert_false(sv_access_holds(&g, (enum sv_perm)i));
    }
    /* Out of range: denied, never a crash. */
    assert_false(sv_access_allows(&g, SV_PERM__COUNT, NULL));
    assert_false(sv_access_allows(&g, (enum sv_perm) - 1, NULL));
    assert_false(sv_access_allows(NULL, SV_PERM_DIRECTORY_READ, NULL));
}

static void
test_department_scope_covers_its_subtree_only(void **state)
{
    struct sv_grants g;
    struct sv_access_place p;
    (void)state;

    sv_grants_init(&g);
    assert_true(
        sv_grants_add(&g, sv_builtin_role_perms(SV_BUILTIN_DEPARTMENT_ADMIN),
                      SV_SCOPE_DEPARTMENT, "sales"));
    /* The department itself and anything below it... */
    assert_true(sv_access_allows(&g, SV_PERM_DIRECTORY_MANAGE,
                                 place_of(&p, 2, "sales", "root")));
    assert_true(sv_access_allows(&g, SV_PERM_DIRECTORY_MANAGE,
                                 place_of(&p, 3, "east", "sales", "root")));
    /* ...never a sibling, the parent or the tenant as a whole. */
    assert_false(sv_access_allows(&g, SV_PERM_DIRECTORY_MANAGE,
                                  place_of(&p, 2, "finance", "root")));
    assert_false(sv_access_allows(&g, SV_PERM_DIRECTORY_MANAGE,
                                  place_of(&p, 1, "root")));
    assert_false(sv_access_allows(&g, SV_PERM_DIRECTORY_MANAGE, NULL));
    /* A prefix of an id is not the id. */
    assert_false(sv_access_allows(&g, SV_PERM_DIRECTORY_MANAGE,
                                  place_of(&p, 1, "sale")));
    /* Held somewhere: the router lets the handler ask about the object. */
    assert_true(sv_access_holds(&g, SV_PERM_DIRECTORY_MANAGE));
    assert_false(sv_access_holds(&g, SV_PERM_USERS_MANAGE));
}

static void
test_tenant_kind_never_from_a_department(void **state)
{
    struct sv_grants g;
    struct sv_access_place p;
    (void)state;

    /* A custom set with a tenant-wide permission, given over a
     * department: the tenant-wide one does not apply there. */
    sv_grants_init(&g);
    assert_true(sv_grants_add(&g,
                              SV_PERM_BIT(SV_PERM_DIRECTORY_MANAGE) |
                                  SV_PERM_BIT(SV_PERM_AUDIT_READ),
                              SV_SCOPE_DEPARTMENT, "sales"));
    assert_false(sv_access_allows(&g, SV_PERM_AUDIT_READ, NULL));
    assert_false(
        sv_access_allows(&g, SV_PERM_AUDIT_READ, place_of(&p, 1, "sales")));
    assert_false(sv_access_holds(&g, SV_PERM_AUDIT_READ));
    assert_int_equal(sv_access_tenant_perms(&g),
                     sv_builtin_role_perms(SV_BUILTIN_MEMBER));
    assert_true(sv_access_any_perms(&g) &
                SV_PERM_BIT(SV_PERM_DIRECTORY_MANAGE));
}

static void
test_builtin_roles(void **state)
{
    sv_perm_set ta = sv_builtin_role_perms(SV_BUILTIN_TENANT_ADMIN);
    sv_perm_set au = sv_builtin_role_perms(SV_BUILTIN_AUDITOR);
    enum sv_builtin_role r;
    enum sv_perm p;
    (void)state;

    /* The tenant admin holds every permission of the catalogue. */
    for (int i = 0; i < SV_PERM__COUNT; i++)
        assert_true(ta & SV_PERM_BIT(i));
    /* The auditor reads and changes nothing: no "manage" permission. */
    for (int i = 0; i < SV_PERM__COUNT; i++) {
        const char *name = sv_perm_name((enum sv_perm)i);
        if (au & SV_PERM_BIT(i))
            assert_non_null(strstr(name, ".read"));
    }
    assert_true(au & SV_PERM_BIT(SV_PERM_AUDIT_READ));
    assert_true(au & SV_PERM_BIT(SV_PERM_SECURITY_READ));
    /* The department admin's set can be given over a department; the
     * auditor's cannot (it has nothing that applies there but reads). */
    assert_true(sv_perm_set_departmental(
        sv_builtin_role_perms(SV_BUILTIN_DEPARTMENT_ADMIN)));
    assert_false(sv_perm_set_departmental(au));
    /* Names both ways. */
    assert_true(sv_builtin_role_parse("department_admin", &r));
    assert_int_equal(r, SV_BUILTIN_DEPARTMENT_ADMIN);
    assert_false(sv_builtin_role_parse("root", &r));
    assert_true(sv_perm_parse("directory.manage", &p));
    assert_int_equal(p, SV_PERM_DIRECTORY_MANAGE);
    assert_false(sv_perm_parse("directory.manage ", &p));
    assert_false(sv_perm_parse("", &p));
}

static void
test_grants_cap(void **state)
{
    struct sv_grants g;
    char id[40];
    size_t i;
    (void)state;

    sv_grants_init(&g);
    /* Grants over the same scope merge: one entry however many. */
    for (i = 0; i < 3 * SV_ACCESS_GRANTS_MAX; i++)
        assert_true(sv_grants_add(&g, SV_PERM_BIT(i % SV_PERM__COUNT),
                                  SV_SCOPE_TENANT, NULL));
    assert_int_equal(g.n, 1);
    /* Distinct scopes fill it up, then it refuses. */
    for (i = 0; i < 2 * SV_ACCESS_GRANTS_MAX; i++) {
        snprintf(id, sizeof id, "d-%zu", i);
        assert_true(sv_grants_add(&g, 0, SV_SCOPE_DEPARTMENT, id));
    }
    assert_false(sv_grants_add(&g, 0, SV_SCOPE_DEPARTMENT, "one-more"));
    assert_true(sv_grants_add(&g, 0, SV_SCOPE_DEPARTMENT, "d-0"));
    assert_false(g.group_scoped);
}

/* A grant over a group covers an object whose place lists the group, and
 * nothing placed only in departments. */
static void
test_group_scope(void **state)
{
    struct sv_grants g;
    struct sv_access_place p;
    struct sv_group_set gs = {2, {"grp-x", "grp-outer"}};
    (void)state;

    sv_grants_init(&g);
    assert_true(sv_grants_add(&g,
                              SV_PERM_BIT(SV_PERM_DIRECTORY_VIEW_PHONE) |
                                  SV_PERM_BIT(SV_PERM_AUDIT_READ),
                              SV_SCOPE_GROUP, "grp-x"));
    assert_true(g.group_scoped);
    place_of(&p, 2, "sales", "company");
    assert_false(sv_access_allows(&g, SV_PERM_DIRECTORY_VIEW_PHONE, &p));
    sv_access_place_add_groups(&p, &gs);
    assert_true(sv_access_allows(&g, SV_PERM_DIRECTORY_VIEW_PHONE, &p));
    /* A tenant-kind permission is held only over the tenant. */
    assert_false(sv_access_allows(&g, SV_PERM_AUDIT_READ, &p));
    assert_false(sv_access_allows(&g, SV_PERM_AUDIT_READ, NULL));
    /* Another group, or a department with the group's id: no. */
    struct sv_group_set other = {1, {"grp-y"}};
    place_of(&p, 1, "grp-x");
    assert_false(sv_access_allows(&g, SV_PERM_DIRECTORY_VIEW_PHONE, &p));
    sv_access_place_add_groups(&p, &other);
    assert_false(sv_access_allows(&g, SV_PERM_DIRECTORY_VIEW_PHONE, &p));
    /* The holder holds it "somewhere": the router lets it through. */
    assert_true(sv_access_holds(&g, SV_PERM_DIRECTORY_VIEW_PHONE));
    assert_false(sv_access_holds(&g, SV_PERM_AUDIT_READ));
}

/* DIR-3: a veil hides a place that lists one of its departments. */
static void
test_veil_hides(void **state)
{
    struct sv_veil v = {0};
    struct sv_access_place p;
    (void)state;

    place_of(&p, 3, "audit", "board", "company");
    assert_false(sv_veil_hides(&v, &p));
    assert_null(sv_veil_param(&v));
    v.n = 1;
    snprintf(v.ids[0], sizeof v.ids[0], "board");
    snprintf(v.list, sizeof v.list, ",board,");
    assert_true(sv_veil_hides(&v, &p));
    place_of(&p, 2, "sales", "company");
    assert_false(sv_veil_hides(&v, &p));
    assert_string_equal(sv_veil_param(&v), ",board,");
}

/* ---- against a database ---- */

static struct sv_app app;
static char dir[64];
static struct sv_tenant t1, t2;
#define ADMIN_ID "01900000-0000-7000-8000-0000000000a1"
static const struct sv_actor admin = {ADMIN_ID, "boss", "127.0.0.1", "unit"};

static enum sv_err
tenant_tx(struct sv_dbc *c, void *cls)
{
    return sv_tenant_create_tx(c, app.kr, cls, "test");
}

/* An account of t1 with username @p name: its id into @p id. */
SV_SQL(Q_TEST_ACCOUNT, "test_account",
       "INSERT INTO accounts (tenant_id, id, username, password_hash, "
       "created_at) VALUES ($1, $2, $3, 'x', 0)",
       0);
static enum sv_err
account_tx(struct sv_dbc *c, void *cls)
{
    char **args = cls;
    return sv_db_exec_ttt(c, &Q_TEST_ACCOUNT, t1.id, args[0], args[1]) ==
                   SV_QS_ONE
               ? SV_OK
               : SV_E_INTERNAL;
}

static int
setup(void **state)
{
    (void)state;
    if (sv_testapp_open(&app, dir, "access", NULL) != 0)
        return -1;
    snprintf(t1.slug, sizeof t1.slug, "acme");
    snprintf(t1.name, sizeof t1.name, "Acme");
    snprintf(t2.slug, sizeof t2.slug, "beta");
    snprintf(t2.name, sizeof t2.name, "Beta");
    if (sv_db_run_tx(app.db, "t", tenant_tx, &t1) != SV_OK ||
        sv_db_run_tx(app.db, "t", tenant_tx, &t2) != SV_OK)
        return -1;
    sv_testapp_admin(&app, t1.id, ADMIN_ID);
    /* An account of its own: "the last tenant admin" counts enabled
     * accounts (DIR-6). */
    {
        char *args[2] = {(char *)ADMIN_ID, "boss"};
        if (sv_db_run_tenant_tx(app.db, "t", t1.id, account_tx, args) != SV_OK)
            return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    return sv_testapp_close(&app, dir);
}

static void
make_account(const char *name, char id[37])
{
    char *args[2] = {id, (char *)name};
    sv_uuid7(id);
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, account_tx, args),
                     SV_OK);
}

static struct sv_department
dept(const char *name, const char *parent)
{
    struct sv_department d;
    const char *field = NULL;
    assert_int_equal(sv_department_create(app.db, t1.id, name, parent, &admin,
                                          &d, NULL, &field),
                     SV_OK);
    return d;
}

static void
test_department_admin_in_the_database(void **state)
{
    struct sv_department root = dept("Company", NULL);
    struct sv_department sales = dept("Sales", root.id);
    struct sv_department east = dept("East", sales.id);
    struct sv_department fin = dept("Finance", root.id);
    struct sv_department d;
    struct sv_assignment a;
    struct sv_grants g;
    char dana[37];
    const char *field = NULL;
    (void)state;

    make_account("dana", dana);
    struct sv_actor as_dana = {dana, "dana", "127.0.0.1", "unit"};
    struct sv_assignment_input in = {"department_admin", dana,
                                     SV_SCOPE_DEPARTMENT, sales.id};
    assert_int_equal(sv_access_grant(app.db, t1.id, &in, &admin, &a, &field),
                     SV_OK);
    /* The same assignment twice: refused. */
    assert_int_equal(sv_access_grant(app.db, t1.id, &in, &admin, &a, &field),
                     SV_E_EXISTS);
    assert_int_equal(sv_access_load(app.db, t1.id, dana, &g), SV_OK);
    assert_int_equal(g.n, 2); /* member + the assignment */

    /* Inside the subtree: create, rename. */
    assert_int_equal(sv_department_create(app.db, t1.id, "West", sales.id,
                                          &as_dana, &d, NULL, &field),
                     SV_OK);
    struct sv_department_change rename = {"East Coast", false, NULL};
    assert_int_equal(sv_department_update(app.db, t1.id, east.id, &rename,
                                          &as_dana, &d, NULL, &field),
                     SV_OK);
    /* Outside: a sibling, a root, a move out of the subtree. */
    assert_int_equal(sv_department_create(app.db, t1.id, "Audit", fin.id,
                                          &as_dana, &d, NULL, &field),
                     SV_E_FORBIDDEN);
    assert_int_equal(sv_department_create(app.db, t1.id, "Rogue", NULL,
                                          &as_dana, &d, NULL, &field),
                     SV_E_FORBIDDEN);
    struct sv_department_change out = {NULL, true, fin.id};
    assert_int_equal(sv_department_update(app.db, t1.id, east.id, &out,
                                          &as_dana, &d, NULL, &field),
                     SV_E_FORBIDDEN);
    assert_int_equal(sv_department_delete(app.db, t1.id, fin.id, &as_dana),
                     SV_E_FORBIDDEN);
    /* A department with a role over it cannot go. */
    assert_int_equal(sv_department_delete(app.db, t1.id, sales.id, &admin),
                     SV_E_CONFLICT);
    /* Another tenant's department as a scope: not found. */
    in.department_id = "01900000-0000-7000-8000-000000000bad";
    assert_int_equal(sv_access_grant(app.db, t1.id, &in, &admin, &a, &field),
                     SV_E_NOT_FOUND);
    assert_string_equal(field, "department_id");
    /* The auditor over a department: nothing it holds applies there. */
    struct sv_assignment_input aud = {"auditor", dana, SV_SCOPE_DEPARTMENT,
                                      sales.id};
    assert_int_equal(sv_access_grant(app.db, t1.id, &aud, &admin, &a, &field),
                     SV_E_FIELD_INVALID);
    assert_string_equal(field, "scope");
    /* Member is never assigned. */
    struct sv_assignment_input mem = {"member", dana, SV_SCOPE_TENANT, NULL};
    assert_int_equal(sv_access_grant(app.db, t1.id, &mem, &admin, &a, &field),
                     SV_E_FIELD_INVALID);
    /* Tenant 2 knows nothing of dana. */
    struct sv_assignment_input other = {"auditor", dana, SV_SCOPE_TENANT, NULL};
    assert_int_equal(sv_access_grant(app.db, t2.id, &other, &admin, &a, &field),
                     SV_E_NOT_FOUND);
    assert_string_equal(field, "account_id");
}

static char first_id[37];

static void
first_row(void *cls, const struct sv_assignment *a, const char *username,
          const char *role_name, const char *department_name)
{
    (void)cls;
    (void)username;
    (void)role_name;
    (void)department_name;
    if (first_id[0] == '\0' && strcmp(a->role, "tenant_admin") == 0)
        snprintf(first_id, sizeof first_id, "%s", a->id);
}

static void
test_custom_role_and_last_admin(void **state)
{
    struct sv_custom_role r;
    struct sv_assignment a, admin_a;
    struct sv_grants g;
    char carl[37];
    const char *field = NULL;
    (void)state;

    make_account("carl", carl);
    struct sv_role_input in = {"Auditor lite", "reads the log", true,
                               SV_PERM_BIT(SV_PERM_AUDIT_READ)};
    assert_int_equal(
        sv_access_role_create(app.db, t1.id, &in, &admin, &r, &field), SV_OK);
    /* A built-in's key, case folded, and a taken name: refused. */
    struct sv_role_input bad = {"Tenant_Admin", NULL, true, 1};
    assert_int_equal(
        sv_access_role_create(app.db, t1.id, &bad, &admin, &r, &field),
        SV_E_FIELD_INVALID);
    struct sv_role_input dup = {"AUDITOR LITE", NULL, true, 1};
    struct sv_custom_role r2;
    assert_int_equal(
        sv_access_role_create(app.db, t1.id, &dup, &admin, &r2, &field),
        SV_E_EXISTS);

    struct sv_assignment_input give = {r.id, carl, SV_SCOPE_TENANT, NULL};
    assert_int_equal(sv_access_grant(app.db, t1.id, &give, &admin, &a, &field),
                     SV_OK);
    assert_int_equal(sv_access_load(app.db, t1.id, carl, &g), SV_OK);
    assert_true(sv_access_allows(&g, SV_PERM_AUDIT_READ, NULL));
    assert_false(sv_access_allows(&g, SV_PERM_USERS_READ, NULL));
    /* A change of the role changes its holders at once. */
    struct sv_role_input more = {NULL, NULL, true,
                                 SV_PERM_BIT(SV_PERM_AUDIT_READ) |
                                     SV_PERM_BIT(SV_PERM_USERS_READ)};
    assert_int_equal(
        sv_access_role_update(app.db, t1.id, r.id, &more, &admin, &r, &field),
        SV_OK);
    assert_int_equal(sv_access_load(app.db, t1.id, carl, &g), SV_OK);
    assert_true(sv_access_allows(&g, SV_PERM_USERS_READ, NULL));
    /* Assigned: cannot be deleted; revoked: can. */
    assert_int_equal(sv_access_role_delete(app.db, t1.id, r.id, &admin),
                     SV_E_CONFLICT);
    assert_int_equal(sv_access_revoke(app.db, t1.id, a.id, &admin), SV_OK);
    assert_int_equal(sv_access_load(app.db, t1.id, carl, &g), SV_OK);
    assert_false(sv_access_allows(&g, SV_PERM_AUDIT_READ, NULL));
    assert_int_equal(sv_access_role_delete(app.db, t1.id, r.id, &admin), SV_OK);

    /* The last tenant admin stays: with a second one, either can go. */
    struct sv_assignment_query q = {ADMIN_ID, NULL, 10};
    bool again = true;
    first_id[0] = '\0';
    assert_int_equal(sv_access_assignments_list(app.db, t1.id, &q, NULL,
                                                first_row, NULL, &again),
                     SV_OK);
    assert_false(again);
    assert_int_equal(strlen(first_id), 36);
    assert_int_equal(sv_access_revoke(app.db, t1.id, first_id, &admin),
                     SV_E_CONFLICT);
    struct sv_assignment_input two = {"tenant_admin", carl, SV_SCOPE_TENANT,
                                      NULL};
    assert_int_equal(
        sv_access_grant(app.db, t1.id, &two, &admin, &admin_a, &field), SV_OK);
    assert_int_equal(sv_access_revoke(app.db, t1.id, admin_a.id, &admin),
                     SV_OK);
    assert_int_equal(sv_access_revoke(app.db, t1.id, first_id, &admin),
                     SV_E_CONFLICT);
    assert_int_equal(sv_access_load(app.db, t1.id, ADMIN_ID, &g), SV_OK);
    assert_true(sv_access_allows(&g, SV_PERM_ACCESS_MANAGE, NULL));
    /* Unknown and malformed ids: not found. */
    assert_int_equal(sv_access_revoke(app.db, t1.id, "nope", &admin),
                     SV_E_NOT_FOUND);
    assert_int_equal(sv_access_revoke(app.db, t2.id, first_id, &admin),
                     SV_E_NOT_FOUND);
}

static int64_t
count_events(const char *tenant_id, const char *action)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    char path[128];
    int64_t n = -1;

    snprintf(path, sizeof path, "%s/salesvault.db", dir);
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT COUNT(*) FROM audit_events "
                                        "WHERE stream = ?1 AND action = ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, tenant_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void
test_denials_recorded_and_capped(void **state)
{
    struct sv_access_denial d = {SV_PERM_AUDIT_READ, "route", ""};
    struct sv_actor flood = {"01900000-0000-7000-8000-00000000f100", "m",
                             "127.0.0.1", "unit"};
    int64_t before = count_events(t2.id, "access.denied");
    (void)state;

    for (int i = 0; i < 3 * SV_ACCESS_DENIALS_PER_MIN; i++)
        assert_int_equal(sv_access_denied(app.db, t2.id, &flood, &d,
                                          "GET /api/v1/audit/events"),
                         SV_OK);
    /* A minute's worth recorded, the rest counted (not written). */
    assert_int_equal(count_events(t2.id, "access.denied") - before,
                     SV_ACCESS_DENIALS_PER_MIN);
    /* Another account has its own allowance. */
    struct sv_actor other = {"01900000-0000-7000-8000-00000000f200", "n",
                             "127.0.0.1", "unit"};
    assert_int_equal(sv_access_denied(app.db, t2.id, &other, &d, NULL), SV_OK);
    assert_int_equal(count_events(t2.id, "access.denied") - before,
                     SV_ACCESS_DENIALS_PER_MIN + 1);
    /* Without an account (a platform actor): nothing to record. */
    struct sv_actor none = {NULL, "cli", "127.0.0.1", "unit"};
    assert_int_equal(sv_access_denied(app.db, t2.id, &none, &d, NULL), SV_OK);
}

static void
test_require_denies_without_account(void **state)
{
    struct sv_actor none = {NULL, "cli", "127.0.0.1", "unit"};
    (void)state;

    /* A department change by an actor without an account: deny. */
    struct sv_department out;
    const char *field = NULL;
    assert_int_equal(sv_department_create(app.db, t1.id, "Nobody's", NULL,
                                          &none, &out, NULL, &field),
                     SV_E_FORBIDDEN);
}

/* DIR-6: disable @p id (sv_account_disable_tx) or enable it again. */
struct able_ctx {
    const char *id;
    bool disable;
};

static enum sv_err
able_tx(struct sv_dbc *c, void *cls)
{
    struct able_ctx *x = cls;
    int64_t n;
    return x->disable ? sv_account_disable_tx(c, t1.id, x->id, &n)
                      : sv_account_enable_tx(c, t1.id, x->id, NULL);
}

struct leave_ctx {
    const char *id;
    bool last;
    int64_t removed;
};

static enum sv_err
last_tx(struct sv_dbc *c, void *cls)
{
    struct leave_ctx *x = cls;
    return sv_access_last_admin_tx(c, t1.id, x->id, &x->last);
}

static enum sv_err
remove_tx(struct sv_dbc *c, void *cls)
{
    struct leave_ctx *x = cls;
    return sv_access_remove_all_tx(c, t1.id, x->id, &admin, "offboarding",
                                   &x->removed);
}

static bool
is_last(const char *id)
{
    struct leave_ctx x = {id, false, 0};
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, last_tx, &x),
                     SV_OK);
    return x.last;
}

static void
test_last_admin_counts_enabled_accounts(void **state)
{
    struct sv_assignment a;
    struct sv_grants g;
    char erin[37];
    const char *field = NULL;
    int64_t before = count_events(t1.id, "access.revoke");
    (void)state;

    make_account("erin", erin);
    assert_true(is_last(ADMIN_ID));
    assert_false(is_last(erin)); /* no admin at all */
    struct sv_assignment_input two = {"tenant_admin", erin, SV_SCOPE_TENANT,
                                      NULL};
    assert_int_equal(sv_access_grant(app.db, t1.id, &two, &admin, &a, &field),
                     SV_OK);
    struct sv_assignment_input aud = {"auditor", erin, SV_SCOPE_TENANT, NULL};
    assert_int_equal(sv_access_grant(app.db, t1.id, &aud, &admin, &a, &field),
                     SV_OK);
    assert_false(is_last(ADMIN_ID));
    assert_false(is_last(erin));
    /* A disabled admin counts for nothing. */
    struct able_ctx off = {erin, true}, on = {erin, false};
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, able_tx, &off),
                     SV_OK);
    assert_true(is_last(ADMIN_ID));
    struct leave_ctx boss = {ADMIN_ID, false, -1};
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, remove_tx, &boss),
                     SV_E_CONFLICT);
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, able_tx, &on),
                     SV_OK);
    assert_false(is_last(ADMIN_ID));
    /* erin leaves: both roles removed, each audited. */
    struct leave_ctx leaving = {erin, false, -1};
    assert_int_equal(
        sv_db_run_tenant_tx(app.db, "t", t1.id, remove_tx, &leaving), SV_OK);
    assert_int_equal(leaving.removed, 2);
    assert_int_equal(count_events(t1.id, "access.revoke") - before, 2);
    assert_int_equal(sv_access_load(app.db, t1.id, erin, &g), SV_OK);
    assert_int_equal(g.n, 1); /* the member role only */
    assert_true(is_last(ADMIN_ID));
    /* Nothing left to remove: none, no event. */
    assert_int_equal(
        sv_db_run_tenant_tx(app.db, "t", t1.id, remove_tx, &leaving), SV_OK);
    assert_int_equal(leaving.removed, 0);
    assert_int_equal(count_events(t1.id, "access.revoke") - before, 2);
}

int
main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_member_only_reads),
        cmocka_unit_test(test_department_scope_covers_its_subtree_only),
        cmocka_unit_test(test_tenant_kind_never_from_a_department),
        cmocka_unit_test(test_builtin_roles),
        cmocka_unit_test(test_grants_cap),
        cmocka_unit_test(test_group_scope),
        cmocka_unit_test(test_veil_hides),
    };
    const struct CMUnitTest db[] = {
        cmocka_unit_test(test_department_admin_in_the_database),
        cmocka_unit_test(test_custom_role_and_last_admin),
        cmocka_unit_test(test_denials_recorded_and_capped),
        cmocka_unit_test(test_require_denies_without_account),
        cmocka_unit_test(test_last_admin_counts_enabled_accounts),
    };
    int failed;

    if (sodium_init() < 0)
        return 1;
    failed = cmocka_run_group_tests(pure, NULL, NULL);
    return failed + cmocka_run_group_tests(db, setup, teardown);
}
