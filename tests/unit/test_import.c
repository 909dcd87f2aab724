/*
 * The CSV import (provision/import.h, docs/import.md): first the parser
 * alone, a rule at a time (each refused by line, column and rule name),
 * the line numbers of CRLF, blank and multi-line records, the escapes of
 * department paths and the limits; then against a database: a dry run
 * writes nothing, a real run writes everything with a chain that verifies,
 * accounts without a password, a second run refused by what the first
 * made, a refusal by permission, a cancelled run.
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
#include "core/util.h"
#include "crypto/password.h"
#include "db/db.h"
#include "directory/employee.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "provision/import.h"
#include "testdb.h"

#define HEADER                                                                 \
    "username,display_name,email,phone,id_number,title,employee_no,"           \
    "department,departments,manager\n"

/* Parse @p csv (region CN) into a sorted report; the document's counts
 * into @p lines, @p employees, @p depts when not NULL. */
static void
parse_counts(const char *csv, struct sv_import_report *r, size_t *lines,
             size_t *employees, size_t *depts)
{
    struct sv_import_doc *d = NULL;

    assert_int_equal(sv_import_parse(csv, strlen(csv), "CN", NULL, &d), SV_OK);
    sv_import_doc_report(d, r);
    if (lines != NULL)
        *lines = sv_import_doc_lines(d);
    if (employees != NULL)
        *employees = sv_import_doc_employees(d);
    if (depts != NULL)
        *depts = sv_import_doc_departments(d);
    sv_import_doc_free(d);
}

static void
parse(const char *csv, struct sv_import_report *r)
{
    parse_counts(csv, r, NULL, NULL, NULL);
}

/* Whether @p r has an error of @p rule at @p line in @p column (NULL: the
 * line as a whole). */
static bool
has(const struct sv_import_report *r, uint32_t line, const char *column,
    const char *rule)
{
    for (size_t i = 0; i < r->n_kept; i++) {
        const struct sv_import_error *e = &r->errors[i];
        if (e->line == line && strcmp(e->rule, rule) == 0 &&
            (column == NULL
                 ? e->column == NULL
                 : e->column != NULL && strcmp(e->column, column) == 0))
            return true;
    }
    return false;
}

static void
dump(const struct sv_import_report *r)
{
    for (size_t i = 0; i < r->n_kept; i++)
        fprintf(stderr, "  line %u, %s: %s (%s)\n", r->errors[i].line,
                r->errors[i].column ? r->errors[i].column : "-",
                r->errors[i].message, r->errors[i].rule);
}

#define EXPECT(r, line, column, rule)                                          \
    do {                                                                       \
        if (!has((r), (line), (column), (rule))) {                             \
            dump(r);                                                           \
            fail_msg("no %s at line %u, column %s", (rule), (unsigned)(line),  \
                     (column) ? (column) : "-");                               \
        }                                                                      \
    } while (0)

#define EXPECT_NONE(r)                                                         \
    do {                                                                       \
        if ((r)->n_errors != 0) {                                              \
            dump(r);                                                           \
            fail_msg("%zu errors", (r)->n_errors);                             \
        }                                                                      \
    } while (0)

static void
test_parse_valid(void **state)
{
    struct sv_import_report r;
    size_t lines, employees, depts;
    /* A BOM, names in another order and case, CRLF, blank lines and a
     * line of empty fields (skipped), a quoted name with quotes and a
     * comma, a department alone, a manager further down the file. */
    const char *csv = "\xEF\xBB\xBF"
                      "Department,USERNAME,Display_Name,manager,phone\r\n"
                      "\r\n"
                      "Sales/East,alice,Alice,bob,138 0013 8000\r\n"
                      "Sales / East ,bob,\"Li, \"\"Bob\"\"\",,\r\n"
                      ",,,,\r\n"
                      "Board,,,,\r\n";
    (void)state;

    parse_counts(csv, &r, &lines, &employees, &depts);
    EXPECT_NONE(&r);
    assert_int_equal(lines, 3);
    assert_int_equal(employees, 2);
    assert_int_equal(depts, 3); /* Sales, Sales/East, Board */
    sv_import_report_fini(&r);
}

static void
test_parse_line_numbers(void **state)
{
    struct sv_import_report r;
    /* Line 2 is blank; the record on line 3 spans lines 3-4 (a quoted
     * line break: refused in a display name); the next starts on 5; a
     * lone CR ends line 5. */
    const char *csv = HEADER "\n"
                             "anna,\"Anna\nSmith\",,,,,,Sales,,\n"
                             "bea,Bea,,12,,,,Sales,,\r"
                             "cid,Cid,bad-mail,,,,,Sales,,\n";
    (void)state;

    parse(csv, &r);
    EXPECT(&r, 3, "display_name", "display_name_invalid");
    EXPECT(&r, 5, "phone", "phone_invalid");
    EXPECT(&r, 6, "email", "email_invalid");
    assert_int_equal(r.n_errors, 3);
    sv_import_report_fini(&r);
}

static void
test_parse_fields(void **state)
{
    struct sv_import_report r;
    char csv[4096];
    (void)state;

    snprintf(csv, sizeof csv,
             HEADER
             /* 2 */ "Ab,,x@,+1 202 555 01,110105194912310021,\"a\x01\",E 1,,,"
                     "Bad\n"
                     /* 3 */ "ok.one,OK,,,,,,Sales,\"Board;Board\",\n"
                     /* 4 */ "ok.two,OK,,,,,,Sales,Sales,ok.two\n"
                     /* 5 */ "ok.three,OK,,,,,,\"a\xff\",,\n"
                     /* 6 */ "ok.four,OK\n"
                     /* 7 */ "ok.one,OK,,,,,,Sales,,\n"
                     /* 8 */ "ok.five,OK,,,,,E1,Sales,,\n"
                     /* 9 */ "ok.six,OK,,,,,E1,Sales,,\n");
    parse(csv, &r);
    EXPECT(&r, 2, "username", "username_invalid");
    EXPECT(&r, 2, "display_name", "required");
    EXPECT(&r, 2, "email", "email_invalid");
    EXPECT(&r, 2, "phone", "phone_invalid");
    EXPECT(&r, 2, "id_number", "id_number_invalid");
    EXPECT(&r, 2, "title", "title_invalid");
    EXPECT(&r, 2, "employee_no", "employee_no_invalid");
    EXPECT(&r, 2, "department", "required");
    EXPECT(&r, 2, "manager", "manager_invalid");
    EXPECT(&r, 3, "departments", "departments_duplicate");
    EXPECT(&r, 4, "departments", "departments_duplicate");
    EXPECT(&r, 4, "manager", "manager_self");
    EXPECT(&r, 5, "department", "encoding");
    EXPECT(&r, 6, NULL, "field_count");
    EXPECT(&r, 7, "username", "username_duplicate");
    EXPECT(&r, 9, "employee_no", "employee_no_duplicate");
    assert_string_equal(r.errors[3].rule, "phone_invalid");
    assert_string_equal(r.errors[3].arg, "CN");
    /* DIR-4: a message never holds the value it refuses. */
    for (size_t i = 0; i < r.n_kept; i++) {
        assert_null(strstr(r.errors[i].message, "110105194912310021"));
        assert_null(strstr(r.errors[i].message, "202 555"));
    }
    sv_import_report_fini(&r);
}

static void
test_parse_paths(void **state)
{
    struct sv_import_report r;
    char csv[8192], deep[2048] = "";
    size_t depts;
    (void)state;

    /* Escapes: a slash, a semicolon and a backslash inside names. */
    parse_counts(HEADER "ok.one,OK,,,,,,R\\/D\\;x\\\\y/Lab,\"Ops; Ops/Two; \","
                        "\n",
                 &r, NULL, NULL, &depts);
    EXPECT_NONE(&r);
    assert_int_equal(depts, 4); /* R/D;x\y, its Lab, Ops, Ops/Two */
    sv_import_report_fini(&r);

    for (int i = 0; i < 33; i++)
        strcat(deep, i ? "/d" : "d");
    snprintf(csv, sizeof csv,
             HEADER "aa1,A,,,,,,/Sales,,\n"
                    "aa2,A,,,,,,Sales/,,\n"
                    "aa3,A,,,,,,Sales\\,,\n"
                    "aa4,A,,,,,,Sales;Board,,\n"
                    "aa5,A,,,,,,%s,,\n"
                    "aa6,A,,,,,,Sales,\"a;b;c;d;e;f;g;h;i;j;k;l;m;n;o;p;q\",\n"
                    ",,,,,,,a//b,,\n",
             deep);
    parse(csv, &r);
    EXPECT(&r, 2, "department", "department_invalid");
    EXPECT(&r, 3, "department", "department_invalid");
    EXPECT(&r, 4, "department", "department_invalid");
    EXPECT(&r, 5, "department", "department_invalid");
    EXPECT(&r, 6, "department", "department_too_deep");
    EXPECT(&r, 7, "departments", "departments_too_many");
    EXPECT(&r, 8, "department", "department_invalid");
    assert_int_equal(r.n_errors, 7);
    sv_import_report_fini(&r);
}

static void
test_parse_managers(void **state)
{
    struct sv_import_report r;
    (void)state;

    /* A cycle of three (every line in it named), a chain that ends, a
     * manager further down the file. */
    parse(HEADER "aa1,A,,,,,,S,,aa2\n"
                 "aa2,A,,,,,,S,,aa3\n"
                 "aa3,A,,,,,,S,,aa1\n"
                 "bb1,B,,,,,,S,,bb2\n"
                 "bb2,B,,,,,,S,,\n",
          &r);
    EXPECT(&r, 2, "manager", "manager_cycle");
    EXPECT(&r, 3, "manager", "manager_cycle");
    EXPECT(&r, 4, "manager", "manager_cycle");
    assert_int_equal(r.n_errors, 3);
    sv_import_report_fini(&r);
}

static void
test_parse_header_and_syntax(void **state)
{
    struct sv_import_report r;
    (void)state;

    parse("username,nick,username,display_name\nx,y,z,w\n", &r);
    EXPECT(&r, 1, "nick", "column_unknown");
    EXPECT(&r, 1, "username", "column_duplicate");
    EXPECT(&r, 1, "department", "column_missing");
    assert_int_equal(r.n_errors, 3); /* the lines are not checked */
    sv_import_report_fini(&r);

    parse("", &r);
    EXPECT(&r, 1, NULL, "header_missing");
    sv_import_report_fini(&r);

    /* A stray quote: the reading stops there, at its line and column. */
    parse(HEADER "aa1,A,,,,,,S,,\n"
                 "aa2,A \"b\",,,,,,S,,\n"
                 "aa3,A,,,,,,S,,\n",
          &r);
    EXPECT(&r, 3, "display_name", "csv_syntax");
    assert_int_equal(r.n_errors, 1);
    sv_import_report_fini(&r);

    /* A quoted field never closed: at the line of its record, also when
     * it is the record's first field. */
    parse(HEADER "aa1,\"A,,,,,,S,,\n", &r);
    EXPECT(&r, 2, NULL, "csv_syntax");
    sv_import_report_fini(&r);
    parse(HEADER "aa1,A,,,,,,S,,\r\n\r\n\"aa2,A\n,,,,,S,,\n", &r);
    EXPECT(&r, 4, NULL, "csv_syntax");
    assert_int_equal(r.n_errors, 1);
    sv_import_report_fini(&r);
}

static void
test_parse_limits(void **state)
{
    struct sv_import_report r;
    size_t cap = (SV_IMPORT_LINES_MAX + 2) * 16 + 256, len;
    char *csv = malloc(cap), *big;
    struct sv_import_doc *d = NULL;
    (void)state;

    /* One line too many. */
    assert_non_null(csv);
    len = (size_t)snprintf(csv, cap, "username,display_name,department\n");
    for (int i = 0; i <= SV_IMPORT_LINES_MAX; i++)
        len += (size_t)snprintf(csv + len, cap - len, "u%07d,U,D\n", i);
    parse(csv, &r);
    EXPECT(&r, SV_IMPORT_LINES_MAX + 2, NULL, "too_many_lines");
    assert_int_equal(r.n_errors, 1);
    sv_import_report_fini(&r);
    free(csv);

    /* A field longer than 4 KiB. */
    big = malloc(SV_IMPORT_FIELD_MAX + 64);
    assert_non_null(big);
    len = (size_t)snprintf(big, 64, "username,display_name,department\naa1,");
    memset(big + len, 'x', SV_IMPORT_FIELD_MAX + 1);
    snprintf(big + len + SV_IMPORT_FIELD_MAX + 1, 16, ",D\n");
    parse(big, &r);
    EXPECT(&r, 2, "display_name", "field_too_long");
    sv_import_report_fini(&r);
    free(big);

    /* A file over the limit, and a region libphonenumber does not know. */
    assert_int_equal(
        sv_import_parse("x", SV_IMPORT_BYTES_MAX + 1, "CN", NULL, &d),
        SV_E_BODY_TOO_LARGE);
    assert_int_equal(sv_import_parse("x", 1, "ZZ", NULL, &d),
                     SV_E_FIELD_INVALID);
    assert_null(d);
}

static void
test_password_marker(void **state)
{
    char hash[SV_HASH_LEN];
    const struct sv_pwparams p = {1, 8192 * 1024};
    (void)state;

    assert_false(sv_password_is_set(SV_PASSWORD_NONE));
    assert_false(sv_password_is_set("-"));
    assert_false(sv_password_is_set(NULL));
    assert_int_equal(sv_password_hash(&p, "pw", 2, hash), SV_OK);
    assert_true(sv_password_is_set(hash));
    /* Nothing verifies against it, the empty password included. */
    assert_int_equal(sv_password_verify(SV_PASSWORD_NONE, "", 0),
                     SV_E_INVALID_CREDENTIALS);
    assert_int_equal(sv_password_verify(SV_PASSWORD_NONE, "!none", 5),
                     SV_E_INVALID_CREDENTIALS);
}

/* ---- against a database ---- */

static struct sv_app app;
static char dir[64];
static struct sv_tenant t1;
#define ADMIN_ID "01900000-0000-7000-8000-0000000000e1"
#define MEMBER_ID "01900000-0000-7000-8000-0000000000e2"
static const struct sv_actor admin = {ADMIN_ID, "boss", "127.0.0.1", "unit"};
static const struct sv_actor member = {MEMBER_ID, "moe", "127.0.0.1", "unit"};
static const struct sv_actor operator_ = {NULL, "cli:test", NULL, NULL};

static enum sv_err
tenant_tx(struct sv_dbc *c, void *cls)
{
    return sv_tenant_create_tx(c, app.kr, cls, "test");
}

static int
setup(void **state)
{
    (void)state;
    if (sv_testapp_open(&app, dir, "import", NULL) != 0)
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

static void
count_one(void *cls, const char *id, const char *no)
{
    (void)id;
    (void)no;
    (*(size_t *)cls)++;
}

static enum sv_err
count_ro(struct sv_dbc *c, void *cls)
{
    *(size_t *)cls = 0;
    return sv_employee_each_tx(c, t1.id, count_one, cls);
}

static size_t
employees(void)
{
    size_t n = 0;
    assert_int_equal(sv_db_run_tenant_ro(app.db, t1.id, count_ro, &n), SV_OK);
    return n;
}

struct verify_ctx {
    struct sv_audit_verdict v;
};

static enum sv_err
verify_ro(struct sv_dbc *c, void *cls)
{
    struct verify_ctx *x = cls;
    return sv_audit_verify_stream(c, t1.id, &x->v);
}

struct cred_ctx {
    const char *username;
    struct sv_account a;
    char hash[SV_HASH_LEN];
};

static enum sv_err
cred_ro(struct sv_dbc *c, void *cls)
{
    struct cred_ctx *x = cls;
    enum sv_err rc =
        sv_account_credentials_tx(c, t1.id, x->username, &x->a, x->hash);
    return rc == SV_OK
               ? sv_account_find_by_username(c, t1.id, x->username, &x->a)
               : rc;
}

static enum sv_err
run(const char *csv, const struct sv_actor *actor, bool dry_run,
    struct sv_import_report *r)
{
    struct sv_import_options o = {0};
    o.dry_run = dry_run;
    o.actor = actor;
    return sv_import_run(app.db, t1.id, csv, strlen(csv), &o, r);
}

static const char file[] =
    HEADER "wei,Wei Zhang,Wei@Acme.test,138 0013 8000,11010519491231002x,"
           "Lead,E-1,Sales/East,Board,\n"
           "lina,Li Na,,,,,E-2,Sales/East,,wei\n"
           ",,,,,,,Sales/West,,\n";

static void
test_run_dry_then_real(void **state)
{
    struct sv_import_report r;
    struct verify_ctx v;
    struct cred_ctx c = {.username = "wei"};
    (void)state;

    assert_int_equal(run(file, &admin, true, &r), SV_OK);
    EXPECT_NONE(&r);
    assert_int_equal(r.lines, 3);
    assert_int_equal(r.employees, 2);
    assert_int_equal(r.departments, 4); /* Sales, East, Board, West */
    assert_false(r.imported);
    sv_import_report_fini(&r);
    assert_int_equal(employees(), 0); /* a dry run writes nothing */

    assert_int_equal(run(file, &admin, false, &r), SV_OK);
    EXPECT_NONE(&r);
    assert_true(r.imported);
    sv_import_report_fini(&r);
    assert_int_equal(employees(), 2);

    /* The batched events chain like any others. */
    assert_int_equal(sv_db_run_tenant_ro(app.db, t1.id, verify_ro, &v), SV_OK);
    assert_true(v.v.ok);
    assert_true(v.v.events >= 4 + 2 * 2 + 1);

    /* The account has no password. */
    assert_int_equal(sv_db_run_tenant_ro(app.db, t1.id, cred_ro, &c), SV_OK);
    assert_string_equal(c.hash, SV_PASSWORD_NONE);
    assert_true(c.a.has_email);
    assert_string_equal(c.a.email, "wei@acme.test");

    /* Again: what the first run made refuses the second; nothing more. */
    assert_int_equal(run(file, &admin, false, &r), SV_OK);
    EXPECT(&r, 2, "username", "username_taken");
    EXPECT(&r, 2, "employee_no", "employee_no_taken");
    EXPECT(&r, 3, "username", "username_taken");
    EXPECT(&r, 3, "employee_no", "employee_no_taken");
    assert_int_equal(r.n_errors, 4);
    assert_false(r.imported);
    sv_import_report_fini(&r);
    assert_int_equal(employees(), 2);

    /* A manager from the tenant, and one who is an account only. */
    assert_int_equal(run(HEADER "zoe,Zoe,,,,,,Sales,,lina\n"
                                "yan,Yan,,,,,,Sales,,nobody\n",
                         &operator_, false, &r),
                     SV_OK);
    EXPECT(&r, 3, "manager", "manager_unknown");
    assert_int_equal(r.n_errors, 1);
    sv_import_report_fini(&r);
    assert_int_equal(
        run(HEADER "zoe,Zoe,,,,,,Sales,,lina\n", &operator_, false, &r), SV_OK);
    EXPECT_NONE(&r);
    sv_import_report_fini(&r);
    assert_int_equal(employees(), 3);
}

static void
test_run_refused(void **state)
{
    struct sv_import_report r;
    (void)state;

    /* A member manages nothing: an existing department, a new one under
     * it, a new top one: each line refused, nothing written. */
    assert_int_equal(run(HEADER "mm1,M,,,,,,Sales,,\n"
                                "mm2,M,,,,,,Sales/North,,\n"
                                "mm3,M,,,,,,Elsewhere,,\n",
                         &member, false, &r),
                     SV_OK);
    EXPECT(&r, 2, "department", "forbidden");
    EXPECT(&r, 3, "department", "forbidden");
    EXPECT(&r, 4, "department", "forbidden");
    assert_string_equal(r.errors[2].arg, "Elsewhere");
    sv_import_report_fini(&r);
    assert_int_equal(employees(), 3);
}

static bool
stop_now(void *cls)
{
    (void)cls;
    return true;
}

static void
test_run_cancelled(void **state)
{
    struct sv_import_options o = {0};
    struct sv_import_report r;
    const char *csv = HEADER "cc1,C,,,,,,Sales,,\n";
    (void)state;

    o.actor = &admin;
    o.cancelled = stop_now;
    assert_int_equal(sv_import_run(app.db, t1.id, csv, strlen(csv), &o, &r),
                     SV_E_UNAVAILABLE);
    assert_int_equal(employees(), 3);
}

int
main(void)
{
    const struct CMUnitTest parser[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_line_numbers),
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_parse_paths),
        cmocka_unit_test(test_parse_managers),
        cmocka_unit_test(test_parse_header_and_syntax),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_password_marker),
    };
    const struct CMUnitTest db[] = {
        cmocka_unit_test(test_run_dry_then_real),
        cmocka_unit_test(test_run_refused),
        cmocka_unit_test(test_run_cancelled),
    };
    int failed;

    if (sodium_init() < 0)
        return 1;
    failed = cmocka_run_group_tests_name("import: parser", parser, NULL, NULL);
    failed +=
        cmocka_run_group_tests_name("import: database", db, setup, teardown);
    return failed;
}
