/*
 * auditgen: a tenant's audit stream of many events for the benchmark
 * (scenario 14 of bench/run.sh: `salesvault audit verify` in constant
 * memory, issue 14 part 4 and issue 15 part 4).
 *
 * usage: auditgen DATA_DIR TENANT_SLUG EVENTS
 *
 * Appends EVENTS events to the tenant's stream through the audit batch
 * (sv_audit_batch_*: the chain the server makes, each event hashed onto the
 * one before, the head signed at each batch's end), 50,000 a transaction.
 * Each event is a record read with a short details object, about the size
 * of the server's. Prints one line
 *   AUDITGEN events=… seconds=… rate=…
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "db/db.h"
#include "directory/tenant.h"

#define BATCH 50000

static struct sv_app app;
static struct sv_tenant tenant;

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum sv_err
find_tx(struct sv_dbc *c, void *cls)
{
    return sv_tenant_find_by_slug(c, cls, &tenant);
}

struct batch_ctx {
    long first, n;
};

static enum sv_err
batch_tx(struct sv_dbc *c, void *cls)
{
    const struct batch_ctx *b = cls;
    const struct sv_actor actor = {"01900000-0000-7000-8000-00000000a0d1",
                                   "auditgen", "10.1.2.3", "auditgen/1"};
    struct sv_audit_batch ab;
    char target[40], details[96];
    enum sv_err rc;

    sv_db_batch_begin(c);
    rc = sv_audit_batch_begin(c, tenant.id, &ab);
    for (long i = b->first; rc == SV_OK && i < b->first + b->n; i++) {
        snprintf(target, sizeof target, "01900000-0000-7000-8000-%012ld", i);
        snprintf(details, sizeof details,
                 "{\"type\":\"customer\",\"field\":\"phone\",\"n\":%ld}", i);
        rc = sv_audit_batch_add(&ab, &actor, SV_AUDIT_RECORD_REVEAL, "record",
                                target, "success", NULL, details);
    }
    if (rc == SV_OK)
        rc = sv_audit_batch_end(&ab);
    {
        enum sv_err brc = sv_db_batch_end(c);
        if (rc == SV_OK)
            rc = brc;
    }
    return rc;
}

int
main(int argc, char **argv)
{
    char err[256] = "";
    long n;
    double t0, t;

    if (argc != 4 || (n = atol(argv[3])) < 1 || n > 100000000) {
        fprintf(stderr, "usage: auditgen DATA_DIR TENANT_SLUG EVENTS "
                        "(1-100000000)\n");
        return 2;
    }
    if (sodium_init() < 0 ||
        sv_app_open(&app, argv[1], 1, err, sizeof err) != SV_OK) {
        fprintf(stderr, "auditgen: open %s: %s\n", argv[1], err);
        return 1;
    }
    if (sv_db_run_ro(app.db, find_tx, argv[2]) != SV_OK) {
        fprintf(stderr, "auditgen: no tenant %s\n", argv[2]);
        return 1;
    }
    t0 = now_s();
    for (long first = 0; first < n; first += BATCH) {
        struct batch_ctx b = {first, n - first < BATCH ? n - first : BATCH};
        if (sv_db_run_tenant_tx(app.db, "auditgen", tenant.id, batch_tx, &b) !=
            SV_OK) {
            fprintf(stderr, "auditgen: batch at %ld failed\n", first);
            return 1;
        }
    }
    t = now_s() - t0;
    printf("AUDITGEN events=%ld seconds=%.1f rate=%.0f\n", n, t,
           (double)n / (t > 0 ? t : 1e-9));
    sv_app_close(&app);
    return 0;
}
