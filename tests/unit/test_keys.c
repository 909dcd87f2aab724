/*
 * Tenant key rotation and re-sealing (DATA-2; directory/keys.h): new writes
 * seal with the newest version at once, old values keep opening with their
 * own; the re-sealing job resumes at the last batch that committed (after
 * a crash at any batch boundary, or a batch that failed half-way), stops
 * short of retiring a version a value still needs, and retires the older
 * versions once nothing uses them; blind indexes never change; another
 * tenant is never touched.
 *
 * The sealed values are accounts' e-mail addresses (accounts.email, sealed
 * and blind-indexed) and, on every third account, a bound phone
 * (accounts.phone, the next sealed column in the re-sealing's order), so a
 * pass crosses from one column to the next inside a batch; a fresh tenant
 * has no other sealed value. The test reads and damages the data
 * directory's database with the plain sqlite3 API, as a crash or a bad
 * disk would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "app.h"
#include "db/db.h"
#include "directory/field.h"
#include "directory/keys.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "identity/identity_store.h"
#include "mfa/mfa.h"
#include "mfa/mfa_store.h"
#include "testdb.h"

enum { MAX_ACCOUNTS = 32, N_ACCOUNTS = 23, BATCH = 5 };

/* Sealed values of a tenant made by make(): an e-mail per account, a
 * phone on every third. */
#define SEALED(n) ((n) + ((n) + 2) / 3)

static struct sv_app app;
static char dir[64];
static char pw_hash[SV_HASH_LEN];
static const struct sv_actor admin = {"01900000-0000-7000-8000-0000000000e1",
                                      "boss", "127.0.0.1", "unit"};

static int
setup(void **state)
{
    static const char *const PW = "Hq3@wTz8nLc5";
    (void)state;
    if (sv_testapp_open(&app, dir, "keys", NULL) != 0)
        return -1;
    return sv_password_hash(&app.pw, PW, strlen(PW), pw_hash) == SV_OK ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    return sv_testapp_close(&app, dir);
}

/* ---- tenants and their sealed values ---- */

/* Account uNN's e-mail and phone. */
static void
email_of(const char *user, char out[32])
{
    snprintf(out, 32, "%s@example.com", user);
}

static void
phone_of(const char *user, char out[SV_PHONE_MAX + 1])
{
    snprintf(out, SV_PHONE_MAX + 1, "+86138001380%s", user + 1);
}

struct make_ctx {
    struct sv_tenant *t;
    size_t n;
};

/* The tenant and its accounts u00.. with their e-mail, and every third
 * its phone, sealed under the tenant's newest key. */
static enum sv_err
make_tx(struct sv_dbc *c, void *cls)
{
    struct make_ctx *m = cls;
    enum sv_err rc = sv_tenant_create_tx(c, app.kr, m->t, "test");

    for (size_t i = 0; rc == SV_OK && i < m->n; i++) {
        char user[16], email[32], phone[SV_PHONE_MAX + 1];
        struct sv_account a;

        snprintf(user, sizeof user, "u%02zu", i);
        email_of(user, email);
        rc = sv_account_create_tx(c, m->t, user, SV_ROLE_MEMBER, email, pw_hash,
                                  &admin, &a);
        if (rc == SV_OK && i % 3 == 0) {
            phone_of(user, phone);
            rc = sv_phone_set_tx(c, m->t->id, a.id, phone, &admin);
        }
    }
    return rc;
}

static void
make(struct sv_tenant *t, const char *slug, size_t n)
{
    struct make_ctx m = {t, n};

    memset(t, 0, sizeof *t);
    snprintf(t->slug, sizeof t->slug, "%s", slug);
    snprintf(t->name, sizeof t->name, "%s", slug);
    assert_int_equal(sv_db_run_tx(app.db, "t", make_tx, &m), SV_OK);
}

/* An account's sealed values as stored, in row-id order (the
 * re-sealing's order). */
struct value {
    char id[37];
    char email[32], phone[SV_PHONE_MAX + 1];
    uint8_t ct[SV_EMAIL_MAX + SV_AEAD_OVERHEAD]; /* the e-mail */
    size_t ct_len;
    uint8_t phone_ct[MFA_PHONE_ENC_MAX];
    size_t phone_len; /* 0: no phone */
    uint8_t bidx[SV_BLIND_INDEX_LEN];
};

struct values {
    size_t n;
    struct value v[MAX_ACCOUNTS];
};

static sqlite3 *
raw_open(void)
{
    char path[128];
    sqlite3 *h;

    snprintf(path, sizeof path, "%s/salesvault.db", dir);
    assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 2000);
    return h;
}

/* Run @p sql (no rows), with ?1 @p text and ?2 @p blob when given. */
static void
raw_exec(const char *sql, const char *text, const uint8_t *blob,
         size_t blob_len)
{
    sqlite3 *h = raw_open();
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (text != NULL)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    if (blob != NULL)
        sqlite3_bind_blob(st, 2, blob, (int)blob_len, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static void
load(const char *tenant_id, struct values *out)
{
    sqlite3 *h = raw_open();
    sqlite3_stmt *st;
    int rc;

    memset(out, 0, sizeof *out);
    assert_int_equal(
        sqlite3_prepare_v2(h,
                           "SELECT id, username, email_enc, email_bidx, "
                           "phone_enc FROM accounts WHERE tenant_id = ?1 "
                           "ORDER BY id",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, tenant_id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct value *v = &out->v[out->n];
        size_t len = (size_t)sqlite3_column_bytes(st, 2);
        size_t phone_len = (size_t)sqlite3_column_bytes(st, 4);
        const char *user = (const char *)sqlite3_column_text(st, 1);

        assert_true(out->n < MAX_ACCOUNTS);
        assert_true(len > 0 && len <= sizeof v->ct);
        assert_true(phone_len <= sizeof v->phone_ct);
        assert_int_equal(sqlite3_column_bytes(st, 3), SV_BLIND_INDEX_LEN);
        snprintf(v->id, sizeof v->id, "%s", sqlite3_column_text(st, 0));
        email_of(user, v->email);
        phone_of(user, v->phone);
        memcpy(v->ct, sqlite3_column_blob(st, 2), len);
        v->ct_len = len;
        if (phone_len > 0)
            memcpy(v->phone_ct, sqlite3_column_blob(st, 4), phone_len);
        v->phone_len = phone_len;
        memcpy(v->bidx, sqlite3_column_blob(st, 3), SV_BLIND_INDEX_LEN);
        out->n++;
    }
    assert_int_equal(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* Version @p version of the tenant's key as stored: its wrapped key's
 * length and whether it is retired. */
static void
key_row(const char *tenant_id, uint32_t version, int64_t *wrapped_len,
        bool *retired)
{
    sqlite3 *h = raw_open();
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT length(wrapped), retired_at "
                                        "FROM tenant_keys WHERE tenant_id = ?1 "
                                        "AND version = ?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, tenant_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, version);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    *wrapped_len = sqlite3_column_int64(st, 0);
    *retired = sqlite3_column_type(st, 1) != SQLITE_NULL;
    sqlite3_finalize(st);
    sqlite3_close(h);
}

static void
expect_retired(const char *tenant_id, uint32_t version)
{
    int64_t len = -1;
    bool retired = false;
    key_row(tenant_id, version, &len, &retired);
    assert_int_equal(len, 0); /* the key is destroyed */
    assert_true(retired);
}

static void
expect_live(const char *tenant_id, uint32_t version)
{
    int64_t len = 0;
    bool retired = true;
    key_row(tenant_id, version, &len, &retired);
    assert_true(len > 0);
    assert_false(retired);
}

static void
job_state(const char *job_id, char out[16])
{
    sqlite3 *h = raw_open();
    sqlite3_stmt *st;

    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT state FROM key_jobs "
                                        "WHERE id = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, job_id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, 16, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* The tenant's newest job, as the console shows it. */
static struct sv_key_job
latest_job(const char *tenant_id)
{
    struct sv_key_status st;
    assert_int_equal(sv_keys_status_of(app.db, tenant_id, &st), SV_OK);
    assert_true(st.has_job);
    return st.job;
}

/* ---- what the server sees: values open, e-mails are found ---- */

struct seen {
    enum sv_err open_rc, phone_rc;
    bool same_text, same_phone;
    int found;     /* accounts sv_account_list finds by the e-mail */
    bool found_it; /* ...one of which is this one */
    uint8_t bidx_now[SV_BLIND_INDEX_LEN];
};

struct look_ctx {
    const char *tenant_id;
    const struct values *vals;
    const char *broken_id; /* a row whose e-mail does not open, or NULL */
    const char *want_id;   /* of the search running */
    struct seen seen[MAX_ACCOUNTS];
    size_t i;
};

static void
found_row(void *cls, const struct sv_account *a)
{
    struct look_ctx *x = cls;
    x->seen[x->i].found++;
    if (strcmp(a->id, x->want_id) == 0)
        x->seen[x->i].found_it = true;
}

/* Assertions stay outside the transaction: a failing one must not leave
 * it open. */
static enum sv_err
look_tx(struct sv_dbc *c, void *cls)
{
    struct look_ctx *x = cls;

    for (x->i = 0; x->i < x->vals->n; x->i++) {
        const struct value *v = &x->vals->v[x->i];
        struct seen *s = &x->seen[x->i];
        char pt[SV_EMAIL_MAX + 1], phone[SV_PHONE_MAX + 1];
        bool more = false, has = false;
        enum sv_err rc;

        memset(s, 0, sizeof *s);
        s->open_rc = sv_field_open_str_tx(c, x->tenant_id, v->id,
                                          &identity_store_email_field, v->ct,
                                          v->ct_len, pt, sizeof pt);
        s->same_text = s->open_rc == SV_OK && strcmp(pt, v->email) == 0;
        if (v->phone_len > 0) {
            s->phone_rc = sv_phone_get_tx(c, x->tenant_id, v->id, phone, &has);
            s->same_phone = has && strcmp(phone, v->phone) == 0;
        }
        if (x->broken_id != NULL && strcmp(v->id, x->broken_id) == 0)
            continue; /* its account does not open: no search shows it */
        x->want_id = v->id;
        rc = sv_account_list(c, x->tenant_id, v->email, NULL, 10, found_row, x,
                             &more);
        if (rc == SV_OK)
            rc = sv_field_blind_index_tx(c, x->tenant_id,
                                         &identity_store_email_field, v->email,
                                         s->bidx_now);
        if (rc != SV_OK)
            return rc;
    }
    return SV_OK;
}

/* Static: a failing assertion leaves nothing to free. */
static struct values vals, vals_b, now, current;
static struct look_ctx look;

static uint32_t
key_id(const uint8_t *ct, size_t len)
{
    return sv_field_key_id(ct, len);
}

/*
 * The tenant's values now are @p before's, under key version @p version
 * (0: each under the version it had); each opens to what was sealed; the
 * blind index, stored and computed now, is the one it had before and finds
 * exactly that account. But @p broken_id's e-mail (when given) does not
 * open, and is left under version 1.
 */
static void
expect_values(const char *tenant_id, const struct values *before,
              const char *broken_id, uint32_t version)
{
    load(tenant_id, &current);
    assert_int_equal(current.n, before->n);
    memset(&look, 0, sizeof look);
    look.tenant_id = tenant_id;
    look.vals = &current;
    look.broken_id = broken_id;
    assert_int_equal(sv_db_run_tenant_ro(app.db, tenant_id, look_tx, &look),
                     SV_OK);
    for (size_t i = 0; i < current.n; i++) {
        const struct value *b = &before->v[i], *v = &current.v[i];
        const struct seen *s = &look.seen[i];

        assert_string_equal(v->id, b->id);
        assert_int_equal(v->phone_len > 0, b->phone_len > 0);
        if (v->phone_len > 0) {
            assert_int_equal(key_id(v->phone_ct, v->phone_len),
                             version != 0 ? version
                                          : key_id(b->phone_ct, b->phone_len));
            assert_int_equal(s->phone_rc, SV_OK);
            assert_true(s->same_phone);
        }
        assert_memory_equal(v->bidx, b->bidx, SV_BLIND_INDEX_LEN);
        if (broken_id != NULL && strcmp(v->id, broken_id) == 0) {
            assert_int_equal(key_id(v->ct, v->ct_len), 1);
            assert_int_equal(s->open_rc, SV_E_TAMPERED);
            continue;
        }
        assert_int_equal(key_id(v->ct, v->ct_len),
                         version != 0 ? version : key_id(b->ct, b->ct_len));
        assert_int_equal(s->open_rc, SV_OK);
        assert_true(s->same_text);
        assert_int_equal(s->found, 1);
        assert_true(s->found_it);
        assert_memory_equal(s->bidx_now, b->bidx, SV_BLIND_INDEX_LEN);
    }
}

/* Batches run by @p owner, at most @p max, until there is no work. */
static size_t
steps(const char *owner, size_t max)
{
    size_t n = 0;
    bool worked = true;

    while (n < max) {
        assert_int_equal(sv_keys_step(app.db, owner, BATCH, &worked), SV_OK);
        if (!worked)
            break;
        n++;
    }
    return n;
}

static void
rotate(const char *slug, struct sv_key_job *job)
{
    assert_int_equal(sv_keys_rotate(app.db, app.kr, slug, "test", job), SV_OK);
    assert_string_equal(job->state, "running");
}

/* ---- 1. which version seals, which opens ---- */

struct keys_ctx {
    const char *tenant_id;
    uint32_t version; /* asked for */
    const struct sv_tenant_keys *tk;
};

static enum sv_err
keys_tx(struct sv_dbc *c, void *cls)
{
    struct keys_ctx *x = cls;
    return sv_tenant_keys_get(c, x->tenant_id, x->version, &x->tk);
}

static const struct sv_tenant_keys *
keys(const char *tenant_id, uint32_t version)
{
    struct keys_ctx x = {tenant_id, version, NULL};
    assert_int_equal(sv_db_run_tenant_ro(app.db, tenant_id, keys_tx, &x),
                     SV_OK);
    assert_non_null(x.tk);
    return x.tk;
}

/* A rotation on "another node" (no message to this one): the next seal
 * here still takes the new version, though version 1 sits in the cache;
 * values sealed before it open with version 1. */
static void
test_rotate_seals_with_newest_version(void **state)
{
    struct sv_tenant t;
    struct sv_key_job job;
    struct sv_account a;
    const struct sv_tenant_keys *v1, *newest;
    bool seen_new = false;

    (void)state;
    make(&t, "acme", 3);
    v1 = keys(t.id, 0);
    assert_int_equal(v1->version, 1);
    assert_ptr_equal(sv_tenant_keys_cached(t.id, 1), v1);

    rotate("acme", &job);
    assert_int_equal(job.target, 2);
    assert_int_equal(job.total, SEALED(3));
    newest = keys(t.id, 0);
    assert_int_equal(newest->version, 2);
    assert_ptr_equal(sv_tenant_keys_cached(t.id, 1), v1); /* still cached */

    assert_int_equal(sv_account_create(&app, t.id, "u99", SV_ROLE_MEMBER,
                                       "u99@example.com", pw_hash, &admin, &a),
                     SV_OK);
    assert_int_equal(sv_phone_set(&app, t.id, a.id, "+8613800138099", &admin),
                     SV_OK);
    load(t.id, &vals);
    assert_int_equal(vals.n, 4);
    for (size_t i = 0; i < vals.n; i++) {
        const struct value *v = &vals.v[i];
        bool is_new = strcmp(v->id, a.id) == 0;
        assert_int_equal(key_id(v->ct, v->ct_len), is_new ? 2 : 1);
        if (is_new)
            assert_int_equal(key_id(v->phone_ct, v->phone_len), 2);
        else if (v->phone_len > 0)
            assert_int_equal(key_id(v->phone_ct, v->phone_len), 1);
        seen_new |= is_new;
    }
    assert_true(seen_new);
    expect_values(t.id, &vals, NULL, 0); /* each under its own version */
}

/* ---- 2. a crash at every batch boundary ---- */

/* Rotate a fresh tenant, run @p k batches as node-1, "crash" it, and let
 * node-2 finish once node-1's lease ran out. */
static void
crash_after(size_t k, size_t batches_per_job)
{
    struct sv_tenant t;
    struct sv_key_job job, before, after;
    char slug[16];
    size_t ran1, ran2;

    snprintf(slug, sizeof slug, "crash-%zu", k);
    make(&t, slug, N_ACCOUNTS);
    load(t.id, &vals);
    assert_int_equal(vals.n, N_ACCOUNTS);
    rotate(slug, &job);
    assert_int_equal(job.target, 2);
    assert_int_equal(job.total, SEALED(N_ACCOUNTS));

    ran1 = steps("node-1", k);
    assert_int_equal(ran1, k < batches_per_job ? k : batches_per_job);
    before = latest_job(t.id);
    assert_string_equal(before.id, job.id);
    if (ran1 > 0 && ran1 < batches_per_job)
        assert_int_equal(steps("node-2", 1), 0); /* node-1's lease */

    /* The crash: node-1 is gone, its lease runs out. */
    raw_exec("UPDATE key_jobs SET lease_until = 0 WHERE id = ?1", job.id, NULL,
             0);
    after = latest_job(t.id);
    assert_int_equal(after.pass, before.pass);
    assert_string_equal(after.column, before.column);
    assert_string_equal(after.after_id, before.after_id);
    assert_int_equal(after.pass_scanned, before.pass_scanned);
    assert_int_equal(after.resealed, before.resealed);

    ran2 = steps("node-2", 4 * batches_per_job);
    /* Resumed where node-1 stopped, not restarted: together they ran the
     * batches of one uninterrupted job. */
    assert_int_equal(ran1 + ran2, batches_per_job);
    assert_int_equal(steps("node-1", 1), 0);

    after = latest_job(t.id);
    assert_string_equal(after.id, job.id);
    assert_string_equal(after.state, "done");
    assert_int_equal(after.target, 2);
    assert_int_equal(after.pass, 2); /* one that re-sealed, one that checked */
    assert_int_equal(after.resealed, SEALED(N_ACCOUNTS)); /* each once */
    assert_int_equal(after.pass_broken, 0);
    assert_true(after.finished_at != 0);
    expect_retired(t.id, 1);
    expect_live(t.id, 2);
    assert_null(sv_tenant_keys_cached(t.id, 1)); /* wiped on this node */
    expect_values(t.id, &vals, NULL, 2);
}

static void
test_reseal_resumes_after_every_batch(void **state)
{
    /* The values of every column, one after the other, in batches of
     * BATCH: a pass takes the full batches and one that reaches the end of
     * the columns; the job two passes. */
    const size_t per_job = 2 * (SEALED(N_ACCOUNTS) / BATCH + 1);

    (void)state;
    for (size_t k = 0; k <= per_job + 1; k++)
        crash_after(k, per_job);
}

/* ---- 3. a batch fails half-way ---- */

static void
test_reseal_failed_batch_rolls_back(void **state)
{
    enum { N = 12, FAIL_AT = 7 }; /* in the second batch, not its first */
    struct sv_tenant t;
    struct sv_key_job job, j;
    char sql[256];
    bool worked = true;

    (void)state;
    make(&t, "acme", N);
    load(t.id, &vals);
    assert_int_equal(vals.n, N);
    rotate("acme", &job);
    assert_int_equal(steps("node-1", 1), 1);

    snprintf(sql, sizeof sql,
             "CREATE TRIGGER boom BEFORE UPDATE ON accounts "
             "WHEN old.id = '%s' BEGIN SELECT RAISE(ABORT, 'boom'); END",
             vals.v[FAIL_AT].id);
    raw_exec(sql, NULL, NULL, 0);
    assert_int_not_equal(sv_keys_step(app.db, "node-1", BATCH, &worked), SV_OK);
    assert_false(worked);

    /* The cursor is the first batch's; nothing of the second one stayed. */
    j = latest_job(t.id);
    assert_string_equal(j.state, "running");
    assert_int_equal(j.pass, 1);
    assert_string_equal(j.column, "accounts.email");
    assert_string_equal(j.after_id, vals.v[BATCH - 1].id);
    assert_int_equal(j.pass_scanned, BATCH);
    assert_int_equal(j.resealed, BATCH);
    load(t.id, &now);
    for (size_t i = 0; i < N; i++) {
        const struct value *v = &now.v[i], *b = &vals.v[i];
        assert_int_equal(key_id(v->ct, v->ct_len), i < BATCH ? 2 : 1);
        if (i >= BATCH) { /* those before FAIL_AT were re-sealed, undone */
            assert_int_equal(v->ct_len, b->ct_len);
            assert_memory_equal(v->ct, b->ct, b->ct_len);
        }
        assert_int_equal(v->phone_len, b->phone_len); /* not reached */
        assert_memory_equal(v->phone_ct, b->phone_ct, b->phone_len);
    }

    raw_exec("DROP TRIGGER boom", NULL, NULL, 0);
    steps("node-1", 100);
    j = latest_job(t.id);
    assert_string_equal(j.state, "done");
    assert_int_equal(j.resealed, SEALED(N));
    expect_retired(t.id, 1);
    expect_values(t.id, &vals, NULL, 2);
}

/* ---- 4. a value that does not open ---- */

static void
test_reseal_blocked_by_broken_value(void **state)
{
    enum { N = 8, BROKEN = 3 };
    struct sv_tenant t;
    struct sv_key_job job, j;
    struct sv_key_status st;
    uint8_t bad[sizeof vals.v[0].ct];
    size_t bad_len;

    (void)state;
    make(&t, "acme", N);
    load(t.id, &vals);
    bad_len = vals.v[BROKEN].ct_len;
    memcpy(bad, vals.v[BROKEN].ct, bad_len);
    bad[bad_len - 1] ^= 0x01; /* the tag: the key id stays 1 */
    raw_exec("UPDATE accounts SET email_enc = ?2 WHERE id = ?1",
             vals.v[BROKEN].id, bad, bad_len);

    rotate("acme", &job);
    steps("node-1", 100);
    j = latest_job(t.id);
    assert_string_equal(j.id, job.id);
    assert_string_equal(j.state, "blocked");
    assert_int_equal(j.pass_broken, 1);
    assert_int_equal(j.resealed, SEALED(N) - 1);
    assert_true(j.finished_at != 0);
    assert_int_equal(steps("node-2", 1), 0); /* nothing left to run */

    /* Nothing retired: version 1 still opens what it can. */
    expect_live(t.id, 1);
    expect_live(t.id, 2);
    assert_non_null(sv_tenant_keys_cached(t.id, 1));
    assert_int_equal(sv_keys_status_of(app.db, t.id, &st), SV_OK);
    assert_int_equal(st.n_versions, 2);
    assert_int_equal(st.versions[0].retired_at, 0);
    assert_int_equal(st.current, 2);

    load(t.id, &now);
    assert_int_equal(now.v[BROKEN].ct_len, bad_len);
    assert_memory_equal(now.v[BROKEN].ct, bad, bad_len); /* left as it is */
    /* The others are re-sealed under version 2 and open. */
    expect_values(t.id, &vals, vals.v[BROKEN].id, 2);
}

/* ---- 5. blind indexes across versions; tenants apart ---- */

struct index_ctx {
    const char *tenant_id;
    const char *email;
    uint8_t v1[SV_BLIND_INDEX_LEN], v2[SV_BLIND_INDEX_LEN];
    bool two; /* the tenant has version 2 */
};

static enum sv_err
index_tx(struct sv_dbc *c, void *cls)
{
    struct index_ctx *x = cls;
    const struct sv_tenant_keys *tk;
    enum sv_err rc = sv_tenant_keys_get(c, x->tenant_id, 1, &tk);

    if (rc != SV_OK)
        return rc;
    sv_field_blind_index_keys(tk, &identity_store_email_field, x->email, x->v1);
    if (!x->two)
        return SV_OK;
    rc = sv_tenant_keys_get(c, x->tenant_id, 2, &tk);
    if (rc == SV_OK)
        sv_field_blind_index_keys(tk, &identity_store_email_field, x->email,
                                  x->v2);
    return rc;
}

static void
test_blind_index_outlives_versions(void **state)
{
    enum { N = 6 };
    struct sv_tenant a, b;
    struct sv_key_job job, j;
    struct sv_key_status st;
    struct index_ctx xa = {0}, xb = {0};

    (void)state;
    make(&a, "acme", N);
    make(&b, "bolt", N);
    load(a.id, &vals);
    load(b.id, &vals_b);
    rotate("acme", &job);

    /* Version 1 and version 2 index alike, as the stored index has it;
     * the same address in tenant B indexes otherwise. */
    xa.tenant_id = a.id;
    xa.email = vals.v[0].email;
    xa.two = true;
    assert_int_equal(sv_db_run_tenant_ro(app.db, a.id, index_tx, &xa), SV_OK);
    assert_memory_equal(xa.v1, xa.v2, SV_BLIND_INDEX_LEN);
    assert_memory_equal(xa.v1, vals.v[0].bidx, SV_BLIND_INDEX_LEN);
    xb.tenant_id = b.id;
    xb.email = vals.v[0].email;
    assert_int_equal(sv_db_run_tenant_ro(app.db, b.id, index_tx, &xb), SV_OK);
    assert_memory_not_equal(xb.v1, xa.v1, SV_BLIND_INDEX_LEN);

    steps("node-1", 100);
    j = latest_job(a.id);
    assert_string_equal(j.state, "done");
    assert_int_equal(j.resealed, SEALED(N));
    expect_retired(a.id, 1);
    expect_values(a.id, &vals, NULL, 2);
    assert_null(sv_tenant_keys_cached(a.id, 1));

    /* Tenant B: one live version, no job, every byte as it was. */
    assert_int_equal(sv_keys_status_of(app.db, b.id, &st), SV_OK);
    assert_int_equal(st.n_versions, 1);
    assert_int_equal(st.current, 1);
    assert_int_equal(st.versions[0].retired_at, 0);
    assert_false(st.has_job);
    expect_live(b.id, 1);
    assert_non_null(sv_tenant_keys_cached(b.id, 1)); /* not wiped here */
    load(b.id, &now);
    assert_int_equal(now.n, vals_b.n);
    for (size_t i = 0; i < vals_b.n; i++) {
        const struct value *v = &now.v[i], *w = &vals_b.v[i];
        assert_int_equal(v->ct_len, w->ct_len);
        assert_memory_equal(v->ct, w->ct, w->ct_len);
        assert_int_equal(v->phone_len, w->phone_len);
        assert_memory_equal(v->phone_ct, w->phone_ct, w->phone_len);
    }
    expect_values(b.id, &vals_b, NULL, 1);
}

/* ---- 6. a rotation supersedes a running job ---- */

static void
test_second_rotation_supersedes(void **state)
{
    enum { N = 9 };
    struct sv_tenant t;
    struct sv_key_job first, second, j;
    char state1[16];

    (void)state;
    /* Twice before any batch: the first job never runs. */
    make(&t, "acme", N);
    load(t.id, &vals);
    rotate("acme", &first);
    rotate("acme", &second);
    assert_int_equal(first.target, 2);
    assert_int_equal(second.target, 3);
    job_state(first.id, state1);
    assert_string_equal(state1, "superseded");

    steps("node-1", 100);
    job_state(first.id, state1);
    assert_string_equal(state1, "superseded");
    j = latest_job(t.id);
    assert_string_equal(j.id, second.id);
    assert_string_equal(j.state, "done");
    assert_int_equal(j.resealed, SEALED(N));
    expect_retired(t.id, 1);
    expect_retired(t.id, 2);
    expect_live(t.id, 3);
    expect_values(t.id, &vals, NULL, 3);

    /* Again after a batch of the first job, whose lease another node
     * holds: values under versions 1 and 2 all go to version 3. */
    make(&t, "bolt", N);
    load(t.id, &vals);
    rotate("bolt", &first);
    assert_int_equal(steps("node-1", 1), 1);
    rotate("bolt", &second);
    job_state(first.id, state1);
    assert_string_equal(state1, "superseded");
    assert_int_equal(second.total, SEALED(N));
    steps("node-2", 100);
    j = latest_job(t.id);
    assert_string_equal(j.id, second.id);
    assert_string_equal(j.state, "done");
    assert_int_equal(j.resealed, SEALED(N));
    expect_retired(t.id, 1);
    expect_retired(t.id, 2);
    expect_live(t.id, 3);
    expect_values(t.id, &vals, NULL, 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rotate_seals_with_newest_version,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reseal_resumes_after_every_batch,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reseal_failed_batch_rolls_back,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reseal_blocked_by_broken_value,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_blind_index_outlives_versions,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_rotation_supersedes, setup,
                                        teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
