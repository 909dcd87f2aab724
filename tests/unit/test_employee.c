/*
 * Employees (directory/employee.h): the field rules and the ID number's
 * canonical form; then against a database: a profile with further
 * departments, exact match through the blind indexes, manager cycles,
 * employee numbers, a department with people not deletable, and nothing
 * of a phone or ID number in clear in the database file or in a backup's
 * plaintext stream (decrypted, decompressed: sv_backup_scan).
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
#include "backup/backup.h"
#include "core/json.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/employee.h"
#include "directory/tenant.h"
#include "testdb.h"

static void
test_rules(void **state)
{
    char out[SV_ID_NUMBER_MAX + 1];
    (void)state;

    assert_true(sv_check_employee_name("张伟", strlen("张伟")));
    assert_false(sv_check_employee_name("", 0));
    assert_false(sv_check_employee_name("a\tb", 3));
    assert_false(sv_check_employee_name("a\xc2\x85", 3)); /* C1 control */
    assert_true(sv_check_employee_title("", 0));
    assert_true(sv_check_employee_no("E-0001", 6));
    assert_false(sv_check_employee_no("E 1", 3));
    assert_false(sv_check_employee_no("", 0));

    /* A resident ID: its check character verified, x upper-cased. */
    assert_true(sv_id_number_normalise(" 11010519491231002x ", out));
    assert_string_equal(out, "11010519491231002X");
    assert_false(sv_id_number_normalise("110105194912310021", out));
    assert_string_equal(out, "");
    /* Another document: 4-32 of [A-Z0-9-], upper-cased. */
    assert_true(sv_id_number_normalise("e12345678", out));
    assert_string_equal(out, "E12345678");
    assert_false(sv_id_number_normalise("abc", out));
    assert_false(sv_id_number_normalise("a b c d", out));
    assert_false(sv_id_number_normalise("ÄÖÜ12345", out));
    assert_false(
        sv_id_number_normalise("123456789012345678901234567890123", out));
}

static struct sv_app app;
static char dir[64];
static struct sv_tenant t1;
#define ADMIN_ID "01900000-0000-7000-8000-0000000000e1"
static const struct sv_actor admin = {ADMIN_ID, "boss", "127.0.0.1", "unit"};

static enum sv_err
tenant_tx(struct sv_dbc *c, void *cls)
{
    return sv_tenant_create_tx(c, app.kr, cls, "test");
}

static int
setup(void **state)
{
    (void)state;
    if (sv_testapp_open(&app, dir, "employee", NULL) != 0)
        return -1;
    snprintf(t1.slug, sizeof t1.slug, "acme");
    snprintf(t1.name, sizeof t1.name, "Acme");
    if (sv_db_run_tx(app.db, "t", tenant_tx, &t1) != SV_OK)
        return -1;
    sv_testapp_admin(&app, t1.id, ADMIN_ID);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    return sv_testapp_close(&app, dir);
}

SV_SQL(Q_TEST_ACCOUNT, "test_account",
       "INSERT INTO accounts (tenant_id, id, username, password_hash, "
       "created_at) VALUES ($1, $2, $3, 'x', 0)",
       0);

struct insert_ctx {
    const char *id, *name;
    const struct sv_employee_input *in;
    struct sv_employee out;
    const char *field;
};

static enum sv_err
insert_tx(struct sv_dbc *c, void *cls)
{
    struct insert_ctx *x = cls;
    if (sv_db_exec_ttt(c, &Q_TEST_ACCOUNT, t1.id, x->id, x->name) != SV_QS_ONE)
        return SV_E_INTERNAL;
    return sv_employee_insert_tx(c, t1.id, x->id, x->in, &x->out, &x->field);
}

static enum sv_err
hire(const char *name, const struct sv_employee_input *in, char id[37],
     const char **field)
{
    struct insert_ctx x = {.id = id, .name = name, .in = in};
    enum sv_err rc;

    sv_uuid7(id);
    rc = sv_db_run_tenant_tx(app.db, "t", t1.id, insert_tx, &x);
    *field = x.field;
    return rc;
}

struct update_ctx {
    const char *id;
    const struct sv_employee_input *in;
    struct sv_employee out;
    const char *field;
};

static enum sv_err
update_tx(struct sv_dbc *c, void *cls)
{
    struct update_ctx *x = cls;
    return sv_employee_update_tx(c, t1.id, x->id, x->in, NULL, &x->out,
                                 &x->field);
}

static int rows;
static char found[8][37];

static void
row(void *cls, const struct sv_employee_view *v)
{
    (void)cls;
    if (rows < 8)
        snprintf(found[rows], 37, "%s", v->id);
    rows++;
}

static int
find(const struct sv_employee_query *q)
{
    bool more = false;
    rows = 0;
    assert_int_equal(sv_employee_list(app.db, t1.id, q, NULL, row, NULL, &more),
                     SV_OK);
    return rows;
}

static bool
file_has(const char *needle)
{
    char path[128], *buf;
    size_t n;
    FILE *f;
    bool hit = false;

    /* The database and its write-ahead log. */
    for (int i = 0; i < 2 && !hit; i++) {
        snprintf(path, sizeof path, "%s/salesvault.db%s", dir, i ? "-wal" : "");
        f = fopen(path, "rb");
        if (f == NULL)
            continue;
        buf = malloc(64 << 20);
        assert_non_null(buf);
        n = fread(buf, 1, 64 << 20, f);
        fclose(f);
        hit = memmem(buf, n, needle, strlen(needle)) != NULL;
        free(buf);
    }
    return hit;
}

/* What a backup's plaintext stream holds of the personal data. */
struct scan {
    size_t values;
    bool name, phone, id_number;
};

static bool
has(const void *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle)) != NULL;
}

static void
scan_value(void *cls, const char *table, int col, const void *p, size_t n)
{
    struct scan *s = cls;
    (void)table;
    (void)col;
    s->values++;
    s->name = s->name || has(p, n, "Phone Keeper");
    s->phone = s->phone || has(p, n, "13912345678");
    s->id_number = s->id_number || has(p, n, "11010519491231002X") ||
                   has(p, n, "11010519491231002x");
}

static void
test_profiles(void **state)
{
    struct sv_department sales, east, fin;
    const char *field = NULL;
    char wei[37], li[37], mo[37];
    (void)state;

    assert_int_equal(sv_department_create(app.db, t1.id, "Sales", NULL, &admin,
                                          &sales, NULL, &field),
                     SV_OK);
    assert_int_equal(sv_department_create(app.db, t1.id, "East", sales.id,
                                          &admin, &east, NULL, &field),
                     SV_OK);
    assert_int_equal(sv_department_create(app.db, t1.id, "Finance", NULL,
                                          &admin, &fin, NULL, &field),
                     SV_OK);
    const char *further[] = {fin.id};
    struct sv_employee_input in = {.display_name = "Zhang Wei",
                                   .set_title = true,
                                   .title = "Lead",
                                   .set_employee_no = true,
                                   .employee_no = "E-1",
                                   .department_id = sales.id,
                                   .set_departments = true,
                                   .n_departments = 1,
                                   .departments = further,
                                   .set_phone = true,
                                   .phone = "+8613800138000",
                                   .set_id_number = true,
                                   .id_number = "11010519491231002X"};
    assert_int_equal(hire("wei", &in, wei, &field), SV_OK);

    struct sv_employee_input in2 = {.display_name = "Li Na",
                                    .department_id = east.id,
                                    .set_manager = true,
                                    .manager_id = wei};
    assert_int_equal(hire("li", &in2, li, &field), SV_OK);
    /* The same number twice: refused on its field. */
    struct sv_employee_input in3 = {.display_name = "Mo",
                                    .department_id = east.id,
                                    .set_employee_no = true,
                                    .employee_no = "E-1"};
    assert_int_equal(hire("mo", &in3, mo, &field), SV_E_EXISTS);
    assert_string_equal(field, "employee_no");
    /* Unknown departments and managers. */
    struct sv_employee_input in4 = {.display_name = "X",
                                    .department_id =
                                        "01900000-0000-7000-8000-000000000bad"};
    assert_int_equal(hire("x", &in4, mo, &field), SV_E_NOT_FOUND);
    assert_string_equal(field, "department_id");

    /* Found by exact match through the blind indexes, and by department. */
    struct sv_employee_query q = {.phone = "+8613800138000", .limit = 10};
    assert_int_equal(find(&q), 1);
    assert_string_equal(found[0], wei);
    q.phone = "+8613800138001";
    assert_int_equal(find(&q), 0);
    q = (struct sv_employee_query){.id_number = "11010519491231002X",
                                   .limit = 10};
    assert_int_equal(find(&q), 1);
    q = (struct sv_employee_query){.department_id = fin.id, .limit = 10};
    assert_int_equal(find(&q), 1); /* a further department lists it too */
    q = (struct sv_employee_query){.department_id = east.id, .limit = 10};
    assert_int_equal(find(&q), 1);
    assert_string_equal(found[0], li);
    q = (struct sv_employee_query){.q = "ZHANG", .limit = 10};
    assert_int_equal(find(&q), 1);
    q = (struct sv_employee_query){.q = "_", .limit = 10};
    assert_int_equal(find(&q), 0); /* a LIKE wildcard is a character */

    /* Managers: never itself, never a cycle. */
    struct update_ctx u = {wei, &(struct sv_employee_input){.set_manager = true,
                                                            .manager_id = li}};
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, update_tx, &u),
                     SV_E_CONFLICT);
    assert_string_equal(u.field, "manager_id");
    u.in = &(struct sv_employee_input){.set_manager = true, .manager_id = wei};
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, update_tx, &u),
                     SV_E_CONFLICT);
    /* Clearing the phone removes it from the index. */
    u.in = &(struct sv_employee_input){.set_phone = true, .phone = NULL};
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, update_tx, &u),
                     SV_OK);
    assert_string_equal(u.out.phone, "");
    q = (struct sv_employee_query){.phone = "+8613800138000", .limit = 10};
    assert_int_equal(find(&q), 0);

    /* A department with people cannot be deleted. */
    assert_int_equal(sv_department_delete(app.db, t1.id, fin.id, &admin),
                     SV_E_CONFLICT);

    /* DIR-4: neither value in clear in the database files. */
    assert_false(file_has("11010519491231002X"));
    assert_false(file_has("8613800138000"));
    assert_true(file_has("Zhang Wei")); /* (the reader does see text) */

    /* DIR-4: nor in a backup's plaintext stream (decrypted, decompressed):
     * a phone of another employee kept there, and the ID number. */
    struct sv_employee_input in5 = {.display_name = "Phone Keeper",
                                    .department_id = east.id,
                                    .set_phone = true,
                                    .phone = "+8613912345678"};
    char pk[37];
    assert_int_equal(hire("keeper", &in5, pk, &field), SV_OK);
    struct sv_backup_stats st;
    char err[256];
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(sv_backup_write(&app, f, NULL, &st, err, sizeof err),
                     SV_OK);
    rewind(f);
    struct scan sc = {0};
    assert_int_equal(
        sv_backup_scan(&app, f, scan_value, &sc, &st, err, sizeof err), SV_OK);
    fclose(f);
    assert_true(sc.values > 0);
    assert_true(sc.name);   /* the scan does see clear text */
    assert_false(sc.phone); /* as E.164 or national digits */
    assert_false(sc.id_number);
}

int
main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_rules),
    };
    const struct CMUnitTest db[] = {
        cmocka_unit_test(test_profiles),
    };
    int failed;

    if (sodium_init() < 0)
        return 1;
    sv_json_init();
    failed = cmocka_run_group_tests(pure, NULL, NULL);
    return failed + cmocka_run_group_tests(db, setup, teardown);
}
