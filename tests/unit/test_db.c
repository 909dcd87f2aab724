/*
 * DR-1 / DIR-1 on PostgreSQL: the engine behind db.h, and row-level security
 * as a second wall. Needs a cluster from scripts/pg-cluster.sh (port in
 * SV_TEST_PG_PORT, roles postgres, sv_owner, sv_app); without one the
 * PostgreSQL-only tests are skipped and the rest run on SQLite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "audit/audit.h"
#include "core/config.h"
#include "crypto/password.h"
#include "db/db.h"
#include "directory/tenant.h"
#include "identity/identity.h"

struct fixture {
    char dir[64];
    char dbname[64];
    const char *port;
    struct sv_config cfg;
    struct sv_keyring *kr;
    struct sv_db *db;
    struct sv_tenant a, b;
    struct sv_account a_user, b_user;
    PGconn *app; /* raw connection as the server's role */
};

static PGconn *
connect_as(struct fixture *f, const char *user, const char *db)
{
    char conninfo[256];
    snprintf(conninfo, sizeof conninfo,
             "host=127.0.0.1 port=%s user=%s dbname=%s", f->port, user, db);
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("connect %s: %s", user, PQerrorMessage(c));
    return c;
}

static void
exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK &&
        PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
}

static long
count(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    long n = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return n;
}

/* SQLSTATE of a statement expected to fail. */
static char *
fails_with(PGconn *c, const char *sql)
{
    static char state[8];
    PGresult *r = PQexec(c, sql);
    const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    snprintf(state, sizeof state, "%s", s ? s : "ok");
    PQclear(r);
    return state;
}

struct seed_ctx {
    struct fixture *f;
    struct sv_tenant *t;
    struct sv_account *acc;
    const char *user;
};

static enum sv_err
seed_tx(struct sv_dbc *c, void *cls)
{
    struct seed_ctx *s = cls;
    struct sv_actor actor = {NULL, "test", NULL, NULL};
    char hash[SV_HASH_LEN];
    struct sv_pwparams pw = {1, 8u << 20};
    enum sv_err rc = sv_tenant_create_tx(c, s->f->kr, s->t, "test");
    if (rc != SV_OK)
        return rc;
    if (sv_password_hash(&pw, "Xy7!abcdef", 10, hash) != SV_OK)
        return SV_E_INTERNAL;
    return sv_account_create_tx(c, s->t, s->user, SV_ROLE_MEMBER,
                                "someone@example.com", hash, &actor, s->acc);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[512], sql[160];

    /* Without a cluster, a SQLite file: the engine-neutral tests run. */
    f->port = getenv("SV_TEST_PG_PORT");
    *state = f;
    snprintf(f->dir, sizeof f->dir, "/tmp/sv-db-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    sv_config_defaults(&f->cfg, f->dir);
    if (f->port != NULL) {
        snprintf(f->dbname, sizeof f->dbname, "sv_unit_%d", (int)getpid());
        PGconn *admin = connect_as(f, "postgres", "postgres");
        snprintf(sql, sizeof sql, "CREATE DATABASE %s OWNER sv_owner",
                 f->dbname);
        exec_ok(admin, sql);
        PQfinish(admin);
        snprintf(f->cfg.db_url, sizeof f->cfg.db_url,
                 "postgres://sv_app@127.0.0.1:%s/%s", f->port, f->dbname);
        snprintf(f->cfg.db_migrate_url, sizeof f->cfg.db_migrate_url,
                 "postgres://sv_owner@127.0.0.1:%s/%s", f->port, f->dbname);
    }
    assert_int_equal(sv_keyring_create_file(f->cfg.root_key_file), SV_OK);
    assert_int_equal(
        sv_keyring_load(f->cfg.root_key_file, &f->kr, err, sizeof err), SV_OK);
    sv_tenant_keys_init(f->kr);
    sv_audit_init(f->kr);
    if (sv_db_open(&f->cfg, 2, &f->db, err, sizeof err) != SV_OK)
        fail_msg("open: %s", err);

    snprintf(f->a.slug, sizeof f->a.slug, "alpha");
    snprintf(f->a.name, sizeof f->a.name, "Alpha");
    snprintf(f->b.slug, sizeof f->b.slug, "bravo");
    snprintf(f->b.name, sizeof f->b.name, "Bravo");
    struct seed_ctx sa = {f, &f->a, &f->a_user, "anna"};
    struct seed_ctx sb = {f, &f->b, &f->b_user, "bert"};
    assert_int_equal(sv_db_run_tx(f->db, "seed", seed_tx, &sa), SV_OK);
    assert_int_equal(sv_db_run_tx(f->db, "seed", seed_tx, &sb), SV_OK);
    if (f->port != NULL)
        f->app = connect_as(f, "sv_app", f->dbname);
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char sql[160], cmd[128];

    sv_db_free(f->db);
    sv_tenant_keys_fini();
    sv_audit_init(NULL);
    sv_keyring_free(f->kr);
    if (f->port != NULL) {
        PQfinish(f->app);
        PGconn *admin = connect_as(f, "postgres", "postgres");
        snprintf(sql, sizeof sql, "DROP DATABASE %s WITH (FORCE)", f->dbname);
        exec_ok(admin, sql);
        PQfinish(admin);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

#define NEED_PG(f)                                                             \
    do {                                                                       \
        if ((f)->port == NULL)                                                 \
            skip();                                                            \
    } while (0)

static void
test_db_rls_no_scope_no_rows(void **state)
{
    struct fixture *f = *state;
    NEED_PG(f);
    /* The data is there (seen through the tenant scope below) ... These are
     * the tables the fixture seeds; that every tenant table has row-level
     * security is test_db_rls_on_every_tenant_table. */
    static const char *const tables[] = {"accounts", "sessions", "tenant_keys",
                                         "audit_events", "audit_heads"};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
        /* ... but a query without the tenant setting returns nothing. */
        if (count(f->app, sql) != 0)
            fail_msg("%s: rows visible without a tenant scope", tables[i]);
    }
    /* The tenant directory itself is not tenant data. */
    assert_int_equal(count(f->app, "SELECT count(*) FROM tenants"), 2);
}

/*
 * Tables with a tenant_id column that have no row-level security, on
 * purpose. Keep it short and say why.
 */
static const char *const rls_exempt[] = {
    /* A login in progress: before the password is right no tenant is
     * known, so it is a platform table looked up by id and token hash;
     * every statement on it is SV_SQL_PLATFORM (003, PostgreSQL file). */
    "challenges",
};

/*
 * Every table with a tenant_id column, read from the catalogue (not kept by
 * hand), has row-level security enabled and forced (the owner is bound too)
 * and a policy on salesvault.tenant_id: a new tenant table cannot ship
 * without its wall.
 */
static void
test_db_rls_on_every_tenant_table(void **state)
{
    struct fixture *f = *state;
    bool seen[sizeof rls_exempt / sizeof *rls_exempt] = {false};
    int problems = 0;
    NEED_PG(f);

    /* As the superuser: information_schema shows only what one may use. */
    PGconn *su = connect_as(f, "postgres", f->dbname);
    PGresult *r =
        PQexec(su, "SELECT c.table_name, k.relrowsecurity, "
                   "k.relforcerowsecurity, (SELECT count(*) FROM pg_policies p "
                   "WHERE p.schemaname = c.table_schema AND p.tablename = "
                   "c.table_name AND (p.qual LIKE '%salesvault.tenant_id%' "
                   "OR p.with_check LIKE '%salesvault.tenant_id%')) "
                   "FROM information_schema.columns c JOIN pg_class k "
                   "ON k.relname = c.table_name "
                   "AND k.relnamespace = c.table_schema::text::regnamespace "
                   "WHERE c.column_name = 'tenant_id' "
                   "AND c.table_schema = current_schema() "
                   "AND k.relkind IN ('r', 'p') ORDER BY 1");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("catalogue: %s", PQresultErrorMessage(r));
    int rows = PQntuples(r);
    for (int i = 0; i < rows; i++) {
        const char *table = PQgetvalue(r, i, 0);
        bool exempt = false;
        for (size_t e = 0; e < sizeof rls_exempt / sizeof *rls_exempt; e++)
            if (strcmp(table, rls_exempt[e]) == 0)
                exempt = seen[e] = true;
        if (exempt)
            continue;
        if (strcmp(PQgetvalue(r, i, 1), "t") != 0 ||
            strcmp(PQgetvalue(r, i, 2), "t") != 0) {
            print_error("%s: has tenant_id but row-level security is not "
                        "enabled and forced\n",
                        table);
            problems++;
        }
        if (atol(PQgetvalue(r, i, 3)) == 0) {
            print_error("%s: has tenant_id but no policy on "
                        "salesvault.tenant_id\n",
                        table);
            problems++;
        }
    }
    PQclear(r);
    PQfinish(su);
    for (size_t e = 0; e < sizeof rls_exempt / sizeof *rls_exempt; e++)
        if (!seen[e]) {
            print_error("%s: in rls_exempt but not a table with tenant_id\n",
                        rls_exempt[e]);
            problems++;
        }
    assert_true(rows > 10); /* the catalogue really was read */
    if (problems > 0)
        fail_msg("%d row-level security problem(s) on tenant tables", problems);
}

static void
test_db_rls_tenant_scope(void **state)
{
    struct fixture *f = *state;
    char sql[256];
    NEED_PG(f);

    exec_ok(f->app, "BEGIN");
    snprintf(sql, sizeof sql,
             "SELECT set_config('salesvault.tenant_id', '%s', true)", f->a.id);
    exec_ok(f->app, sql);
    assert_int_equal(count(f->app, "SELECT count(*) FROM accounts"), 1);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM accounts WHERE tenant_id = '%s'", f->b.id);
    assert_int_equal(count(f->app, sql), 0); /* never B's rows */
    assert_int_equal(count(f->app, "SELECT count(*) FROM tenant_keys"), 1);
    /* Its own stream's events, not the platform's nor B's. */
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM audit_events WHERE tenant_id <> '%s' "
             "OR tenant_id IS NULL",
             f->a.id);
    assert_int_equal(count(f->app, sql), 0);
    assert_true(count(f->app, "SELECT count(*) FROM audit_events") >= 2);
    /* Writing a row into B while scoped to A is refused. */
    snprintf(sql, sizeof sql,
             "UPDATE accounts SET username = 'taken' WHERE tenant_id = '%s'",
             f->b.id);
    exec_ok(f->app, sql); /* matches no visible row: changes nothing */
    snprintf(sql, sizeof sql,
             "INSERT INTO accounts (tenant_id, id, username, "
             "password_hash, created_at) VALUES ('%s', 'x', 'intruder', "
             "'h', 0)",
             f->b.id);
    assert_string_equal(fails_with(f->app, sql), "42501");
    exec_ok(f->app, "ROLLBACK");
    snprintf(sql, sizeof sql, "SELECT username FROM accounts WHERE id = '%s'",
             f->b_user.id);
    /* (checked as the owner would see it, through B's scope) */
    exec_ok(f->app, "BEGIN");
    char scope[160];
    snprintf(scope, sizeof scope,
             "SELECT set_config('salesvault.tenant_id', '%s', true)", f->b.id);
    exec_ok(f->app, scope);
    PGresult *r = PQexec(f->app, sql);
    assert_int_equal(PQntuples(r), 1);
    assert_string_equal(PQgetvalue(r, 0, 0), f->b_user.username);
    PQclear(r);
    exec_ok(f->app, "ROLLBACK");
}

static void
test_db_app_role_rights(void **state)
{
    struct fixture *f = *state;
    char sql[160];
    NEED_PG(f);

    /* Owns nothing, bypasses nothing. */
    assert_int_equal(count(f->app, "SELECT count(*) FROM pg_roles WHERE "
                                   "rolname = current_user AND "
                                   "(rolsuper OR rolbypassrls)"),
                     0);
    assert_int_equal(count(f->app, "SELECT count(*) FROM pg_tables WHERE "
                                   "tableowner = current_user"),
                     0);
    /* Audit events: append only, even with the right scope. */
    exec_ok(f->app, "BEGIN");
    snprintf(sql, sizeof sql,
             "SELECT set_config('salesvault.tenant_id', '%s', true)", f->a.id);
    exec_ok(f->app, sql);
    assert_string_equal(fails_with(f->app, "UPDATE audit_events SET ip = 'x'"),
                        "42501");
    exec_ok(f->app, "ROLLBACK");
    assert_string_equal(fails_with(f->app, "DELETE FROM audit_events"),
                        "42501");
    assert_string_equal(fails_with(f->app, "DROP TABLE accounts"), "42501");
}

struct find_ctx {
    const char *tenant_id, *id;
    struct sv_account out;
};

static enum sv_err
find_tx(struct sv_dbc *c, void *cls)
{
    struct find_ctx *fc = cls;
    return sv_account_find(c, fc->tenant_id, fc->id, &fc->out);
}

static void
test_db_capabilities_round_trip(void **state)
{
    struct fixture *f = *state;
    NEED_PG(f);
    struct find_ctx fc = {.tenant_id = f->a.id, .id = f->a_user.id};

    /* Sealed e-mail, integers, text: all back as they went in. */
    assert_int_equal(sv_db_run_tenant_ro(f->db, fc.tenant_id, find_tx, &fc),
                     SV_OK);
    assert_string_equal(fc.out.username, "anna");
    assert_true(fc.out.has_email);
    assert_string_equal(fc.out.email, "someone@example.com");
    assert_true(fc.out.must_change_password);
    assert_true(fc.out.created_at > 1700000000000LL);
    /* B's id through A's scope: not found. */
    struct find_ctx cross = {.tenant_id = f->a.id, .id = f->b_user.id};
    assert_int_equal(
        sv_db_run_tenant_ro(f->db, cross.tenant_id, find_tx, &cross),
        SV_E_NOT_FOUND);
}

/* Every account row the transaction may see: no tenant filter of its own. */
SV_SQL(Q_T_ACCOUNTS, "test_db_visible_accounts",
       "SELECT count(*) FROM accounts", SV_SQL_PLATFORM);

struct probe_ctx {
    const struct fixture *f;
    bool retry_first; /* fail the first attempt as busy */
    int calls;
    char scope[40]; /* sv_dbc_tenant_scope() at the last call, "" none */
    int64_t visible;
    enum sv_err own, other;
};

static enum sv_err
probe_tx(struct sv_dbc *c, void *cls)
{
    struct probe_ctx *p = cls;
    const char *t = sv_dbc_tenant_scope(c);
    struct sv_account a;
    struct sv_stmt *st;

    p->calls++;
    snprintf(p->scope, sizeof p->scope, "%s", t != NULL ? t : "");
    if (p->retry_first && p->calls == 1)
        return SV_E_DB_RETRY; /* the next attempt must be scoped anew */
    st = sv_db_stmt(c, &Q_T_ACCOUNTS);
    if (sv_stmt_step(st) != SV_QS_ONE)
        return SV_E_INTERNAL;
    p->visible = sv_stmt_col_int(st, 0);
    /* A's own account; B's, asked for by B's id (no $1 wall to stop it). */
    p->own = sv_account_find(c, p->f->a.id, p->f->a_user.id, &a);
    p->other = sv_account_find(c, p->f->b.id, p->f->b_user.id, &a);
    sodium_memzero(&a, sizeof a);
    return SV_OK;
}

/*
 * sv_db_run_tenant_tx() / _ro() scope the tenant before the callback, on
 * every attempt: the callback sees its tenant's rows and (PostgreSQL, RLS)
 * no other's. On SQLite the scope is recorded but not enforced.
 */
static void
test_db_run_tenant_scopes(void **state)
{
    struct fixture *f = *state;
    bool pg = f->port != NULL;
    struct probe_ctx ro = {.f = f};
    struct probe_ctx tx = {.f = f, .retry_first = true};
    struct probe_ctx bare = {.f = f};

    assert_int_equal(sv_db_run_tenant_ro(f->db, f->a.id, probe_tx, &ro), SV_OK);
    assert_int_equal(ro.calls, 1);
    assert_string_equal(ro.scope, f->a.id);
    assert_int_equal(ro.own, SV_OK);
    assert_int_equal(ro.visible, pg ? 1 : 2);
    assert_int_equal(ro.other, pg ? SV_E_NOT_FOUND : SV_OK);

    assert_int_equal(
        sv_db_run_tenant_tx(f->db, "probe", f->a.id, probe_tx, &tx), SV_OK);
    assert_int_equal(tx.calls, 2);
    assert_string_equal(tx.scope, f->a.id); /* again on the retry */
    assert_int_equal(tx.own, SV_OK);
    assert_int_equal(tx.visible, pg ? 1 : 2);
    assert_int_equal(tx.other, pg ? SV_E_NOT_FOUND : SV_OK);

    /* The platform runner scopes nothing: RLS shows no tenant's rows. */
    assert_int_equal(sv_db_run_ro(f->db, probe_tx, &bare), SV_OK);
    assert_string_equal(bare.scope, "");
    assert_int_equal(bare.visible, pg ? 0 : 2);
    assert_int_equal(bare.own, pg ? SV_E_NOT_FOUND : SV_OK);
}

/* No tenant is a bug of the caller: refused, the callback never runs. */
static void
test_db_run_tenant_needs_tenant(void **state)
{
    struct fixture *f = *state;
    struct probe_ctx p = {.f = f};

    assert_int_equal(sv_db_run_tenant_tx(f->db, "probe", NULL, probe_tx, &p),
                     SV_E_INTERNAL);
    assert_int_equal(sv_db_run_tenant_tx(f->db, "probe", "", probe_tx, &p),
                     SV_E_INTERNAL);
    assert_int_equal(sv_db_run_tenant_ro(f->db, NULL, probe_tx, &p),
                     SV_E_INTERNAL);
    assert_int_equal(sv_db_run_tenant_ro(f->db, "", probe_tx, &p),
                     SV_E_INTERNAL);
    assert_int_equal(p.calls, 0);
}

struct verify_ctx {
    const char *stream;
    struct sv_audit_verdict v;
};

static enum sv_err
verify_tx(struct sv_dbc *c, void *cls)
{
    struct verify_ctx *v = cls;
    return sv_audit_verify_stream(c, v->stream, &v->v);
}

static void
test_db_audit_chains_verify(void **state)
{
    struct fixture *f = *state;
    NEED_PG(f);
    struct verify_ctx p = {.stream = SV_AUDIT_PLATFORM},
                      a = {.stream = f->a.id};

    assert_int_equal(sv_db_run_ro(f->db, verify_tx, &p), SV_OK);
    assert_true(p.v.ok);
    assert_int_equal(p.v.events, 2); /* two tenants created */
    assert_int_equal(sv_db_run_ro(f->db, verify_tx, &a), SV_OK);
    assert_true(a.v.ok);
    assert_int_equal(a.v.events, 2); /* tenant.created, account.created */
}

/*
 * Every statement the binary declares prepares on PostgreSQL, as the
 * server's own role, with parameter types inferred as the driver leaves
 * them: a statement only some rare path runs cannot hide a syntax or
 * typing error until production.
 */
static void
test_db_every_statement_prepares(void **state)
{
    struct fixture *f = *state;
    NEED_PG(f);
    char name[32];
    int i = 0;

    for (const struct sv_sql *q = __start_sv_sql; q < __stop_sv_sql; q++) {
        snprintf(name, sizeof name, "check_%d", i++);
        PGresult *r = PQprepare(f->app, name, SV_SQL_PG_TEXT(q), 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("%s: %s", q->name, PQerrorMessage(f->app));
        PQclear(r);
    }
    assert_true(i > 100);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_db_every_statement_prepares),
        cmocka_unit_test(test_db_rls_no_scope_no_rows),
        cmocka_unit_test(test_db_rls_on_every_tenant_table),
        cmocka_unit_test(test_db_rls_tenant_scope),
        cmocka_unit_test(test_db_app_role_rights),
        cmocka_unit_test(test_db_capabilities_round_trip),
        cmocka_unit_test(test_db_audit_chains_verify),
        cmocka_unit_test(test_db_run_tenant_scopes),
        cmocka_unit_test(test_db_run_tenant_needs_tenant),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
