/* Classified record fields (DATA-1): the policy table, the catalogue, the
 * canonical values, the masks and the custom-field rules. Tests read the
 * policy table and walk the catalogue; none names a field's level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>

#include "app.h"
#include "core/util.h"
#include "audit/audit.h"
#include "core/json.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/tenant.h"
#include "records/classify.h"
#include "records/quota.h"
#include "records/records.h"
#include "records/scope.h"
#include "testdb.h"

static const enum sv_where WHERES[] = {SV_WHERE_PAGE, SV_WHERE_LIST,
                                       SV_WHERE_EXPORT};

/* What DATA-1 asks of each level, read against the table: sealed at rest
 * from confidential up; confidential masked unless revealed, on request,
 * by a holder of unmask, and audited when shown in clear; secret absent
 * from lists and exports, shown on a page only with read_secret, every
 * read audited; public and internal clear everywhere, never audited. */
static void
test_policy_table(void **state)
{
    (void)state;
    for (int l = 0; l < SV_LEVEL__N; l++) {
        const struct sv_level_policy *p = sv_level_policy((enum sv_level)l);
        enum sv_level back;
        assert_true(sv_level_parse(p->name, &back));
        assert_int_equal(back, l);
        assert_int_equal(p->sealed, l >= SV_LEVEL_CONFIDENTIAL);
        for (size_t w = 0; w < 3; w++)
            for (int may = 0; may < 2; may++)
                for (int asked = 0; asked < 2; asked++) {
                    enum sv_show s =
                        sv_field_show((enum sv_level)l, WHERES[w], may, asked);
                    bool audited = sv_field_audit((enum sv_level)l, s);
                    switch (l) {
                    case SV_LEVEL_PUBLIC:
                    case SV_LEVEL_INTERNAL:
                        assert_int_equal(s, SV_SHOW_CLEAR);
                        assert_false(audited);
                        break;
                    case SV_LEVEL_CONFIDENTIAL:
                        assert_int_equal(s, WHERES[w] == SV_WHERE_PAGE && may &&
                                                    asked
                                                ? SV_SHOW_CLEAR
                                                : SV_SHOW_MASKED);
                        assert_int_equal(audited, s == SV_SHOW_CLEAR);
                        assert_int_equal(p->reveal, SV_REVEAL_UNMASK);
                        break;
                    case SV_LEVEL_SECRET:
                        assert_int_equal(s, WHERES[w] == SV_WHERE_PAGE && may
                                                ? SV_SHOW_CLEAR
                                                : SV_SHOW_OMITTED);
                        assert_int_equal(audited, s == SV_SHOW_CLEAR);
                        assert_int_equal(p->reveal, SV_REVEAL_READ_SECRET);
                        break;
                    default:
                        fail_msg("level %d has no expectation here", l);
                    }
                }
    }
    enum sv_level x;
    assert_false(sv_level_parse("top_secret", &x));
    assert_false(sv_level_parse("Public", &x));
}

/* Every built-in field obeys the rules a custom field must (but for the
 * types only built-ins may have), and the catalogue's shape holds. */
static void
test_catalogue(void **state)
{
    (void)state;
    size_t total = 0;
    for (int t = 0; t < SV_RTYPE__N; t++) {
        size_t n;
        const struct sv_field_def *f =
            sv_record_fields((enum sv_record_type)t, &n);
        enum sv_record_type back;
        bool required = false, has_parent_ref = false;
        assert_true(sv_record_type_parse(
            sv_record_type_name((enum sv_record_type)t), &back));
        assert_int_equal(back, t);
        assert_true(n > 0);
        total += n;
        for (size_t i = 0; i < n; i++) {
            assert_ptr_equal(sv_record_field((enum sv_record_type)t, f[i].name),
                             &f[i]);
            assert_true(f[i].level <= sv_ftype_max_level(f[i].type));
            if (f[i].flags & SV_FIELD_SORT)
                assert_false(sv_level_policy(f[i].level)->sealed);
            required |= (f[i].flags & SV_FIELD_REQ) != 0;
            if (f[i].type == SV_FTYPE_REF &&
                strcmp(f[i].name, "customer_id") == 0)
                has_parent_ref = (f[i].flags & SV_FIELD_REQ) != 0;
            struct sv_field_def copy = f[i];
            copy.name = "x_copy";
            if (f[i].type != SV_FTYPE_REF && f[i].type != SV_FTYPE_CHOICE)
                assert_null(
                    sv_custom_field_check((enum sv_record_type)t, &copy));
        }
        assert_true(required);
        /* A contact or an opportunity names its customer, required. */
        assert_int_equal(has_parent_ref,
                         sv_record_type_parent((enum sv_record_type)t) ==
                             SV_RTYPE_CUSTOMER);
    }
    assert_true(total >= 20);
    enum sv_record_type x;
    assert_false(sv_record_type_parse("lead", &x));
    assert_null(sv_record_field(SV_RTYPE_CUSTOMER, "nope"));
    /* The fields the issue names, at the levels the catalogue gives. */
    assert_non_null(sv_record_field(SV_RTYPE_OPPORTUNITY, "amount"));
    assert_non_null(sv_record_field(SV_RTYPE_OPPORTUNITY, "stage"));
    assert_non_null(sv_record_field(SV_RTYPE_OPPORTUNITY, "expected_close"));
    assert_non_null(sv_record_field(SV_RTYPE_ACTIVITY, "kind"));
}

static void
canon_ok(enum sv_field_type t, size_t max, const char *in, const char *want)
{
    char out[SV_VALUE_MAX + 1];
    const char *rule = sv_value_canon(t, max, in, "CN", out, sizeof out);
    if (rule != NULL)
        fail_msg("%s \"%s\": refused (%s)", sv_ftype_name(t), in, rule);
    assert_string_equal(out, want);
}

static void
canon_bad(enum sv_field_type t, size_t max, const char *in, const char *rule)
{
    char out[64];
    const char *got = sv_value_canon(t, max, in, "CN", out, sizeof out);
    if (got == NULL)
        fail_msg("%s \"%s\": taken as \"%s\"", sv_ftype_name(t), in, out);
    assert_string_equal(got, rule);
    assert_string_equal(out, "");
}

static void
test_canon(void **state)
{
    (void)state;
    canon_ok(SV_FTYPE_TEXT, 10, "  Acme Ltd \t", "Acme Ltd");
    canon_ok(SV_FTYPE_TEXT, 4, "北京华为", "北京华为");
    canon_bad(SV_FTYPE_TEXT, 3, "北京华为", "length");
    canon_bad(SV_FTYPE_TEXT, 10, "a\nb", "format");
    canon_bad(SV_FTYPE_TEXT, 10, "   ", "format");
    canon_bad(SV_FTYPE_TEXT, 10, "\xc3\x28", "format");
    canon_ok(SV_FTYPE_LONG_TEXT, 0, "line one\nline two", "line one\nline two");
    canon_bad(SV_FTYPE_LONG_TEXT, 0, "bell\a", "format");
    canon_ok(SV_FTYPE_EMAIL, 0, " Li.Wei@Example.COM ", "li.wei@example.com");
    canon_bad(SV_FTYPE_EMAIL, 0, "li.wei", "email");
    canon_ok(SV_FTYPE_PHONE, 0, "138 0013 8000", "+8613800138000");
    canon_ok(SV_FTYPE_PHONE, 0, "+1 202-555-0123", "+12025550123");
    canon_bad(SV_FTYPE_PHONE, 0, "12345", "phone");
    canon_ok(SV_FTYPE_DATE, 0, "2024-02-29", "2024-02-29");
    canon_bad(SV_FTYPE_DATE, 0, "2023-02-29", "date");
    canon_bad(SV_FTYPE_DATE, 0, "1900-02-29", "date");
    canon_ok(SV_FTYPE_DATE, 0, "2000-02-29", "2000-02-29");
    canon_bad(SV_FTYPE_DATE, 0, "2024-13-01", "date");
    canon_bad(SV_FTYPE_DATE, 0, "2024-1-01", "date");
    canon_ok(SV_FTYPE_MONEY, 15, "1250000", "1250000");
    canon_ok(SV_FTYPE_MONEY, 15, "0", "0");
    canon_bad(SV_FTYPE_MONEY, 15, "-5", "format");
    canon_bad(SV_FTYPE_MONEY, 15, "12.50", "format");
    canon_bad(SV_FTYPE_MONEY, 15, "007", "format");
    canon_bad(SV_FTYPE_MONEY, 15, "1234567890123456", "range");
    canon_ok(SV_FTYPE_INTEGER, 0, "-42", "-42");
    canon_ok(SV_FTYPE_INTEGER, 0, "-0", "0");
    canon_bad(SV_FTYPE_INTEGER, 0, "-", "format");
    canon_ok(SV_FTYPE_CURRENCY, 0, "CNY", "CNY");
    canon_bad(SV_FTYPE_CURRENCY, 0, "cny", "format");
    canon_bad(SV_FTYPE_CURRENCY, 0, "CNYX", "format");
    canon_ok(SV_FTYPE_CHOICE, 0, "closed_won", "closed_won");
    canon_bad(SV_FTYPE_CHOICE, 0, "Closed", "format");
    canon_ok(SV_FTYPE_REF, 0, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
             "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    canon_bad(SV_FTYPE_REF, 0, "0190a1b2", "format");
    /* A value longer than any field is refused before it is read. */
    static char big[SV_VALUE_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    canon_bad(SV_FTYPE_LONG_TEXT, 0, big, "length");
}

static void
mask_is(enum sv_field_type t, const char *v, const char *want)
{
    char out[64];
    sv_value_mask(t, v, out, sizeof out);
    assert_string_equal(out, want);
}

static void
test_mask(void **state)
{
    (void)state;
    mask_is(SV_FTYPE_PHONE, "+8613812341234", "138****1234");
    mask_is(SV_FTYPE_EMAIL, "li.wei@example.com", "l***@example.com");
    mask_is(SV_FTYPE_EMAIL, "王@例子.中国", "王***@例子.中国");
    mask_is(SV_FTYPE_TEXT, "Beijing Road 1", "B***");
    mask_is(SV_FTYPE_TEXT, "北京市海淀区", "北***");
    /* A mask tells nothing of the length, down to one character. */
    mask_is(SV_FTYPE_TEXT, "B", "***");
    mask_is(SV_FTYPE_TEXT, "Bo", "B***");
    mask_is(SV_FTYPE_LONG_TEXT, "Met the buyer.\nNext: price.", "M***");
    mask_is(SV_FTYPE_MONEY, "1250000", "***");
    mask_is(SV_FTYPE_DATE, "2024-02-29", "***");
    mask_is(SV_FTYPE_INTEGER, "-42", "***");
    /* Nothing of a value that is not what its type expects. */
    mask_is(SV_FTYPE_PHONE, "not a phone", "***");
    mask_is(SV_FTYPE_EMAIL, "@example.com", "***");
    char small[4];
    sv_value_mask(SV_FTYPE_EMAIL, "li.wei@example.com", small, sizeof small);
    assert_string_equal(small, "***");
}

static void
custom_is(const char *name, enum sv_field_type t, enum sv_level l,
          unsigned flags, size_t max, const char *want)
{
    struct sv_field_def d = {name, t, l, flags, max};
    const char *got = sv_custom_field_check(SV_RTYPE_CUSTOMER, &d);
    if (want == NULL) {
        if (got != NULL)
            fail_msg("custom field %s refused (%s)", name ? name : "-", got);
    } else {
        assert_non_null(got);
        assert_string_equal(got, want);
    }
}

static void
test_custom_fields(void **state)
{
    (void)state;
    custom_is("vip_since", SV_FTYPE_DATE, SV_LEVEL_INTERNAL, SV_FIELD_SORT, 0,
              NULL);
    custom_is("bank_account", SV_FTYPE_TEXT, SV_LEVEL_SECRET, 0, 34, NULL);
    custom_is("wechat", SV_FTYPE_TEXT, SV_LEVEL_CONFIDENTIAL, SV_FIELD_IDX, 64,
              NULL);
    custom_is("Wechat", SV_FTYPE_TEXT, SV_LEVEL_PUBLIC, 0, 0, "name");
    custom_is("1st", SV_FTYPE_TEXT, SV_LEVEL_PUBLIC, 0, 0, "name");
    custom_is("a-b", SV_FTYPE_TEXT, SV_LEVEL_PUBLIC, 0, 0, "name");
    custom_is("", SV_FTYPE_TEXT, SV_LEVEL_PUBLIC, 0, 0, "name");
    custom_is(NULL, SV_FTYPE_TEXT, SV_LEVEL_PUBLIC, 0, 0, "name");
    custom_is("a23456789012345678901234567890123456789012", SV_FTYPE_TEXT,
              SV_LEVEL_PUBLIC, 0, 0, "name");
    custom_is("phone", SV_FTYPE_TEXT, SV_LEVEL_PUBLIC, 0, 0, "name");
    custom_is("owner_id", SV_FTYPE_TEXT, SV_LEVEL_PUBLIC, 0, 0, "name");
    custom_is("version", SV_FTYPE_INTEGER, SV_LEVEL_PUBLIC, 0, 0, "name");
    custom_is("partner", SV_FTYPE_REF, SV_LEVEL_INTERNAL, 0, 0, "type");
    custom_is("tier", SV_FTYPE_CHOICE, SV_LEVEL_INTERNAL, 0, 0, "type");
    custom_is("tier", (enum sv_field_type)99, SV_LEVEL_INTERNAL, 0, 0, "type");
    custom_is("billing", SV_FTYPE_CURRENCY, SV_LEVEL_CONFIDENTIAL, 0, 0,
              "level");
    custom_is("x", SV_FTYPE_TEXT, (enum sv_level)9, 0, 0, "level");
    custom_is("salary", SV_FTYPE_MONEY, SV_LEVEL_SECRET, SV_FIELD_SORT, 0,
              "flags");
    custom_is("x", SV_FTYPE_TEXT, SV_LEVEL_PUBLIC, 64, 0, "flags");
    custom_is("x", SV_FTYPE_TEXT, SV_LEVEL_PUBLIC, 0, 501, "max");
    /* Exact match: never on a secret value nor long text; indexed text
     * short enough for its whole value to be the term. */
    custom_is("passport", SV_FTYPE_TEXT, SV_LEVEL_SECRET, SV_FIELD_IDX, 32,
              "flags");
    custom_is("notes", SV_FTYPE_LONG_TEXT, SV_LEVEL_INTERNAL, SV_FIELD_IDX, 0,
              "flags");
    custom_is("code", SV_FTYPE_TEXT, SV_LEVEL_CONFIDENTIAL, SV_FIELD_IDX, 0,
              "max");
    custom_is("code", SV_FTYPE_TEXT, SV_LEVEL_CONFIDENTIAL, SV_FIELD_IDX, 201,
              "max");
    custom_is("code", SV_FTYPE_TEXT, SV_LEVEL_CONFIDENTIAL, SV_FIELD_IDX, 200,
              NULL);
    custom_is("birthday", SV_FTYPE_DATE, SV_LEVEL_CONFIDENTIAL, SV_FIELD_IDX, 0,
              NULL);
}

/* ---- the recycle bin's sweep, against a database ---- */

static struct sv_app app;
static char dir[64];
static struct sv_tenant t1;
#define ADMIN_ID "01900000-0000-7000-8000-0000000000b1"
static const struct sv_actor admin = {ADMIN_ID, "boss", "127.0.0.1", "unit"};

static enum sv_err
tenant_tx(struct sv_dbc *c, void *cls)
{
    return sv_tenant_create_tx(c, app.kr, cls, "test");
}

SV_SQL(Q_TEST_ACCOUNT, "test_records_account",
       "INSERT INTO accounts (tenant_id, id, username, password_hash, "
       "created_at) VALUES ($1, $2, $3, 'x', 0)",
       0);
SV_SQL(Q_TEST_BACKDATE, "test_records_backdate",
       "UPDATE records SET deleted_at = $3 WHERE tenant_id = $1 AND id = $2",
       0);
SV_SQL(Q_TEST_PURGES, "test_records_purges",
       "SELECT COUNT(*) FROM audit_events WHERE tenant_id = $1 "
       "AND action = 'record.purge' AND reason = 'bin_expired' "
       "AND target_id = $2",
       0);

static enum sv_err
account_tx(struct sv_dbc *c, void *cls)
{
    (void)cls;
    return sv_db_exec_ttt(c, &Q_TEST_ACCOUNT, t1.id, ADMIN_ID, "boss") ==
                   SV_QS_ONE
               ? SV_OK
               : SV_E_INTERNAL;
}

struct backdate {
    const char *id;
    int64_t at;
    int64_t purges;
};

static enum sv_err
backdate_tx(struct sv_dbc *c, void *cls)
{
    struct backdate *b = cls;
    return sv_db_exec_tti(c, &Q_TEST_BACKDATE, t1.id, b->id, b->at) == SV_QS_ONE
               ? SV_OK
               : SV_E_INTERNAL;
}

static enum sv_err
purges_tx(struct sv_dbc *c, void *cls)
{
    struct backdate *b = cls;
    struct sv_stmt *st = sv_db_stmt2(c, &Q_TEST_PURGES, t1.id, b->id);
    if (sv_stmt_step(st) != SV_QS_ONE)
        return SV_E_INTERNAL;
    b->purges = sv_stmt_col_int(st, 0);
    return SV_OK;
}

/* A customer named @p name with a sealed phone in @p dept: its id. */
static void
customer(const char *name, const char *dept, char id[37])
{
    json_t *fields =
        json_pack("{s:s, s:s}", "name", name, "phone", "13800138000");
    struct sv_record_input in = {fields, NULL, dept, 0};
    struct sv_record_outcome o = {0};
    json_t *out = NULL;

    assert_int_equal(sv_records_create(app.db, t1.id, SV_RTYPE_CUSTOMER, &in,
                                       &admin, &out, &o),
                     SV_OK);
    snprintf(id, 37, "%s", json_string_value(json_object_get(out, "id")));
    /* The answer masks the phone: the clear number is not in it. */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(out, "fields"), "phone")),
                        "138****8000");
    json_decref(out);
    json_decref(fields);
}

/*
 * Records in the bin for more than SV_RECORD_BIN_DAYS are purged by the
 * sweep, each with a record.purge event (reason bin_expired); one binned
 * a day ago stays and can be restored; a live one is never touched.
 */
static void
test_bin_sweep(void **state)
{
    struct sv_department d;
    const char *field = NULL;
    char old_id[37], fresh_id[37], live_id[37];
    int64_t now = sv_now_ms();
    json_t *out = NULL;
    (void)state;

    assert_int_equal(sv_testapp_open(&app, dir, "records", NULL), 0);
    snprintf(t1.slug, sizeof t1.slug, "acme");
    snprintf(t1.name, sizeof t1.name, "Acme");
    assert_int_equal(sv_db_run_tx(app.db, "t", tenant_tx, &t1), SV_OK);
    sv_testapp_admin(&app, t1.id, ADMIN_ID);
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, account_tx, NULL),
                     SV_OK);
    assert_int_equal(sv_department_create(app.db, t1.id, "Sales", NULL, &admin,
                                          &d, NULL, &field),
                     SV_OK);
    customer("Old", d.id, old_id);
    customer("Fresh", d.id, fresh_id);
    customer("Live", d.id, live_id);
    assert_int_equal(
        sv_records_delete(app.db, t1.id, SV_RTYPE_CUSTOMER, old_id, &admin),
        SV_OK);
    assert_int_equal(
        sv_records_delete(app.db, t1.id, SV_RTYPE_CUSTOMER, fresh_id, &admin),
        SV_OK);
    struct backdate b = {old_id,
                         now - (int64_t)(SV_RECORD_BIN_DAYS + 1) * 86400000, 0};
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, backdate_tx, &b),
                     SV_OK);
    struct backdate f = {fresh_id, now - 86400000, 0};
    assert_int_equal(sv_db_run_tenant_tx(app.db, "t", t1.id, backdate_tx, &f),
                     SV_OK);

    sv_records_sweep(&app);

    assert_int_equal(sv_db_run_tenant_ro(app.db, t1.id, purges_tx, &b), SV_OK);
    assert_int_equal(b.purges, 1);
    assert_int_equal(sv_records_restore(app.db, t1.id, SV_RTYPE_CUSTOMER,
                                        old_id, &admin, &out),
                     SV_E_NOT_FOUND);
    assert_int_equal(sv_db_run_tenant_ro(app.db, t1.id, purges_tx, &f), SV_OK);
    assert_int_equal(f.purges, 0);
    assert_int_equal(sv_records_restore(app.db, t1.id, SV_RTYPE_CUSTOMER,
                                        fresh_id, &admin, &out),
                     SV_OK);
    json_decref(out);
    out = NULL;
    /* A second sweep finds nothing to do. */
    sv_records_sweep(&app);
    struct sv_record_outcome o = {0};
    assert_int_equal(sv_records_get(app.db, t1.id, SV_RTYPE_CUSTOMER, live_id,
                                    NULL, &admin, &out, &o),
                     SV_OK);
    json_decref(out);
    assert_int_equal(sv_testapp_close(&app, dir), 0);
}

/* ---- DATA-4: quota windows and the read meter ---- */

#define T1 "01900000-0000-7000-8000-0000000000t1"
#define A1 "01900000-0000-7000-8000-0000000000a1"
#define A2 "01900000-0000-7000-8000-0000000000a2"
#define DAY (86400 * 1000LL)

static int64_t stored; /* the "database" day total of the flush below */
static int flushes;
static bool fail_flush;

static bool
fake_add(void *cls, const char *tenant_id, const char *account_id, int64_t day,
         int64_t n, int64_t *total)
{
    (void)cls;
    (void)tenant_id;
    (void)day;
    if (strcmp(account_id, A1) != 0)
        return true;
    flushes++;
    if (fail_flush)
        return false;
    stored += n;
    *total = stored;
    return true;
}

/* DATA-6: the four scopes of a role per type, read and write, in the tree
 * Company > Sales > East > Retail and Company > Finance. */
static void
test_scopes(void **state)
{
    const struct sv_access_place east = {
        3, {"east", "sales", "company"}, 0, {NULL}};
    const struct sv_access_place retail = {
        4, {"retail", "east", "sales", "company"}, 0, {NULL}};
    const struct sv_access_place fin = {2, {"fin", "company"}, 0, {NULL}};
    const enum sv_record_type T = SV_RTYPE_CUSTOMER;
    struct sv_record_viewer v;
    struct sv_record_reach r;
    (void)state;

    /* own: the member role, whatever the department. */
    memset(&v, 0, sizeof v);
    v.me = "rep";
    sv_grants_init(&v.g);
    assert_true(sv_record_may(&v, T, SV_RACT_READ, "rep", "east", &east));
    assert_true(sv_record_may(&v, T, SV_RACT_WRITE, "rep", "fin", &fin));
    assert_false(sv_record_may(&v, T, SV_RACT_READ, "ann", "east", &east));
    assert_false(sv_record_may(&v, T, SV_RACT_UNMASK, "rep", "east", &east));
    assert_false(sv_record_may_place(&v, T, "east", &east));
    assert_false(sv_record_viewer_needs_teams(&v));
    sv_record_reach_of(&v, T, SV_RACT_READ, &r);
    assert_true(r.own);
    assert_false(r.all);
    assert_int_equal(r.n, 0);

    /* department: team_read over the tenant, working in East: East's
     * records alone, not Retail's below it, not Finance's; no writes. */
    assert_true(sv_grants_add(&v.g,
                              SV_PERM_BIT(SV_PERM_RECORDS_CUSTOMER_TEAM_READ),
                              SV_SCOPE_TENANT, NULL));
    assert_true(sv_record_viewer_needs_teams(&v));
    assert_true(sv_record_viewer_add_team(&v, "east"));
    assert_true(sv_record_may(&v, T, SV_RACT_READ, "ann", "east", &east));
    assert_false(sv_record_may(&v, T, SV_RACT_READ, "ann", "retail", &retail));
    assert_false(sv_record_may(&v, T, SV_RACT_READ, "ann", "fin", &fin));
    assert_false(sv_record_may(&v, T, SV_RACT_WRITE, "ann", "east", &east));
    assert_false(sv_record_may(&v, SV_RTYPE_CONTACT, SV_RACT_READ, "ann",
                               "east", &east));
    assert_false(sv_record_may_place(&v, T, "east", &east));
    sv_record_reach_of(&v, T, SV_RACT_READ, &r);
    assert_string_equal(r.list, ",=east,");
    assert_int_equal(r.n, 1);
    sv_record_reach_of(&v, T, SV_RACT_WRITE, &r);
    assert_string_equal(r.list, ",");
    assert_true(r.own);
    /* team_write: East's records change, and East is a place for new ones. */
    assert_true(sv_grants_add(&v.g,
                              SV_PERM_BIT(SV_PERM_RECORDS_CUSTOMER_TEAM_WRITE),
                              SV_SCOPE_TENANT, NULL));
    assert_true(sv_record_may(&v, T, SV_RACT_WRITE, "ann", "east", &east));
    assert_true(sv_record_may_place(&v, T, "east", &east));
    assert_false(sv_record_may_place(&v, T, "retail", &retail));
    assert_false(sv_record_may(&v, T, SV_RACT_UNMASK, "ann", "east", &east));

    /* A tenant-kind permission given over a department does nothing. */
    memset(&v, 0, sizeof v);
    v.me = "tia";
    sv_grants_init(&v.g);
    assert_true(sv_grants_add(&v.g,
                              SV_PERM_BIT(SV_PERM_RECORDS_CUSTOMER_TEAM_READ),
                              SV_SCOPE_DEPARTMENT, "east"));
    assert_true(sv_record_viewer_add_team(&v, "east"));
    assert_false(sv_record_may(&v, T, SV_RACT_READ, "ann", "east", &east));

    /* department subtree: read and write over Sales. */
    memset(&v, 0, sizeof v);
    v.me = "mgr";
    sv_grants_init(&v.g);
    assert_true(sv_grants_add(&v.g,
                              SV_PERM_BIT(SV_PERM_RECORDS_CUSTOMER_READ) |
                                  SV_PERM_BIT(SV_PERM_RECORDS_CUSTOMER_WRITE),
                              SV_SCOPE_DEPARTMENT, "sales"));
    assert_false(sv_record_viewer_needs_teams(&v));
    assert_true(sv_record_may(&v, T, SV_RACT_READ, "ann", "east", &east));
    assert_true(sv_record_may(&v, T, SV_RACT_WRITE, "ann", "retail", &retail));
    assert_false(sv_record_may(&v, T, SV_RACT_READ, "ann", "fin", &fin));
    assert_true(sv_record_may_place(&v, T, "retail", &retail));
    assert_false(sv_record_may_place(&v, T, "fin", &fin));
    sv_record_reach_of(&v, T, SV_RACT_READ, &r);
    assert_string_equal(r.list, ",sales,");
    assert_false(r.all);
    /* unmask over East's subtree: Retail's values, not Finance's. */
    assert_true(sv_grants_add(&v.g,
                              SV_PERM_BIT(SV_PERM_RECORDS_CUSTOMER_UNMASK),
                              SV_SCOPE_DEPARTMENT, "east"));
    assert_true(sv_record_may(&v, T, SV_RACT_UNMASK, NULL, NULL, &retail));
    assert_false(sv_record_may(&v, T, SV_RACT_UNMASK, NULL, NULL, &fin));
    assert_false(sv_record_may(&v, T, SV_RACT_SECRET, NULL, NULL, &retail));

    /* all: read over the tenant. */
    assert_true(sv_grants_add(&v.g, SV_PERM_BIT(SV_PERM_RECORDS_CUSTOMER_READ),
                              SV_SCOPE_TENANT, NULL));
    assert_true(sv_record_may(&v, T, SV_RACT_READ, "ann", "fin", &fin));
    assert_false(sv_record_may(&v, T, SV_RACT_WRITE, "ann", "fin", &fin));
    sv_record_reach_of(&v, T, SV_RACT_READ, &r);
    assert_true(r.all);

    /* At most 17 departments one works in. */
    memset(&v, 0, sizeof v);
    for (int i = 0; i < SV_RECORD_TEAMS_MAX; i++)
        assert_true(sv_record_viewer_add_team(&v, "d"));
    assert_false(sv_record_viewer_add_team(&v, "d"));
}

static void
test_quota_windows(void **state)
{
    int64_t t = 20000 * DAY + 3600 * 1000LL + 30 * 1000; /* 01:00:30 UTC */
    (void)state;

    assert_int_equal(sv_quota_day(t), 20000);
    assert_int_equal(sv_quota_retry_after(SV_QUOTA_READS_MINUTE, t), 30);
    assert_int_equal(sv_quota_retry_after(SV_QUOTA_READS_DAY, t),
                     86400 - 3600 - 30);
    assert_int_equal(sv_quota_retry_after(SV_QUOTA_READS_MINUTE, t + 29999), 1);
    /* The names records_http_quotas_set() parses, in kind order. */
    assert_string_equal(sv_quota_name(SV_QUOTA_READS_MINUTE),
                        "reads_per_minute");
    assert_string_equal(sv_quota_name(SV_QUOTA_READS_DAY), "reads_per_day");
    assert_string_equal(sv_quota_name(SV_QUOTA_UNMASKS_DAY), "unmasks_per_day");
    assert_string_equal(sv_quota_name(SV_QUOTA_EXPORT_ROWS_DAY),
                        "export_rows_per_day");
    assert_null(sv_quota_name(SV_QUOTA__COUNT));
    for (int k = 0; k < SV_QUOTA__COUNT; k++) {
        assert_true(sv_quota_defaults.v[k] >= sv_quota_min[k]);
        assert_true(sv_quota_defaults.v[k] <= sv_quota_max[k]);
    }
}

static void
test_meter(void **state)
{
    int64_t t = 20000 * DAY + 10 * 60 * 1000LL + 55000; /* 00:10:55 */
    struct sv_quota_limits lim = sv_quota_defaults;
    bool stale;
    (void)state;

    sv_meter_fini();
    stored = 0;
    /* Unknown: stale, never refused from memory. */
    assert_int_equal(sv_meter_check(T1, A1, t, &stale), SV_QUOTA__COUNT);
    assert_true(stale);
    lim.v[SV_QUOTA_READS_MINUTE] = 5;
    lim.v[SV_QUOTA_READS_DAY] = 12;
    assert_true(sv_meter_load(T1, A1, t, &lim, 3)); /* 3 read elsewhere */
    assert_true(sv_meter_load(T1, A2, t, &lim, 0));
    assert_int_equal(sv_meter_check(T1, A1, t, &stale), SV_QUOTA__COUNT);
    assert_false(stale);
    /* The minute: 5 reads, then refused; the next minute starts over. */
    sv_meter_add(T1, A1, t, 4);
    assert_int_equal(sv_meter_check(T1, A1, t + 1, &stale), SV_QUOTA__COUNT);
    sv_meter_add(T1, A1, t + 1, 1);
    assert_int_equal(sv_meter_check(T1, A1, t + 2, &stale),
                     SV_QUOTA_READS_MINUTE);
    assert_int_equal(sv_meter_check(T1, A2, t + 2, &stale), SV_QUOTA__COUNT);
    /* Another minute: 3 + 5 + 4 = 12 for the day: refused by the day. */
    sv_meter_add(T1, A1, t + 5000, 4);
    assert_int_equal(sv_meter_check(T1, A1, t + 5001, &stale),
                     SV_QUOTA_READS_DAY);
    /* One report per kind and day. */
    assert_true(sv_meter_first_refusal(T1, A1, SV_QUOTA_READS_DAY, t + 5001));
    assert_false(sv_meter_first_refusal(T1, A1, SV_QUOTA_READS_DAY, t + 5002));
    assert_true(
        sv_meter_first_refusal(T1, A1, SV_QUOTA_READS_MINUTE, t + 5002));
    /* A failed flush keeps the counts; a good one adds them once. */
    fail_flush = true;
    assert_int_equal(sv_meter_flush(t + 5003, fake_add, NULL), 0);
    assert_int_equal(stored, 0);
    fail_flush = false;
    stored = 3; /* what the other node wrote */
    flushes = 0;
    sv_meter_flush(t + 5004, fake_add, NULL);
    assert_int_equal(flushes, 1);
    assert_int_equal(stored, 12);
    sv_meter_flush(t + 5005, fake_add, NULL);
    assert_int_equal(flushes, 1); /* nothing new: nothing written */
    /* Still over by the stored total (fresh within ten seconds). */
    assert_int_equal(sv_meter_check(T1, A1, t + 5006, &stale),
                     SV_QUOTA_READS_DAY);
    /* Ten seconds on, stale: not refused from memory until reloaded; a
     * raised limit then lets the account read. */
    assert_int_equal(sv_meter_check(T1, A1, t + 20000, &stale),
                     SV_QUOTA__COUNT);
    assert_true(stale);
    lim.v[SV_QUOTA_READS_DAY] = 100;
    assert_true(sv_meter_load(T1, A1, t + 20000, &lim, stored));
    assert_int_equal(sv_meter_check(T1, A1, t + 20001, &stale),
                     SV_QUOTA__COUNT);
    /* The next day starts from nothing, the reports too. */
    assert_int_equal(sv_meter_check(T1, A1, t + DAY, &stale), SV_QUOTA__COUNT);
    assert_true(stale);
    assert_true(sv_meter_load(T1, A1, t + DAY, &lim, 0));
    assert_true(sv_meter_first_refusal(T1, A1, SV_QUOTA_READS_DAY, t + DAY));
    /* Idle accounts with nothing to write are forgotten. */
    assert_int_equal(sv_meter_size(), 2);
    sv_meter_flush(t + DAY + 6 * 60 * 1000LL, fake_add, NULL);
    assert_int_equal(sv_meter_size(), 0);
    sv_meter_fini();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_table),  cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_canon),         cmocka_unit_test(test_mask),
        cmocka_unit_test(test_custom_fields), cmocka_unit_test(test_bin_sweep),
        cmocka_unit_test(test_quota_windows), cmocka_unit_test(test_meter),
        cmocka_unit_test(test_scopes),
    };
    if (sodium_init() < 0)
        return 1;
    sv_json_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
