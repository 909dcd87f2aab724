/*
 * logincost: what the login's risk checks cost on top of the password hash
 * (issue 4, scenario 7 of bench/run.sh).
 *
 * usage: logincost DATA_DIR TENANT_SLUG USERNAME [PAIRS]
 *
 * Opens DATA_DIR exactly as `serve` does (sv_app_open: config, root key,
 * blocklist, database with migrations, Argon2id cost from salesvault.conf),
 * gives USERNAME of TENANT_SLUG a known password that passes the tenant's
 * policy (so the login takes the normal path: no weak-password branch, no
 * rehash), then times PAIRS rounds (default 40) of three variants, in a
 * rotating order so drift and noise hit them alike:
 *
 *   bare   sv_password_verify() of the account's hash: the Argon2id work
 *          every login pays, nothing else.
 *   old    the minimal login of before issue 4, rebuilt from the same store
 *          functions: read transaction (tenant by slug, account by name),
 *          verify, write transaction (hash swap, session insert, one audit
 *          event).
 *   full   the login of today, for an API client (no device object:
 *          struct sv_client kind SV_CLIENT_API): sv_login_init + lookup
 *          (failure counters AUTH-4, blacklist AUTH-5, tenant, account) +
 *          gate + work (verify, risk policy with zxcvbn AUTH-6) + finish
 *          (guard reset, device registration DEV-1, MFA/phone/TOTP look-ups,
 *          session, inbox notice and audit event AUTH-7) + free.
 *
 * Each full login is checked to end in a session (no challenge, no error).
 * Prints the parts of the full login separately too, and one line
 *   LOGINCOST bare_mean=… bare_p50=… old_mean=… old_p50=… full_mean=…
 *             full_p50=… ratio_mean=… ratio_p50=… …
 * (milliseconds). Built by bench/run.sh against the server's static
 * library (libsv.a next to the binary) and the src/ headers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "core/util.h"
#include "crypto/password.h"
#include "crypto/token.h"
#include "db/db.h"
#include "directory/tenant.h"
#include "login/login.h"
#include "identity/identity.h"
#include "identity/identity_store.h"
#include "policy/policy.h"

enum { MAX_PAIRS = 500 };

/* 18 characters, all four classes, no name inside, zxcvbn 4. */
static const char PASSWORD[] = "Vq7-9c41e2b07d-Zr!";
static const char IP[] = "127.0.0.1";
static const char UA[] = "salesvault-bench/logincost";

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct stats {
    double mean, p50, p90, min, max;
};

static struct stats
stats_of(const double *v, size_t n)
{
    double *s = malloc(n * sizeof *s), sum = 0;
    struct stats r = {0};
    if (s == NULL || n == 0) {
        free(s);
        return r;
    }
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    for (size_t i = 0; i < n; i++)
        sum += s[i];
    r.mean = sum / (double)n;
    r.p50 = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    r.p90 = s[(size_t)((double)(n - 1) * 0.9)];
    r.min = s[0];
    r.max = s[n - 1];
    free(s);
    return r;
}

/* ---- setup ---- */

struct setup_ctx {
    const char *slug, *username;
    struct sv_tenant tenant;
    struct account_row row;
    const char *hash;
};

static enum sv_err
setup_tx(struct sv_dbc *c, void *cls)
{
    struct setup_ctx *s = cls;
    enum sv_err rc = sv_tenant_find_by_slug(c, s->slug, &s->tenant);
    if (rc != SV_OK)
        return rc;
    rc = sv_db_scope_tenant(c, s->tenant.id);
    if (rc != SV_OK)
        return rc;
    if (identity_store_find_account_by_username(c, s->tenant.id, s->username,
                                                &s->row) != SV_QS_ONE)
        return SV_E_NOT_FOUND;
    return identity_store_set_password(c, s->tenant.id, s->row.a.id, s->hash,
                                       false, sv_now_ms()) == SV_QS_ONE
               ? SV_OK
               : SV_E_INTERNAL;
}

/* ---- the old minimal login, rebuilt ---- */

struct old_login {
    const char *slug, *username;
    struct sv_tenant tenant;
    struct account_row row;
    bool found;
};

static enum sv_err
old_lookup_tx(struct sv_dbc *c, void *cls)
{
    struct old_login *o = cls;
    enum sv_err rc = sv_tenant_find_by_slug(c, o->slug, &o->tenant);
    if (rc != SV_OK)
        return rc;
    rc = sv_db_scope_tenant(c, o->tenant.id);
    if (rc != SV_OK)
        return rc;
    o->found = identity_store_find_account_by_username(
                   c, o->tenant.id, o->username, &o->row) == SV_QS_ONE;
    return o->found ? SV_OK : SV_E_NOT_FOUND;
}

static enum sv_err
old_finish_tx(struct sv_dbc *c, void *cls)
{
    struct old_login *o = cls;
    char token[SV_TOKEN_LEN + 1], id[SV_UUID_LEN + 1];
    uint8_t th[SV_TOKEN_HASH_LEN];
    int64_t now = sv_now_ms();

    if (identity_store_swap_hash(c, o->tenant.id, o->row.a.id, o->row.hash,
                                 o->row.hash) != SV_QS_ONE)
        return SV_E_INTERNAL;
    sv_token_new(token, th);
    sv_uuid7(id);
    if (identity_store_insert_session(c, o->tenant.id, id, o->row.a.id, th, now,
                                      now + 43200 * 1000LL, IP, UA, NULL,
                                      false) != SV_QS_ONE)
        return SV_E_INTERNAL;
    sodium_memzero(token, sizeof token);
    struct sv_audit_event ev = {
        .tenant_id = o->tenant.id,
        .actor_id = o->row.a.id,
        .actor = o->username,
        .action = sv_audit_action_name(SV_AUDIT_AUTH_LOGIN),
        .target_type = "account",
        .target_id = o->row.a.id,
        .ip = IP,
        .user_agent = UA,
        .result = "success",
    };
    return sv_audit_append(c, &ev);
}

/* ---- the three variants ---- */

static int
run_bare(const char *hash)
{
    return sv_password_verify(hash, PASSWORD, sizeof PASSWORD - 1) == SV_OK
               ? 0
               : -1;
}

static int
run_old(struct sv_app *app, const char *slug, const char *username)
{
    struct old_login o = {.slug = slug, .username = username};
    int ret = -1;
    if (sv_db_run_ro(app->db, old_lookup_tx, &o) == SV_OK &&
        sv_password_verify(o.row.hash, PASSWORD, sizeof PASSWORD - 1) ==
            SV_OK &&
        sv_db_run_tenant_tx(app->db, "login", o.tenant.id, old_finish_tx, &o) ==
            SV_OK)
        ret = 0;
    sodium_memzero(&o.row, sizeof o.row);
    return ret;
}

/* Parts of the full login, accumulated. */
static double t_lookup, t_gate, t_work, t_finish;

static int
run_full(struct sv_app *app, const char *slug, const char *username)
{
    struct sv_login l;
    int64_t retry = 0;
    int ret = -1;
    double t0, t1, t2, t3, t4;

    memset(&l, 0, sizeof l);
    l.app = app;
    l.tenant_slug = slug;
    l.username = username;
    l.ip = IP;
    l.user_agent = UA;
    l.client.kind = SV_CLIENT_API;
    l.client.ip = IP;
    l.client.user_agent = UA;
    t0 = now_ms();
    if (sv_login_init(&l, PASSWORD, sizeof PASSWORD - 1) != SV_OK)
        goto out;
    if (sv_login_lookup(app, &l) != SV_OK)
        goto out;
    t1 = now_ms();
    if (sv_login_gate(&l, &retry) != SV_OK || l.captcha_due)
        goto out;
    t2 = now_ms();
    sv_login_work(app, &l);
    t3 = now_ms();
    if (sv_login_finish(app, &l) != SV_OK || l.out.challenge ||
        l.out.token[0] == '\0')
        goto out;
    t4 = now_ms();
    t_lookup += t1 - t0;
    t_gate += t2 - t1;
    t_work += t3 - t2;
    t_finish += t4 - t3;
    ret = 0;
out:
    sv_login_free(&l);
    return ret;
}

int
main(int argc, char **argv)
{
    struct sv_app app;
    char err[512] = "";
    char hash[SV_HASH_LEN];
    long pairs = 40;

    if (argc < 4 || (argc > 4 && (pairs = strtol(argv[4], NULL, 10)) < 1)) {
        fprintf(stderr, "usage: %s DATA_DIR TENANT_SLUG USERNAME [PAIRS]\n",
                argv[0]);
        return 2;
    }
    if (pairs > MAX_PAIRS)
        pairs = MAX_PAIRS;
    const char *dir = argv[1], *slug = argv[2], *username = argv[3];
    if (sodium_init() < 0) {
        fprintf(stderr, "logincost: sodium_init failed\n");
        return 1;
    }
    if (sv_app_open(&app, dir, 2, err, sizeof err) != SV_OK) {
        fprintf(stderr, "logincost: sv_app_open: %s\n", err);
        return 1;
    }

    /* A known password at the configured cost; it must pass the policy. */
    if (sv_password_hash(&app.pw, PASSWORD, sizeof PASSWORD - 1, hash) !=
        SV_OK) {
        fprintf(stderr, "logincost: cannot hash\n");
        return 1;
    }
    struct setup_ctx s = {.slug = slug, .username = username, .hash = hash};
    if (sv_db_run_tx(app.db, "bench_setup", setup_tx, &s) != SV_OK) {
        fprintf(stderr, "logincost: tenant %s / account %s not found\n", slug,
                username);
        return 1;
    }
    struct sv_pw_context ctx = {
        .username = s.row.a.username,
        .tenant_slug = s.tenant.slug,
        .tenant_name = s.tenant.name,
        .email = NULL,
    };
    enum sv_err prc =
        sv_policy_check(&s.tenant.policy, &ctx, PASSWORD, sizeof PASSWORD - 1);
    if (prc != SV_OK)
        fprintf(stderr,
                "logincost: note: the bench password fails the policy (%d): "
                "the full login takes the weak-password branch\n",
                (int)prc);

    /* The policy check alone (zxcvbn + blocklist), many times: it is fast. */
    double tp0 = now_ms();
    int npol = 200;
    for (int i = 0; i < npol; i++)
        if (sv_policy_check(&s.tenant.policy, &ctx, PASSWORD,
                            sizeof PASSWORD - 1) != prc)
            break;
    double policy_ms = (now_ms() - tp0) / npol;

    /* Warm-up: page in the Argon2id arena, prepare every statement. */
    if (run_bare(hash) != 0 || run_old(&app, slug, username) != 0 ||
        run_full(&app, slug, username) != 0) {
        fprintf(stderr, "logincost: a warm-up login failed (the full login "
                        "must end in a session for an API client)\n");
        return 1;
    }
    t_lookup = t_gate = t_work = t_finish = 0;

    double *bare = calloc((size_t)pairs, sizeof *bare);
    double *old = calloc((size_t)pairs, sizeof *old);
    double *full = calloc((size_t)pairs, sizeof *full);
    if (!bare || !old || !full)
        return 1;
    for (long i = 0; i < pairs; i++) {
        /* Rotate the order: bare-old-full, old-full-bare, full-bare-old. */
        for (int k = 0; k < 3; k++) {
            int which = (int)((i + k) % 3);
            double t0 = now_ms();
            int rc = which == 0   ? run_bare(hash)
                     : which == 1 ? run_old(&app, slug, username)
                                  : run_full(&app, slug, username);
            double dt = now_ms() - t0;
            if (rc != 0) {
                fprintf(stderr, "logincost: %s login %ld failed\n",
                        which == 0   ? "bare"
                        : which == 1 ? "old"
                                     : "full",
                        i);
                return 1;
            }
            (which == 0 ? bare : which == 1 ? old : full)[i] = dt;
        }
    }
    struct stats b = stats_of(bare, (size_t)pairs);
    struct stats o = stats_of(old, (size_t)pairs);
    struct stats f = stats_of(full, (size_t)pairs);
    double n = (double)pairs;
    printf("  bare (Argon2id verify alone): mean %.2f ms, p50 %.2f, p90 %.2f, "
           "min %.2f, max %.2f\n",
           b.mean, b.p50, b.p90, b.min, b.max);
    printf("  old minimal login (read tx + verify + write tx with session "
           "and 1 audit event): mean %.2f ms, p50 %.2f, p90 %.2f, min %.2f, "
           "max %.2f\n",
           o.mean, o.p50, o.p90, o.min, o.max);
    printf("  full login, API client: mean %.2f ms, p50 %.2f, p90 %.2f, min "
           "%.2f, max %.2f\n",
           f.mean, f.p50, f.p90, f.min, f.max);
    printf("  full login parts (mean): init+lookup %.3f ms, gate %.3f ms, work "
           "(verify + policy) %.2f ms, finish %.3f ms; policy check alone "
           "%.3f ms\n",
           t_lookup / n, t_gate / n, t_work / n, t_finish / n, policy_ms);
    printf("LOGINCOST bare_mean=%.3f bare_p50=%.3f old_mean=%.3f old_p50=%.3f "
           "full_mean=%.3f full_p50=%.3f ratio_mean=%.4f ratio_p50=%.4f "
           "full_over_old_mean=%.4f lookup_ms=%.3f finish_ms=%.3f "
           "policy_ms=%.3f extra_ms=%.3f pairs=%ld opslimit=%llu "
           "memlimit_kib=%zu\n",
           b.mean, b.p50, o.mean, o.p50, f.mean, f.p50, f.mean / b.mean,
           f.p50 / b.p50, f.mean / o.mean, t_lookup / n, t_finish / n,
           policy_ms, t_lookup / n + t_gate / n + t_finish / n + policy_ms,
           pairs, (unsigned long long)app.pw.opslimit, app.pw.memlimit / 1024);
    free(bare);
    free(old);
    free(full);
    sodium_memzero(hash, sizeof hash);
    sv_app_close(&app);
    return 0;
}
