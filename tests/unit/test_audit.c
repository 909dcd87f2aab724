/* AUD-4: the hash chain and its verification, with every kind of tampering. */
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

#include "audit/audit.h"
#include "crypto/keyring.h"
#include "core/config.h"
#include "db/db.h"

struct fixture {
    char dir[64];
    struct sv_config cfg;
    struct sv_db *db;
    struct sv_keyring *kr;
};

static enum sv_err
append_tx(struct sv_dbc *c, void *cls)
{
    int *n = cls;
    char ip[32];
    snprintf(ip, sizeof ip, "10.0.0.%d", *n);
    struct sv_audit_event ev = {
        .tenant_id = NULL, /* platform stream */
        .actor = "tester",
        .action = "test.event",
        .ip = ip,
        .result = "success",
    };
    return sv_audit_append(c, &ev);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];

    snprintf(f->dir, sizeof f->dir, "/tmp/sv-audit-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    sv_config_defaults(&f->cfg, f->dir);
    assert_int_equal(sv_keyring_create_file(f->cfg.root_key_file), SV_OK);
    assert_int_equal(
        sv_keyring_load(f->cfg.root_key_file, &f->kr, err, sizeof err), SV_OK);
    sv_audit_init(f->kr);
    assert_int_equal(sv_db_open(&f->cfg, 1, &f->db, err, sizeof err), SV_OK);
    for (int i = 1; i <= 5; i++)
        assert_int_equal(sv_db_run_tx(f->db, "t", append_tx, &i), SV_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    sv_db_free(f->db);
    sv_audit_init(NULL);
    sv_keyring_free(f->kr);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

struct verify_ctx {
    struct sv_audit_verdict v;
};

static enum sv_err
verify_tx(struct sv_dbc *c, void *cls)
{
    struct verify_ctx *v = cls;
    return sv_audit_verify_stream(c, SV_AUDIT_PLATFORM, &v->v);
}

static struct sv_audit_verdict
verify(struct fixture *f)
{
    struct verify_ctx v;
    assert_int_equal(sv_db_run_ro(f->db, verify_tx, &v), SV_OK);
    return v.v;
}

/* Tamper like an attacker with the file: raw SQL, triggers dropped. */
static void
raw(struct fixture *f, const char *sql)
{
    sqlite3 *h;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(f->cfg.db_path, &h), SQLITE_OK);
    sqlite3_exec(h,
                 "DROP TRIGGER IF EXISTS audit_events_no_update;"
                 "DROP TRIGGER IF EXISTS audit_events_no_delete;",
                 NULL, NULL, NULL);
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("raw SQL failed: %s", msg);
    sqlite3_close(h);
}

static void
event_id(struct fixture *f, int seq, char out[40])
{
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(f->cfg.db_path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT id FROM audit_events WHERE "
                                        "stream = 'platform' AND seq = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int(st, 1, seq);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, 40, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static void
test_audit_chain_intact(void **state)
{
    struct fixture *f = *state;
    struct sv_audit_verdict v = verify(f);
    assert_true(v.ok);
    assert_int_equal(v.events, 5);
}

static void
test_audit_engine_refuses_update(void **state)
{
    struct fixture *f = *state;
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->cfg.db_path, &h), SQLITE_OK);
    assert_int_not_equal(
        sqlite3_exec(h, "UPDATE audit_events SET ip = 'x'", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_not_equal(
        sqlite3_exec(h, "DELETE FROM audit_events", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(h);
    assert_true(verify(f).ok);
}

static void
test_audit_detects_changed(void **state)
{
    struct fixture *f = *state;
    char id[40];
    event_id(f, 3, id);
    raw(f, "UPDATE audit_events SET ip = '6.6.6.6' WHERE seq = 3");
    struct sv_audit_verdict v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "changed");
    assert_int_equal(v.bad_seq, 3);
    assert_string_equal(v.bad_id, id);
}

static void
test_audit_detects_deleted_middle(void **state)
{
    struct fixture *f = *state;
    char id[40];
    event_id(f, 4, id);
    raw(f, "DELETE FROM audit_events WHERE seq = 3");
    struct sv_audit_verdict v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "deleted");
    assert_string_equal(v.bad_id, id); /* the event after the gap */
}

static void
test_audit_detects_deleted_and_renumbered(void **state)
{
    struct fixture *f = *state;
    raw(f, "DELETE FROM audit_events WHERE seq = 3;"
           "UPDATE audit_events SET seq = seq - 1 WHERE seq > 3;"
           "UPDATE audit_heads SET seq = 4");
    struct sv_audit_verdict v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "deleted");
    assert_int_equal(v.bad_seq, 3);
}

static void
test_audit_detects_deleted_tail(void **state)
{
    struct fixture *f = *state;
    raw(f, "DELETE FROM audit_events WHERE seq = 5");
    struct sv_audit_verdict v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "deleted");
    assert_int_equal(v.bad_seq, 5);
}

static void
test_audit_detects_reordered(void **state)
{
    struct fixture *f = *state;
    char id3[40];
    event_id(f, 3, id3);
    raw(f, "UPDATE audit_events SET seq = 100 WHERE seq = 2;"
           "UPDATE audit_events SET seq = 2 WHERE seq = 3;"
           "UPDATE audit_events SET seq = 3 WHERE seq = 100;");
    struct sv_audit_verdict v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "reordered");
    assert_int_equal(v.bad_seq, 2);
    assert_string_equal(v.bad_id, id3);
}

/* A stream longer than a few scan batches (2,048 events each): checked a
 * batch at a time, the verdicts are the same: intact; a change past the
 * first batch; events swapped across a batch boundary. */
static void
test_audit_long_stream_in_batches(void **state)
{
    struct fixture *f = *state;
    char id[40];
    for (int i = 6; i <= 5000; i++)
        assert_int_equal(sv_db_run_tx(f->db, "t", append_tx, &i), SV_OK);
    struct sv_audit_verdict v = verify(f);
    assert_true(v.ok);
    assert_int_equal(v.events, 5000);

    event_id(f, 2049, id);
    raw(f, "UPDATE audit_events SET seq = 100000 WHERE seq = 2048;"
           "UPDATE audit_events SET seq = 2048 WHERE seq = 2049;"
           "UPDATE audit_events SET seq = 2049 WHERE seq = 100000;");
    v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "reordered");
    assert_int_equal(v.bad_seq, 2048);
    assert_string_equal(v.bad_id, id);
    assert_int_equal(v.events, 5000);

    raw(f, "UPDATE audit_events SET seq = 100000 WHERE seq = 2048;"
           "UPDATE audit_events SET seq = 2048 WHERE seq = 2049;"
           "UPDATE audit_events SET seq = 2049 WHERE seq = 100000;"
           "UPDATE audit_events SET ip = '10.9.9.9' WHERE seq = 4500;");
    event_id(f, 4500, id);
    v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "changed");
    assert_int_equal(v.bad_seq, 4500);
    assert_string_equal(v.bad_id, id);
}

static void
test_audit_detects_inserted(void **state)
{
    struct fixture *f = *state;
    /* A forged event with a valid-looking hash squeezed in at seq 3. */
    raw(f, "UPDATE audit_events SET seq = seq + 10 WHERE seq >= 3;"
           "UPDATE audit_events SET seq = seq - 9 WHERE seq >= 13;"
           "INSERT INTO audit_events (id, stream, seq, time_ms, action, "
           "result, prev_hash, hash) SELECT 'forged', 'platform', 3, 1, "
           "'test.forged', 'success', hash, hash FROM audit_events "
           "WHERE seq = 2;"
           "UPDATE audit_heads SET seq = 6");
    struct sv_audit_verdict v = verify(f);
    assert_false(v.ok);
    /* Its own hash is wrong (the forger cannot reuse the chain's). */
    assert_int_equal(v.bad_seq, 3);
    assert_string_equal(v.bad_id, "forged");
}

static void
test_audit_detects_inserted_with_valid_hash(void **state)
{
    struct fixture *f = *state;
    sqlite3 *h;
    sqlite3_stmt *st;
    uint8_t prev[32], hash[32];
    struct sv_audit_record r = {
        .id = "forged2",
        .stream = "platform",
        .seq = 3,
        .time_ms = 1,
        .ev = {.action = "test.forged", .result = "success"}};

    raw(f, "UPDATE audit_events SET seq = seq + 10 WHERE seq >= 3;"
           "UPDATE audit_events SET seq = seq - 9 WHERE seq >= 13;"
           "UPDATE audit_heads SET seq = 6");
    assert_int_equal(sqlite3_open(f->cfg.db_path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT hash FROM audit_events "
                                        "WHERE seq = 2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    memcpy(prev, sqlite3_column_blob(st, 0), 32);
    sqlite3_finalize(st);
    memcpy(r.prev_hash, prev, 32);
    sv_audit_hash(prev, &r, hash); /* the forger knows the algorithm */
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "INSERT INTO audit_events (id, "
                                        "stream, seq, time_ms, action, "
                                        "result, prev_hash, hash) VALUES "
                                        "('forged2', 'platform', 3, 1, "
                                        "'test.forged', 'success', ?, ?)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, prev, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(h);

    struct sv_audit_verdict v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "inserted");
    assert_int_equal(v.bad_seq, 3);
    assert_string_equal(v.bad_id, "forged2");
}

static void
test_audit_tampered_head_seq(void **state)
{
    struct fixture *f = *state;
    /* Verify reads tampered storage: a negative head never indexes memory. */
    raw(f, "UPDATE audit_heads SET seq = -3");
    struct sv_audit_verdict v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "changed");
    raw(f, "UPDATE audit_heads SET seq = 2");
    v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "inserted");
}

static void
test_audit_detects_rewritten_chain(void **state)
{
    struct fixture *f = *state;
    sqlite3 *h;
    sqlite3_stmt *st, *up;
    uint8_t prev[32] = {0};

    /*
     * An attacker with the database but not the root key changes event 3
     * and recomputes every hash after it and the head: the chain is
     * consistent again, only the head signature gives it away.
     */
    raw(f, "UPDATE audit_events SET ip = '6.6.6.6' WHERE seq = 3");
    assert_int_equal(sqlite3_open(f->cfg.db_path, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT id, stream, time_ms, actor, "
                                        "action, ip, result FROM audit_events "
                                        "ORDER BY seq",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "UPDATE audit_events SET prev_hash = "
                                        "?, hash = ? WHERE id = ?",
                                        -1, &up, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct sv_audit_record r = {
            .id = (const char *)sqlite3_column_text(st, 0),
            .stream = (const char *)sqlite3_column_text(st, 1),
            .time_ms = sqlite3_column_int64(st, 2),
            .ev = {.actor = (const char *)sqlite3_column_text(st, 3),
                   .action = (const char *)sqlite3_column_text(st, 4),
                   .ip = (const char *)sqlite3_column_text(st, 5),
                   .result = (const char *)sqlite3_column_text(st, 6)}};
        uint8_t hash[32];
        sv_audit_hash(prev, &r, hash);
        sqlite3_bind_blob(up, 1, prev, 32, SQLITE_TRANSIENT);
        sqlite3_bind_blob(up, 2, hash, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(up, 3, r.id, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(up), SQLITE_DONE);
        sqlite3_reset(up);
        memcpy(prev, hash, 32);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(up);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "UPDATE audit_heads SET hash = ? "
                                        "WHERE stream = 'platform'",
                                        -1, &up, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(up, 1, prev, 32, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(up), SQLITE_DONE);
    sqlite3_finalize(up);
    sqlite3_close(h);

    struct sv_audit_verdict v = verify(f);
    assert_false(v.ok);
    assert_string_equal(v.problem, "rewritten");
    assert_int_equal(v.bad_seq, 5);
}

static void
test_audit_head_signature_needs_the_key(void **state)
{
    struct fixture *f = *state;
    struct sv_keyring *other = NULL;
    char path[128], err[256];

    /* The same database verified with another root key: every head fails. */
    assert_true(verify(f).ok);
    snprintf(path, sizeof path, "%s/other.key", f->dir);
    assert_int_equal(sv_keyring_create_file(path), SV_OK);
    assert_int_equal(sv_keyring_load(path, &other, err, sizeof err), SV_OK);
    sv_audit_init(other);
    struct sv_audit_verdict v = verify(f);
    sv_audit_init(f->kr);
    sv_keyring_free(other);
    assert_false(v.ok);
    assert_string_equal(v.problem, "rewritten");
}

static void
test_audit_hash_covers_every_field(void **state)
{
    (void)state;
    uint8_t prev[32] = {0}, a[32], b[32];
    struct sv_audit_record r = {.id = "e1",
                                .stream = "s",
                                .seq = 1,
                                .time_ms = 42,
                                .ev = {.tenant_id = "t",
                                       .actor_id = "a",
                                       .actor = "n",
                                       .action = "x",
                                       .target_type = "tt",
                                       .target_id = "ti",
                                       .ip = "ip",
                                       .user_agent = "ua",
                                       .result = "r",
                                       .reason = "re",
                                       .details = "{}"}};
    const char **fields[] = {
        &r.ev.tenant_id,   &r.ev.actor_id,  &r.ev.actor,   &r.ev.action,
        &r.ev.target_type, &r.ev.target_id, &r.ev.ip,      &r.ev.user_agent,
        &r.ev.result,      &r.ev.reason,    &r.ev.details, &r.id,
        &r.stream};
    sv_audit_hash(prev, &r, a);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *save = *fields[i];
        *fields[i] = "changed";
        sv_audit_hash(prev, &r, b);
        assert_memory_not_equal(a, b, 32);
        *fields[i] = NULL; /* NULL differs from "" and from any text */
        sv_audit_hash(prev, &r, b);
        assert_memory_not_equal(a, b, 32);
        *fields[i] = save;
    }
    r.time_ms = 43;
    sv_audit_hash(prev, &r, b);
    assert_memory_not_equal(a, b, 32);
    r.time_ms = 42;
    prev[0] = 1;
    sv_audit_hash(prev, &r, b);
    assert_memory_not_equal(a, b, 32);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_audit_chain_intact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_engine_refuses_update, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_detects_changed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_detects_deleted_middle,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_audit_detects_deleted_and_renumbered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_detects_deleted_tail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_long_stream_in_batches,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_detects_reordered, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_detects_inserted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_audit_detects_inserted_with_valid_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_tampered_head_seq, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_detects_rewritten_chain,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_head_signature_needs_the_key,
                                        setup, teardown),
        cmocka_unit_test(test_audit_hash_covers_every_field),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
