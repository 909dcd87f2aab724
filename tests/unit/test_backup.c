/*
 * DR-3: the backup file format. Round trip through a restore; every kind of
 * damage refused before anything is written.
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
#include <sodium.h>
#include <sqlite3.h>

#include "app.h"
#include "backup/backup.h"
#include "backup/backup_store.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "testdb.h"

struct fixture {
    char src[64], dst[64];
    struct sv_app a, b;
    uint8_t *file;
    size_t file_len;
};

static void
make_dir(char *dir, const char *root_key_from)
{
    char cmd[512];
    snprintf(dir, 64, "/tmp/sv-bk-XXXXXX");
    assert_non_null(mkdtemp(dir));
    if (root_key_from != NULL) {
        snprintf(cmd, sizeof cmd, "cp %s/root.key %s/root.key", root_key_from,
                 dir);
        assert_int_equal(system(cmd), 0);
    }
    /* A restore target shares the source's key store (the tenants'
     * master keys), as the nodes of one installation do. */
    snprintf(cmd, sizeof cmd,
             "printf '[password]\\nopslimit = 1\\nmemlimit_kib = 8192\\n"
             "blocklist =\\n[keys]\\ntenant_key_dir = %s/keys\\n' > "
             "%s/salesvault.conf",
             root_key_from != NULL ? root_key_from : dir, dir);
    assert_int_equal(system(cmd), 0);
    if (root_key_from == NULL) {
        char path[128];
        snprintf(path, sizeof path, "%s/root.key", dir);
        assert_int_equal(sv_keyring_create_file(path), SV_OK);
    }
}

struct seed_ctx {
    struct sv_app *app;
    const char *slug;
    char tenant_id[37];
};

static enum sv_err
seed_tx(struct sv_dbc *c, void *cls)
{
    struct seed_ctx *s = cls;
    struct sv_tenant t = {0};
    struct sv_actor actor = {NULL, "test", "127.0.0.1", "unit"};
    char hash[SV_HASH_LEN], name[32];
    enum sv_err rc;

    snprintf(t.slug, sizeof t.slug, "%s", s->slug);
    snprintf(t.name, sizeof t.name, "Tenant %s", s->slug);
    rc = sv_tenant_create_tx(c, s->app->kr, &t, "test");
    if (rc != SV_OK)
        return rc;
    memcpy(s->tenant_id, t.id, sizeof s->tenant_id);
    if (sv_password_hash(&s->app->pw, "Xy7!abcdef", 10, hash) != SV_OK)
        return SV_E_INTERNAL;
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "user%02d", i);
        rc = sv_account_create_tx(c, &t, name, SV_ROLE_MEMBER,
                                  i % 2 ? "x@example.com" : NULL, hash, &actor,
                                  NULL);
        if (rc != SV_OK)
            return rc;
    }
    return SV_OK;
}

static void
backup_to_memory(struct fixture *f)
{
    struct sv_backup_stats st;
    char err[256];
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);

    assert_non_null(mem);
    assert_int_equal(sv_backup_write(&f->a, mem, NULL, &st, err, sizeof err),
                     SV_OK);
    fclose(mem);
    f->file = (uint8_t *)buf;
    f->file_len = len;
    assert_true(st.rows >= 2 + 2 + 100 + 2 * 51 + 3);
}

/*
 * A department tree whose parent is younger than its child (moved under
 * it): the backup must restore parents first, not by id. 3 departments,
 * 6 closure rows.
 */
static void
seed_departments(struct sv_app *a, const char *tenant_id)
{
    const struct sv_actor actor = {"01900000-0000-7000-8000-00000000ad01",
                                   "test", "127.0.0.1", "unit"};
    struct sv_department old, young, child;
    struct sv_department_change chg = {NULL, true, NULL};
    const char *field;

    sv_testapp_admin(a, tenant_id, actor.account_id);
    assert_int_equal(sv_department_create(a->db, tenant_id, "Old", NULL, &actor,
                                          &old, NULL, &field),
                     SV_OK);
    assert_int_equal(sv_department_create(a->db, tenant_id, "Child", old.id,
                                          &actor, &child, NULL, &field),
                     SV_OK);
    assert_int_equal(sv_department_create(a->db, tenant_id, "Young", NULL,
                                          &actor, &young, NULL, &field),
                     SV_OK);
    chg.parent_id = young.id;
    assert_int_equal(sv_department_update(a->db, tenant_id, old.id, &chg,
                                          &actor, &old, NULL, &field),
                     SV_OK);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];

    make_dir(f->src, NULL);
    make_dir(f->dst, f->src);
    assert_int_equal(sv_app_open(&f->a, f->src, 1, err, sizeof err), SV_OK);
    struct seed_ctx s1 = {&f->a, "alpha"}, s2 = {&f->a, "bravo"};
    assert_int_equal(sv_db_run_tx(f->a.db, "seed", seed_tx, &s1), SV_OK);
    assert_int_equal(sv_db_run_tx(f->a.db, "seed", seed_tx, &s2), SV_OK);
    seed_departments(&f->a, s1.tenant_id);
    backup_to_memory(f);
    sv_app_close(&f->a);
    assert_int_equal(sv_app_open(&f->b, f->dst, 1, err, sizeof err), SV_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[256];
    sv_app_close(&f->b);
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", f->src, f->dst);
    assert_int_equal(system(cmd), 0);
    free(f->file);
    free(f);
    return 0;
}

static enum sv_err
restore_bytes(struct fixture *f, const uint8_t *p, size_t n, char *err)
{
    struct sv_backup_stats st;
    FILE *in = fmemopen((void *)p, n ? n : 1, "rb");
    enum sv_err rc;
    if (n == 0) { /* fmemopen refuses size 0: an empty file */
        fclose(in);
        in = fopen("/dev/null", "rb");
    }
    rc = sv_backup_restore(&f->b, in, false, NULL, &st, err, 256);
    fclose(in);
    return rc;
}

static enum sv_err
verify_bytes(struct fixture *f, const uint8_t *p, size_t n, char *err)
{
    struct sv_backup_stats st;
    FILE *in = fmemopen((void *)p, n, "rb");
    enum sv_err rc = sv_backup_verify(&f->b, in, &st, err, 256);
    fclose(in);
    return rc;
}

static int64_t
count_rows(struct fixture *f, const char *table)
{
    char path[128], sql[64];
    sqlite3 *h;
    sqlite3_stmt *st;
    int64_t n;
    snprintf(path, sizeof path, "%s/salesvault.db", f->dst);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void
test_backup_round_trip(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";

    assert_int_equal(verify_bytes(f, f->file, f->file_len, err), SV_OK);
    assert_int_equal(restore_bytes(f, f->file, f->file_len, err), SV_OK);
    assert_int_equal(count_rows(f, "tenants"), 2);
    assert_int_equal(count_rows(f, "accounts"), 100);
    assert_int_equal(count_rows(f, "tenant_keys"), 2);
    assert_int_equal(count_rows(f, "audit_heads"), 3);
    assert_int_equal(count_rows(f, "departments"), 3);
    assert_int_equal(count_rows(f, "department_paths"), 6);
    /* A second restore into the now non-empty database is refused. */
    assert_int_not_equal(restore_bytes(f, f->file, f->file_len, err), SV_OK);
    assert_non_null(strstr(err, "not empty"));
    assert_int_equal(count_rows(f, "accounts"), 100);
}

static void
test_backup_no_plaintext(void **state)
{
    struct fixture *f = *state;
    /* Names, hashes and e-mails are in the rows: none may show. */
    assert_null(memmem(f->file, f->file_len, "user07", 6));
    assert_null(memmem(f->file, f->file_len, "argon2id", 8));
    assert_null(memmem(f->file, f->file_len, "example.com", 11));
}

static void
test_backup_refuses_damage(void **state)
{
    struct fixture *f = *state;
    uint8_t *copy = malloc(f->file_len + 16);
    char err[256];

    /* One flipped bit anywhere: header, secretstream header, lengths,
     * ciphertext, tags. Nothing restored. */
    for (size_t i = 0; i < f->file_len; i += (i < 64 ? 1 : 97)) {
        memcpy(copy, f->file, f->file_len);
        copy[i] ^= 0x10;
        if (verify_bytes(f, copy, f->file_len, err) == SV_OK)
            fail_msg("a flipped bit at byte %zu was accepted", i);
        if (restore_bytes(f, copy, f->file_len, err) == SV_OK)
            fail_msg("a flipped bit at byte %zu was restored", i);
    }
    assert_int_equal(count_rows(f, "tenants"), 0);
    /* Truncated at every length up to the header, and at random points. */
    for (size_t n = 0; n < f->file_len; n += (n < 80 ? 1 : 131)) {
        if (verify_bytes(f, f->file, n, err) == SV_OK)
            fail_msg("a file truncated to %zu bytes was accepted", n);
    }
    assert_int_not_equal(restore_bytes(f, f->file, f->file_len - 1, err),
                         SV_OK);
    assert_non_null(strstr(err, "truncated"));
    /* Data appended after the final chunk. */
    memcpy(copy, f->file, f->file_len);
    memcpy(copy + f->file_len, "EXTRA", 5);
    assert_int_not_equal(verify_bytes(f, copy, f->file_len + 5, err), SV_OK);
    assert_int_equal(count_rows(f, "tenants"), 0);
    free(copy);
}

/*
 * DATA-7: each tenant is a segment of its own, under a key from its master
 * key. A tenant deleted after the backup (its master key shredded) is
 * skipped by verify and restore, whole; the other tenant restores as it
 * was. The list of segments is checked: none can be cut out unnoticed.
 */
static void
test_backup_deleted_tenant_stays_deleted(void **state)
{
    struct fixture *f = *state;
    struct sv_backup_stats st;
    char err[256] = "", alpha[37] = "";
    sqlite3 *h;
    sqlite3_stmt *q;
    char path[128];

    /* alpha's id, from the source database. */
    snprintf(path, sizeof path, "%s/salesvault.db", f->src);
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT id FROM tenants "
                                        "WHERE slug = 'alpha'",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    snprintf(alpha, sizeof alpha, "%s",
             (const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(h);
    /* The destination shares the key store: shred alpha's master key. */
    assert_int_equal(sv_keyring_tmk_shred(f->b.kr, alpha), SV_OK);
    FILE *in = fmemopen(f->file, f->file_len, "rb");
    assert_int_equal(sv_backup_verify(&f->b, in, &st, err, sizeof err), SV_OK);
    fclose(in);
    assert_int_equal(st.tenants_skipped, 1);
    /* Refused unless told: a key store copied wrong looks the same. */
    in = fmemopen(f->file, f->file_len, "rb");
    assert_int_not_equal(
        sv_backup_restore(&f->b, in, false, NULL, &st, err, sizeof err), SV_OK);
    fclose(in);
    assert_non_null(strstr(err, "--skip-deleted"));
    assert_int_equal(count_rows(f, "tenants"), 0);
    in = fmemopen(f->file, f->file_len, "rb");
    assert_int_equal(
        sv_backup_restore(&f->b, in, true, NULL, &st, err, sizeof err), SV_OK);
    fclose(in);
    assert_int_equal(st.tenants_skipped, 1);
    assert_int_equal(count_rows(f, "tenants"), 1);
    assert_int_equal(count_rows(f, "accounts"), 50);
    assert_int_equal(count_rows(f, "tenant_keys"), 1);
    assert_int_equal(count_rows(f, "departments"), 0); /* alpha's only */
}

static void
test_backup_needs_the_root_key(void **state)
{
    struct fixture *f = *state;
    struct sv_app other;
    char dir[64], err[256];
    struct sv_backup_stats st;

    make_dir(dir, NULL); /* a different root key */
    assert_int_equal(sv_app_open(&other, dir, 1, err, sizeof err), SV_OK);
    FILE *in = fmemopen(f->file, f->file_len, "rb");
    assert_int_not_equal(sv_backup_verify(&other, in, &st, err, sizeof err),
                         SV_OK);
    assert_non_null(strstr(err, "root key"));
    fclose(in);
    sv_app_close(&other);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static bool
not_backed_up(const char *table)
{
    for (const char *const *p = bk_not_backed_up; *p != NULL; p++)
        if (strcmp(*p, table) == 0)
            return true;
    return false;
}

/*
 * Every table of the migrated schema is in the backup (bk_tables) or left
 * out on purpose (bk_not_backed_up), not both; a backed-up table's dump has
 * as many columns as the table; every name left out is a real table. A
 * migration that adds a table or a column cannot leave it out of backups
 * silently.
 */
static void
test_backup_covers_every_table(void **state)
{
    char dir[64];
    sqlite3 *h = sv_testdb_open_migrated(dir, "bk");
    sqlite3_stmt *st = NULL;
    int tables = 0, problems = 0, rc;
    bool seen[BK__COUNT] = {false};
    (void)state;

    if (sqlite3_prepare_v2(h,
                           "SELECT m.name, (SELECT COUNT(*) FROM "
                           "pragma_table_info(m.name)) FROM sqlite_master m "
                           "WHERE m.type = 'table' AND m.name NOT LIKE "
                           "'sqlite\\_%' ESCAPE '\\' ORDER BY m.name",
                           -1, &st, NULL) != SQLITE_OK)
        fail_msg("tables: %s", sqlite3_errmsg(h));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int cols = sqlite3_column_int(st, 1);
        bool backed_up = false, skipped = not_backed_up(name);
        tables++;
        for (int i = 0; i < BK__COUNT; i++) {
            if (strcmp(bk_tables[i].name, name) != 0)
                continue;
            backed_up = seen[i] = true;
            if (bk_tables[i].n_cols != cols) {
                print_error("%s: %d columns in the schema, %d in the backup\n",
                            name, cols, bk_tables[i].n_cols);
                problems++;
            }
        }
        if (backed_up == skipped) {
            print_error("%s: %s\n", name,
                        skipped ? "both backed up and in bk_not_backed_up"
                                : "neither backed up nor in bk_not_backed_up "
                                  "(src/backup/backup_store.c)");
            problems++;
        }
    }
    assert_int_equal(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    for (const char *const *p = bk_not_backed_up; *p != NULL; p++) {
        char q[160];
        snprintf(q, sizeof q,
                 "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                 "AND name = '%s'",
                 *p);
        assert_int_equal(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) != SQLITE_ROW) {
            print_error("%s: in bk_not_backed_up but not a table\n", *p);
            problems++;
        }
        sqlite3_finalize(st);
    }
    for (int i = 0; i < BK__COUNT; i++)
        if (!seen[i]) {
            print_error("%s: backed up but not a table\n", bk_tables[i].name);
            problems++;
        }
    sv_testdb_close_migrated(h, dir);
    assert_true(tables > 10); /* the schema really was read */
    if (problems > 0)
        fail_msg("%d problem(s): tables the backup does not account for",
                 problems);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backup_covers_every_table),
        cmocka_unit_test_setup_teardown(test_backup_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_backup_no_plaintext, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_backup_refuses_damage, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_backup_deleted_tenant_stays_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_needs_the_root_key, setup,
                                        teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
