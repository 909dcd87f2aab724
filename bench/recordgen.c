/*
 * recordgen: a tenant of many CRM customers for the benchmark (issue 12,
 * scenario 13 of bench/run.sh).
 *
 * usage: recordgen DATA_DIR TENANT_SLUG ADMIN_USERNAME RECORDS
 *
 * Opens DATA_DIR as `serve` does (the server must not be running) and
 * fills tenant TENANT_SLUG, as its admin, with 100 departments (10 roots
 * of 9 children each) and RECORDS customers spread over them, owned by the
 * admin. Every customer has a name (unique, in no particular order
 * against the insertion order), one of 20 industries, a website for one in
 * two; nine in ten have a phone and an e-mail address (confidential:
 * sealed, blind-indexed), one in ten neither (no sealed value at all).
 *
 * Records 0 and 9 (one with phone and e-mail, one without) are created
 * through sv_records_create(), the server's own path (checks, audit event).
 * The others go through a bulk path, 100,000 per transaction, that writes
 * what rec_write() in src/records/records.c writes, with the library's own
 * functions: values in canonical form (sv_value_canon), the plain ones as
 * one JSON object, the confidential ones sealed as one JSON object under
 * the tenant's field key (sv_field_seal_tx, the column "records.sealed"),
 * each indexed field's term (text folded; a sealed value's blind index,
 * sv_field_blind_index_tx, in hex) through records_store_insert() and
 * records_store_term_add(). No record.create audit event is written for
 * them (as bench/dirgen.c writes none for its employees). Before the bulk
 * run, the bulk path's form of records 0 and 9 (name key, plain JSON,
 * sealed plaintext, terms) is compared with what sv_records_create()
 * stored for them: a difference stops the run (exit 1).
 *
 * Three records are the benchmark's targets: SEALED (phone and e-mail set),
 * PLAIN (no sealed value) and MATCH (phone and e-mail set, and the one
 * customer of industry "Zymurgy"), all made by the bulk path, near the
 * middle of the run.
 *
 * Prints one line (seconds and rate: the bulk run, its transactions):
 *   RECORDGEN records=… depts=… seconds=… rate=… sealed=<id>
 *   sealed_phone_mask=… sealed_email_mask=… plain=<id> match=<id>
 *   match_email=… match_industry=Zymurgy
 * and progress (each transaction, its rate) on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/field.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "records/classify.h"
#include "records/records.h"
#include "records/records_store.h"

/* Records per transaction: a large batch writes each index page it dirties
 * once per commit (the blind-index terms and the name keys land all over
 * their b-trees), a small one once per record. */
#define BATCH 100000
#define N_DEPTS 100
#define RARE_INDUSTRY "Zymurgy"
/* As records.c: one level's values sealed as one JSON object. */
#define SEALED_MAX (64 * 1024)
#define TERM_MAX 256

static const struct sv_field_desc DESC_SEALED = {
    "records", "sealed", NULL, NULL, 2, SEALED_MAX};

static struct sv_app app;
static struct sv_tenant tenant;
static char admin_id[37];
static char depts[N_DEPTS][37];

/* SQLite: the generator's own connection keeps the pages of a batch in
 * memory (the default cache, 2 MiB, spills a batch's dirty pages to the
 * WAL again and again). Only this connection's cache: nothing stored
 * changes, and the server opens the file with its own settings. */
SV_SQL(Q_BENCH_CACHE, "bench_cache_size", "PRAGMA cache_size = -3145728",
       SV_SQL_PLATFORM);

/* For the check: a record's terms as stored. */
SV_SQL(Q_BENCH_TERMS, "bench_record_terms",
       "SELECT t.field, t.term FROM record_terms t WHERE t.tenant_id = $1 "
       "AND t.record_id = $2 ORDER BY t.field, t.term",
       0);

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the values of customer i (deterministic) ---- */

static const char *const WORD_A[] = {
    "Acme",   "Blue",   "Golden", "Great",   "Harbor", "Jade", "Lucky",
    "North",  "Pearl",  "Red",    "Silver",  "Summit", "Sun",  "Star",
    "Dragon", "Orient", "Ocean",  "Pioneer", "River",  "Union"};
static const char *const WORD_B[] = {
    "Trading",  "Logistics", "Foods",     "Textiles",  "Machinery",
    "Electric", "Pharma",    "Retail",    "Media",     "Energy",
    "Software", "Motors",    "Chemicals", "Furniture", "Tea",
    "Paper",    "Steel",     "Optics",    "Garments",  "Ceramics"};
static const char *const INDUSTRIES[] = {
    "Retail",      "Manufacturing", "Logistics",   "Finance",
    "Healthcare",  "Education",     "Software",    "Energy",
    "Agriculture", "Construction",  "Hospitality", "Media",
    "Telecom",     "Automotive",    "Chemicals",   "Textiles",
    "Food",        "Real Estate",   "Legal",       "Consulting"};

static unsigned
mix(unsigned long x)
{
    x ^= x >> 16;
    x *= 0x45d9f3bUL;
    x ^= x >> 16;
    x *= 0x45d9f3bUL;
    x ^= x >> 16;
    return (unsigned)(x & 0xffffffffu);
}

static bool
has_sealed(long i)
{
    return i % 10 != 9;
}

/* The fields of customer @p i as a client would send them. */
static json_t *
fields_of(long i, bool rare)
{
    unsigned h = mix((unsigned long)i);
    char s[96];
    json_t *f = json_object();

    snprintf(s, sizeof s, "%s %s %07ld Co., Ltd.", WORD_A[h % 20],
             WORD_B[(h / 20) % 20], i);
    json_object_set_new(f, "name", json_string(s));
    json_object_set_new(
        f, "industry",
        json_string(rare ? RARE_INDUSTRY : INDUSTRIES[(h / 400) % 20]));
    if (i % 2 == 0) {
        snprintf(s, sizeof s, "https://www.c%07ld.example.cn", i);
        json_object_set_new(f, "website", json_string(s));
    }
    if (has_sealed(i)) {
        /* Typed as people type them: a national number with dashes, an
         * address in mixed case (both stored in canonical form). */
        snprintf(s, sizeof s, "139-%04ld-%04ld", (i / 10000) % 10000,
                 i % 10000);
        json_object_set_new(f, "phone", json_string(s));
        snprintf(s, sizeof s, "C%07ld@Example.COM", i);
        json_object_set_new(f, "email", json_string(s));
    }
    return f;
}

/* ---- the bulk path: what rec_write() writes ---- */

struct term {
    const char *field;
    char term[TERM_MAX];
};

struct built {
    json_t *plain, *sealed;
    char *name_key, *plain_text, *sealed_text; /* sealed_text NULL: none */
    struct term terms[SV_RECORD_FIELDS_MAX];
    size_t n_terms;
};

static void
built_free(struct built *b)
{
    json_decref(b->plain);
    json_decref(b->sealed);
    free(b->name_key);
    free(b->plain_text);
    if (b->sealed_text != NULL) {
        sodium_memzero(b->sealed_text, strlen(b->sealed_text));
        free(b->sealed_text);
    }
    sodium_memzero(b->terms, sizeof b->terms);
    memset(b, 0, sizeof *b);
}

/* The term of canonical value @p v of field @p f (records.c's term_of). */
static enum sv_err
term_of(struct sv_dbc *c, const struct sv_field_def *f, const char *v,
        char out[TERM_MAX])
{
    if (!sv_level_policy(f->level)->sealed) {
        if (strlen(v) + 1 > TERM_MAX)
            return SV_E_FIELD_INVALID;
        if (f->type == SV_FTYPE_TEXT || f->type == SV_FTYPE_LONG_TEXT)
            sv_ascii_lower(v, out);
        else
            snprintf(out, TERM_MAX, "%s", v);
        return SV_OK;
    }
    char label[96];
    uint8_t bidx[SV_BLIND_INDEX_LEN];
    struct sv_field_desc d = {"records", f->name, label,
                              NULL,      0,       SV_FIELD_PT_MAX};
    enum sv_err rc;

    snprintf(label, sizeof label, "records.%s.%s",
             sv_record_type_name(SV_RTYPE_CUSTOMER), f->name);
    rc = sv_field_blind_index_tx(c, tenant.id, &d, v, bidx);
    if (rc == SV_OK)
        sv_hex(bidx, sizeof bidx, out);
    sodium_memzero(bidx, sizeof bidx);
    return rc;
}

/* Canonical values by level, the name key, the texts and the terms of
 * @p fields, as the server would store them. */
static enum sv_err
build(struct sv_dbc *c, const json_t *fields, struct built *b)
{
    size_t n;
    const struct sv_field_def *defs = sv_record_fields(SV_RTYPE_CUSTOMER, &n);
    char canon[1024];
    enum sv_err rc = SV_OK;

    memset(b, 0, sizeof *b);
    b->plain = json_object();
    b->sealed = json_object();
    for (size_t i = 0; rc == SV_OK && i < n; i++) {
        const struct sv_field_def *f = &defs[i];
        const char *v = json_string_value(json_object_get(fields, f->name));
        bool sealed = sv_level_policy(f->level)->sealed;
        if (v == NULL)
            continue;
        if (f->level == SV_LEVEL_SECRET ||
            sv_value_canon(f->type, f->max, v, tenant.phone_region, canon,
                           sizeof canon) != NULL) {
            fprintf(stderr,
                    "recordgen: field %s: not a value the bench "
                    "makes (\"%s\")\n",
                    f->name, v);
            rc = SV_E_FIELD_INVALID;
            break;
        }
        json_object_set_new(sealed ? b->sealed : b->plain, f->name,
                            json_string(canon));
        if (f->flags & SV_FIELD_IDX) {
            b->terms[b->n_terms].field = f->name;
            rc = term_of(c, f, canon, b->terms[b->n_terms].term);
            b->n_terms++;
        }
    }
    sodium_memzero(canon, sizeof canon);
    if (rc != SV_OK)
        return rc;
    b->name_key = strdup(json_string_value(json_object_get(b->plain, "name")));
    b->plain_text = json_dumps(b->plain, JSON_COMPACT | JSON_SORT_KEYS);
    if (json_object_size(b->sealed) > 0)
        b->sealed_text = json_dumps(b->sealed, JSON_COMPACT | JSON_SORT_KEYS);
    if (b->name_key == NULL || b->plain_text == NULL ||
        (json_object_size(b->sealed) > 0 && b->sealed_text == NULL))
        return SV_E_INTERNAL;
    sv_ascii_lower(b->name_key, b->name_key);
    return SV_OK;
}

/* Insert customer @p id from @p b, sealed and indexed. */
static enum sv_err
put(struct sv_dbc *c, const char *id, const char *dept, int64_t now,
    const struct built *b)
{
    uint8_t *ct = NULL;
    size_t ct_len = 0;
    enum sv_err rc = SV_OK;

    if (b->sealed_text != NULL) {
        size_t n = strlen(b->sealed_text), cap = sv_field_sealed_len(n);
        if ((ct = malloc(cap)) == NULL)
            return SV_E_INTERNAL;
        rc = sv_field_seal_tx(c, tenant.id, id, &DESC_SEALED,
                              (const uint8_t *)b->sealed_text, n, ct, cap,
                              &ct_len);
    }
    if (rc == SV_OK) {
        struct records_put p = {
            id,          sv_record_type_name(SV_RTYPE_CUSTOMER),
            NULL,        admin_id,
            dept,        1,
            b->name_key, b->plain_text,
            ct,          NULL,
            ct_len,      0,
            now,         now};
        rc = sv_qs_ok(records_store_insert(c, tenant.id, &p));
    }
    for (size_t i = 0; rc == SV_OK && i < b->n_terms; i++)
        rc = sv_qs_ok(records_store_term_add(
            c, tenant.id, sv_record_type_name(SV_RTYPE_CUSTOMER),
            b->terms[i].field, b->terms[i].term, id));
    free(ct);
    return rc;
}

/* ---- the run ---- */

struct targets {
    long sealed, plain, match;
    char sealed_id[37], plain_id[37], match_id[37];
};
static struct targets tg;

struct batch_ctx {
    long first, count;
};

static enum sv_err
batch_tx(struct sv_dbc *c, void *cls)
{
    struct batch_ctx *x = cls;
    int64_t now = sv_now_ms();
    enum sv_err rc = SV_OK;

    if (!sv_dbc_is_postgres(c) &&
        sv_stmt_exec(sv_db_stmt(c, &Q_BENCH_CACHE)) < 0)
        return SV_E_INTERNAL;
    sv_db_batch_begin(c); /* PostgreSQL: pipelined; SQLite: as it is */
    for (long i = x->first; rc == SV_OK && i < x->first + x->count; i++) {
        char id[37];
        struct built b;
        json_t *f;
        if (i == 0 || i == 9)
            continue; /* made through sv_records_create() */
        sv_uuid7(id);
        f = fields_of(i, i == tg.match);
        rc = build(c, f, &b);
        if (rc == SV_OK)
            rc = put(c, id, depts[i % N_DEPTS], now, &b);
        built_free(&b);
        json_decref(f);
        if (i == tg.sealed)
            memcpy(tg.sealed_id, id, sizeof id);
        else if (i == tg.plain)
            memcpy(tg.plain_id, id, sizeof id);
        else if (i == tg.match)
            memcpy(tg.match_id, id, sizeof id);
    }
    enum sv_err end = sv_db_batch_end(c);
    return rc != SV_OK ? rc : end;
}

/* ---- the check: the bulk path's form against the server's ---- */

struct stored {
    bool found;
    char *name_key, *plain;
    uint8_t *sealed;
    size_t sealed_len;
};

static bool
stored_row(void *cls, const struct records_row *r)
{
    struct stored *s = cls;
    s->found = true;
    s->name_key = strdup(r->name_key);
    s->plain = strdup(r->plain);
    if (r->sealed != NULL && (s->sealed = malloc(r->sealed_len)) != NULL) {
        memcpy(s->sealed, r->sealed, r->sealed_len);
        s->sealed_len = r->sealed_len;
    }
    return s->name_key != NULL && s->plain != NULL &&
           (r->sealed == NULL || s->sealed != NULL);
}

struct check_ctx {
    const char *id;
    const json_t *fields;
    char why[160];
};

static int
term_cmp(const void *a, const void *b)
{
    const struct term *x = a, *y = b;
    int d = strcmp(x->field, y->field);
    return d != 0 ? d : strcmp(x->term, y->term);
}

static enum sv_err
check_tx(struct sv_dbc *c, void *cls)
{
    struct check_ctx *k = cls;
    struct stored s = {0};
    struct built b;
    char *pt = NULL;
    size_t pt_len = 0, i = 0;
    enum sv_err rc = build(c, k->fields, &b);
    enum sv_qs qs;

    if (rc == SV_OK)
        rc = sv_qs_found(
            records_store_find(c, tenant.id, k->id, stored_row, &s));
    if (rc == SV_OK && strcmp(s.name_key, b.name_key) != 0)
        snprintf(k->why, sizeof k->why, "name_key");
    else if (rc == SV_OK && strcmp(s.plain, b.plain_text) != 0)
        snprintf(k->why, sizeof k->why, "plain (%s vs %s)", s.plain,
                 b.plain_text);
    else if (rc == SV_OK && (s.sealed == NULL) != (b.sealed_text == NULL))
        snprintf(k->why, sizeof k->why, "sealed present or not");
    if (rc == SV_OK && k->why[0] == '\0' && s.sealed != NULL) {
        if ((pt = malloc(s.sealed_len + 1)) == NULL)
            rc = SV_E_INTERNAL;
        else
            rc = sv_field_open_tx(c, tenant.id, k->id, &DESC_SEALED, s.sealed,
                                  s.sealed_len, (uint8_t *)pt, s.sealed_len,
                                  &pt_len);
        if (rc == SV_OK && (pt_len != strlen(b.sealed_text) ||
                            memcmp(pt, b.sealed_text, pt_len) != 0))
            snprintf(k->why, sizeof k->why, "sealed plaintext");
    }
    if (rc == SV_OK && k->why[0] == '\0') {
        struct sv_stmt *st = sv_db_stmt2(c, &Q_BENCH_TERMS, tenant.id, k->id);
        qsort(b.terms, b.n_terms, sizeof b.terms[0], term_cmp);
        while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
            if (i >= b.n_terms ||
                strcmp(sv_stmt_col_text(st, 0), b.terms[i].field) != 0 ||
                strcmp(sv_stmt_col_text(st, 1), b.terms[i].term) != 0) {
                snprintf(k->why, sizeof k->why, "term %s",
                         sv_stmt_col_text(st, 0));
                break;
            }
            i++;
        }
        if (qs < 0)
            rc = sv_qs_err(qs);
        else if (k->why[0] == '\0' && i != b.n_terms)
            snprintf(k->why, sizeof k->why, "%zu terms stored, %zu built", i,
                     b.n_terms);
    }
    if (pt != NULL) {
        sodium_memzero(pt, s.sealed_len + 1);
        free(pt);
    }
    free(s.name_key);
    free(s.plain);
    free(s.sealed);
    built_free(&b);
    return rc;
}

/* Customer @p i through sv_records_create(), then its stored form
 * compared with the bulk path's. */
static int
create_and_check(long i, const struct sv_actor *admin)
{
    json_t *f = fields_of(i, false), *out = NULL;
    struct sv_record_input in = {f, NULL, depts[i % N_DEPTS], 0};
    struct sv_record_outcome o = {0};
    struct check_ctx k = {NULL, f, ""};
    enum sv_err rc = sv_records_create(app.db, tenant.id, SV_RTYPE_CUSTOMER,
                                       &in, admin, &out, &o);

    if (rc != SV_OK) {
        fprintf(stderr, "recordgen: sv_records_create %ld: %s (%s)\n", i,
                sv_err_code(rc), o.field != NULL ? o.field : "-");
        json_decref(f);
        return 1;
    }
    k.id = json_string_value(json_object_get(out, "id"));
    rc = sv_db_run_tenant_ro(app.db, tenant.id, check_tx, &k);
    json_decref(out);
    json_decref(f);
    if (rc != SV_OK || k.why[0] != '\0') {
        fprintf(stderr,
                "recordgen: the bulk path does not write customer %ld as "
                "sv_records_create() did: %s\n",
                i, rc != SV_OK ? sv_err_code(rc) : k.why);
        return 1;
    }
    return 0;
}

struct find_ctx {
    const char *slug, *username;
    struct sv_account admin;
};

static enum sv_err
find_tx(struct sv_dbc *c, void *cls)
{
    struct find_ctx *x = cls;
    enum sv_err rc = sv_tenant_find_by_slug(c, x->slug, &tenant);
    if (rc == SV_OK)
        rc = sv_db_scope_tenant(c, tenant.id);
    if (rc == SV_OK)
        rc = sv_account_find_by_username(c, tenant.id, x->username, &x->admin);
    return rc;
}

/* The canonical value of field @p name of customer @p i into @p out
 * (@p cap bytes; "" when unset). */
static void
canon_of(long i, bool rare, const char *name, char *out, size_t cap)
{
    json_t *f = fields_of(i, rare);
    const struct sv_field_def *d = sv_record_field(SV_RTYPE_CUSTOMER, name);
    const char *v = json_string_value(json_object_get(f, name));

    out[0] = '\0';
    if (d == NULL || v == NULL ||
        sv_value_canon(d->type, d->max, v, tenant.phone_region, out, cap) !=
            NULL)
        out[0] = '\0';
    json_decref(f);
}

/* The mask a reader sees of field @p name of customer @p i. */
static void
mask_of(long i, const char *name, char out[128])
{
    const struct sv_field_def *d = sv_record_field(SV_RTYPE_CUSTOMER, name);
    char canon[256];

    out[0] = '\0';
    canon_of(i, false, name, canon, sizeof canon);
    if (d != NULL && canon[0] != '\0')
        sv_value_mask(d->type, canon, out, 128);
}

int
main(int argc, char **argv)
{
    char err[256] = "";
    struct find_ctx f;
    long n;
    double t0, t_last;

    if (argc != 5 || (n = atol(argv[4])) < 100 || n > 99999999) {
        fprintf(stderr, "usage: recordgen DATA_DIR TENANT_SLUG "
                        "ADMIN_USERNAME RECORDS (100-99999999)\n");
        return 2;
    }
    if (sodium_init() < 0 ||
        sv_app_open(&app, argv[1], 2, err, sizeof err) != SV_OK) {
        fprintf(stderr, "recordgen: open %s: %s\n", argv[1], err);
        return 1;
    }
    f.slug = argv[2];
    f.username = argv[3];
    if (sv_db_run_ro(app.db, find_tx, &f) != SV_OK) {
        fprintf(stderr, "recordgen: no tenant %s with an account %s\n", argv[2],
                argv[3]);
        return 1;
    }
    snprintf(admin_id, sizeof admin_id, "%s", f.admin.id);
    struct sv_actor admin = {f.admin.id, f.admin.username, "127.0.0.1",
                             "recordgen"};

    t0 = now_s();
    for (long i = 0; i < N_DEPTS; i++) {
        struct sv_department d;
        const char *field = NULL;
        char name[32];
        const char *parent = i < 10 ? NULL : depts[(i - 10) / 9];
        snprintf(name, sizeof name, "Sales %02ld", i);
        if (sv_department_create(app.db, tenant.id, name, parent, &admin, &d,
                                 NULL, &field) != SV_OK) {
            fprintf(stderr, "recordgen: department %ld (%s)\n", i,
                    field ? field : "-");
            return 1;
        }
        memcpy(depts[i], d.id, sizeof depts[i]);
    }

    /* The targets, near the middle; the plain one has no sealed value. */
    tg.sealed = n / 2 - (n / 2) % 10 + 1;
    tg.plain = n / 2 - (n / 2) % 10 + 9;
    tg.match = n / 3 - (n / 3) % 10 + 3;
    if (create_and_check(0, &admin) != 0 || create_and_check(9, &admin) != 0)
        return 1;

    t0 = t_last = now_s();
    for (long first = 0; first < n; first += BATCH) {
        struct batch_ctx b = {first, n - first < BATCH ? n - first : BATCH};
        double t;
        if (sv_db_run_tenant_tx(app.db, "recordgen", tenant.id, batch_tx, &b) !=
            SV_OK) {
            fprintf(stderr, "recordgen: batch at %ld failed\n", first);
            return 1;
        }
        t = now_s();
        fprintf(
            stderr,
            "recordgen: %ld records in %.1f s (this batch of %ld: %.0f/s)\n",
            first + b.count, t - t0, b.count, (double)b.count / (t - t_last));
        t_last = t;
    }
    double secs = now_s() - t0;
    char pm[128], em[128], me[128];
    mask_of(tg.sealed, "phone", pm);
    mask_of(tg.sealed, "email", em);
    canon_of(tg.match, true, "email", me, sizeof me);
    printf("RECORDGEN records=%ld depts=%d seconds=%.1f rate=%.0f sealed=%s "
           "sealed_phone_mask=%s sealed_email_mask=%s plain=%s match=%s "
           "match_email=%s match_industry=%s\n",
           n, N_DEPTS, secs, (double)n / secs, tg.sealed_id, pm, em,
           tg.plain_id, tg.match_id, me, RARE_INDUSTRY);
    sv_app_close(&app);
    return 0;
}
