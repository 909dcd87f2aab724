/* Tenant key rotation and re-sealing: see keys.h. */
#include "directory/keys.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit/audit.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/keys_store.h"
#include "directory/tenant.h"
#include "directory/tenant_store.h"

/* A job's lease: renewed by every batch, so a batch must take less. */
enum { LEASE_MS = 15000 };

/* ---- rotation ---- */

struct rotate_ctx {
    const struct sv_keyring *kr;
    const char *slug, *actor;
    struct sv_key_job *job;
};

/* Both streams: the platform's and the tenant's. */
static enum sv_err
audit_both(struct sv_dbc *c, const char *tenant_id, const char *actor,
           enum sv_audit_action a, const char *details)
{
    struct sv_audit_event ev = {
        .actor = actor,
        .action = sv_audit_action_name(a),
        .target_type = "tenant",
        .target_id = tenant_id,
        .result = "success",
        .details = details,
    };
    enum sv_err rc = sv_audit_append(c, &ev);
    if (rc != SV_OK)
        return rc;
    ev.tenant_id = tenant_id;
    return sv_audit_append(c, &ev);
}

static enum sv_err
count_sealed(struct sv_dbc *c, const char *tenant_id, int64_t *total)
{
    size_t n;
    const struct sv_sealed_column *const *cols = sv_sealed_columns(&n);

    *total = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t k = 0;
        enum sv_qs qs = keys_store_count(c, cols[i], tenant_id, &k);
        if (qs < 0)
            return sv_qs_err(qs);
        *total += k;
    }
    return SV_OK;
}

static enum sv_err
rotate_tx(struct sv_dbc *c, void *cls)
{
    struct rotate_ctx *x = cls;
    struct sv_key_job *j = x->job;
    struct sv_tenant t;
    uint8_t wrapped[SV_WRAPPED_KEK_MAX];
    size_t wrapped_len = 0;
    uint32_t max = 0;
    char details[256];
    enum sv_err rc;
    enum sv_qs qs;

    rc = sv_db_scope_platform(c);
    if (rc == SV_OK)
        rc = sv_tenant_find_by_slug(c, x->slug, &t);
    if (rc == SV_OK)
        rc = sv_db_scope_tenant(c, t.id);
    if (rc != SV_OK)
        return rc;
    /* One rotation at a time per tenant: the tenant row is the lock. */
    qs = keys_store_max_version(c, t.id, &max);
    if (qs != SV_QS_ONE)
        return qs < 0 ? sv_qs_err(qs) : SV_E_NOT_FOUND;
    memset(j, 0, sizeof *j);
    snprintf(j->tenant_id, sizeof j->tenant_id, "%s", t.id);
    sv_uuid7(j->id);
    snprintf(j->state, sizeof j->state, "running");
    j->target = max + 1;
    j->pass = 1;
    j->created_at = j->updated_at = sv_now_ms();
    rc = sv_keyring_kek_new(x->kr, t.id, j->target, wrapped, &wrapped_len);
    if (rc != SV_OK)
        return rc;
    qs = tenant_store_insert_key(c, t.id, j->target, wrapped, wrapped_len);
    if (qs != SV_QS_ONE)
        return qs < 0 ? sv_qs_err(qs) : SV_E_INTERNAL;
    qs = keys_store_supersede(c, t.id, j->created_at);
    if (qs < 0)
        return sv_qs_err(qs);
    rc = count_sealed(c, t.id, &j->total);
    if (rc != SV_OK)
        return rc;
    qs = keys_store_job_insert(c, j);
    if (qs != SV_QS_ONE)
        return qs < 0 ? sv_qs_err(qs) : SV_E_INTERNAL;
    snprintf(details, sizeof details,
             "{\"slug\":\"%s\",\"version\":%u,\"job\":\"%s\",\"values\":%lld}",
             t.slug, j->target, j->id, (long long)j->total);
    return audit_both(c, t.id, x->actor, SV_AUDIT_KEY_ROTATE, details);
}

enum sv_err
sv_keys_rotate(struct sv_db *db, const struct sv_keyring *kr, const char *slug,
               const char *actor, struct sv_key_job *job)
{
    struct rotate_ctx x = {kr, slug, actor, job};
    return sv_db_run_tx(db, "key_rotate", rotate_tx, &x);
}

/* ---- status ---- */

struct status_ctx {
    struct sv_tenant_ids ids;
    const char *slug;
    struct sv_key_status st;
};

static void
version_row(void *cls, uint32_t version, int64_t created_at, int64_t retired_at)
{
    struct sv_key_status *s = cls;
    if (s->n_versions == SV_KEY_VERSIONS_SHOWN) {
        memmove(s->versions, s->versions + 1,
                (SV_KEY_VERSIONS_SHOWN - 1) * sizeof *s->versions);
        s->n_versions--;
    }
    s->versions[s->n_versions++] =
        (struct sv_key_version){version, created_at, retired_at};
    if (retired_at == 0)
        s->current = version;
}

static enum sv_err
status_tx(struct sv_dbc *c, void *cls)
{
    struct status_ctx *x = cls;
    struct sv_key_status *s = &x->st;
    struct sv_tenant t;
    enum sv_err rc = sv_tenant_find(c, s->tenant_id, &t);
    enum sv_qs qs;

    if (rc != SV_OK)
        return rc;
    snprintf(s->slug, sizeof s->slug, "%s", t.slug);
    s->n_versions = 0;
    s->current = 0;
    qs = keys_store_versions(c, s->tenant_id, version_row, s);
    if (qs < 0)
        return sv_qs_err(qs);
    qs = keys_store_job_latest(c, s->tenant_id, &s->job);
    if (qs < 0)
        return sv_qs_err(qs);
    s->has_job = qs == SV_QS_ONE;
    return SV_OK;
}

static enum sv_err
slug_tx(struct sv_dbc *c, void *cls)
{
    struct status_ctx *x = cls;
    struct sv_tenant t;
    enum sv_err rc = sv_tenant_find_by_slug(c, x->slug, &t);
    if (rc == SV_OK)
        snprintf(x->st.tenant_id, sizeof x->st.tenant_id, "%s", t.id);
    return rc;
}

enum sv_err
sv_keys_status(struct sv_db *db, const char *slug,
               void (*each)(void *, const struct sv_key_status *), void *cls)
{
    struct status_ctx *x = sv_xcalloc(1, sizeof *x);
    enum sv_err rc = SV_OK;

    x->slug = slug;
    if (slug != NULL) {
        rc = sv_db_run_ro(db, slug_tx, x);
        if (rc == SV_OK)
            rc = sv_db_run_tenant_ro(db, x->st.tenant_id, status_tx, x);
        if (rc == SV_OK)
            each(cls, &x->st);
    } else {
        rc = sv_tenant_ids(db, &x->ids);
        for (size_t i = 0; rc == SV_OK && i < x->ids.n; i++) {
            memset(&x->st, 0, sizeof x->st);
            snprintf(x->st.tenant_id, sizeof x->st.tenant_id, "%s",
                     x->ids.ids[i]);
            rc = sv_db_run_tenant_ro(db, x->ids.ids[i], status_tx, x);
            if (rc == SV_OK)
                each(cls, &x->st);
        }
        free(x->ids.ids);
    }
    free(x);
    return rc;
}

enum sv_err
sv_keys_status_of(struct sv_db *db, const char *tenant_id,
                  struct sv_key_status *out)
{
    struct status_ctx *x = sv_xcalloc(1, sizeof *x);
    enum sv_err rc;

    snprintf(x->st.tenant_id, sizeof x->st.tenant_id, "%s", tenant_id);
    rc = sv_db_run_tenant_ro(db, tenant_id, status_tx, x);
    if (rc == SV_OK)
        *out = x->st;
    free(x);
    return rc;
}

const char *
sv_key_job_phase(const struct sv_key_job *j)
{
    if (strcmp(j->state, "running") != 0)
        return j->state;
    return j->pass > 1 ? "verifying" : "re-sealing";
}

/* A time as its reader takes it; 0 (not yet) is null when @p zero_null. */
static json_t *
time_json(int64_t ms, enum sv_key_json as, bool zero_null)
{
    if (ms == 0 && zero_null)
        return json_null();
    return as == SV_KEY_JSON_API ? sv_json_time(ms) : json_integer(ms);
}

static json_t *
job_json(const struct sv_key_job *j, enum sv_key_json as)
{
    json_t *o = json_object();

    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "state", json_string(j->state));
    json_object_set_new(o, "phase", json_string(sv_key_job_phase(j)));
    json_object_set_new(o, "version", json_integer(j->target));
    json_object_set_new(o, "pass", json_integer(j->pass));
    json_object_set_new(o, "looked_at", json_integer(j->pass_scanned));
    json_object_set_new(o, "older_found", json_integer(j->pass_resealed));
    json_object_set_new(o, "not_opening", json_integer(j->pass_broken));
    json_object_set_new(o, "resealed", json_integer(j->resealed));
    json_object_set_new(o, "total", json_integer(j->total));
    /* The cursor names a table and column: for operators, not the API. */
    if (as == SV_KEY_JSON_CLI)
        json_object_set_new(o, "column", json_string(j->column));
    json_object_set_new(o, "created_at", time_json(j->created_at, as, false));
    json_object_set_new(o, "finished_at", time_json(j->finished_at, as, true));
    return o;
}

json_t *
sv_keys_status_json(const struct sv_key_status *s, enum sv_key_json as)
{
    json_t *o = json_object(), *versions = json_array();

    for (size_t i = 0; i < s->n_versions; i++) {
        const struct sv_key_version *v = &s->versions[i];
        const char *state = v->retired_at != 0         ? "retired"
                            : v->version == s->current ? "current"
                                                       : "live";
        json_t *vo = json_object();

        json_object_set_new(vo, "version", json_integer(v->version));
        json_object_set_new(vo, "state", json_string(state));
        json_object_set_new(vo, "created_at",
                            time_json(v->created_at, as, false));
        json_object_set_new(vo, "retired_at",
                            time_json(v->retired_at, as, true));
        json_array_append_new(versions, vo);
    }
    if (as == SV_KEY_JSON_CLI) {
        json_object_set_new(o, "tenant", json_string(s->slug));
        json_object_set_new(o, "id", json_string(s->tenant_id));
    }
    json_object_set_new(o, "current_version", json_integer(s->current));
    json_object_set_new(o, "versions", versions);
    json_object_set_new(o, "job",
                        s->has_job ? job_json(&s->job, as) : json_null());
    return o;
}

/* ---- re-sealing ---- */

/* A page of one column, copied out of the statement. */
struct page_row {
    char id[64];
    uint8_t *ct;
    size_t len;
};

struct batch_ctx {
    const char *owner;
    const char *job_id, *tenant_id;
    size_t batch;
    struct sv_key_job j;
    bool leased, finished;
    uint32_t retired[64];
    size_t n_retired;
    /* the page being worked */
    struct page_row *rows;
    size_t n_rows, cap_rows;
};

static void
rows_clear(struct batch_ctx *b)
{
    for (size_t i = 0; i < b->n_rows; i++) {
        free(b->rows[i].ct);
        b->rows[i].ct = NULL;
    }
    b->n_rows = 0;
}

static enum sv_err
page_row(void *cls, const char *id, const uint8_t *ct, size_t len)
{
    struct batch_ctx *b = cls;
    struct page_row *r;

    if (strlen(id) >= sizeof r->id)
        return SV_E_INTERNAL; /* no row id is that long */
    if (b->n_rows == b->cap_rows)
        return SV_E_INTERNAL; /* the page asked for no more */
    r = &b->rows[b->n_rows];
    r->ct = malloc(len > 0 ? len : 1);
    if (r->ct == NULL)
        return SV_E_INTERNAL;
    memcpy(r->ct, ct, len);
    r->len = len;
    snprintf(r->id, sizeof r->id, "%s", id);
    b->n_rows++;
    return SV_OK;
}

/* Re-seal one value under the job's version; *found: it was older. */
static enum sv_err
reseal_one(struct sv_dbc *c, struct batch_ctx *b,
           const struct sv_sealed_column *col, const struct sv_tenant_keys *to,
           const struct page_row *r, uint8_t *pt, uint8_t *ct)
{
    const struct sv_field_desc *d = col->desc;
    const struct sv_tenant_keys *from;
    uint32_t v = sv_field_key_id(r->ct, r->len);
    size_t pt_len = 0, ct_len = 0;
    enum sv_err rc;
    enum sv_qs qs;

    if (v >= b->j.target)
        return SV_OK;
    b->j.pass_resealed++;
    rc = sv_tenant_keys_get(c, b->tenant_id, v, &from);
    if (rc == SV_OK)
        rc = sv_field_open_keys(from, b->tenant_id, r->id, d, r->ct, r->len, pt,
                                d->max_len, &pt_len);
    if (rc == SV_OK)
        rc = sv_field_seal_keys(to, b->tenant_id, r->id, d, pt, pt_len, ct,
                                sv_field_sealed_len(d->max_len), &ct_len);
    sodium_memzero(pt, pt_len);
    if (rc == SV_E_TAMPERED || rc == SV_E_NOT_FOUND) {
        /* Counted as found, so the job never retires its version: a value
         * that does not open now is not made unopenable for good. */
        sv_log(SV_LOG_ERROR, "re-sealing",
               "%s.%s of row %s (tenant %s) does not open under version %u: "
               "left as it is",
               d->table, d->column, r->id, b->tenant_id, v);
        b->j.pass_broken++;
        return SV_OK;
    }
    if (rc != SV_OK)
        return rc;
    qs = keys_store_reseal(c, col, b->tenant_id, r->id, ct, ct_len, r->ct,
                           r->len);
    if (qs < 0)
        return sv_qs_err(qs);
    /* No row changed: a writer replaced the value since, under the
     * newest version (it is looked at again by the next pass). */
    if (qs == SV_QS_ONE)
        b->j.resealed++;
    return SV_OK;
}

static void
retired_row(void *cls, uint32_t version)
{
    struct batch_ctx *b = cls;
    if (b->n_retired < sizeof b->retired / sizeof *b->retired)
        b->retired[b->n_retired++] = version;
}

/* The pass ended: the job is done, or another pass begins. */
static enum sv_err
pass_end(struct sv_dbc *c, struct batch_ctx *b, int64_t now)
{
    char details[192];
    enum sv_err rc;
    enum sv_qs qs;

    if (b->j.pass_safe && b->j.pass_resealed > 0 &&
        b->j.pass_resealed == b->j.pass_broken) {
        /* Only values that do not open are left: another pass would find
         * them again. Nothing is retired. */
        snprintf(b->j.state, sizeof b->j.state, "blocked");
        b->j.finished_at = now;
        return SV_OK;
    }
    if (!b->j.pass_safe || b->j.pass_resealed > 0) {
        b->j.pass++;
        b->j.pass_safe = false;
        b->j.pass_scanned = b->j.pass_resealed = b->j.pass_broken = 0;
        b->j.column[0] = b->j.after_id[0] = '\0';
        return SV_OK;
    }
    /* Nothing older is left, and none can come: retire. */
    rc = sv_db_scope_platform(c);
    if (rc != SV_OK)
        return rc;
    qs = keys_store_retire(c, b->tenant_id, b->j.target, now, retired_row, b);
    if (qs < 0)
        return sv_qs_err(qs);
    snprintf(b->j.state, sizeof b->j.state, "done");
    b->j.finished_at = now;
    b->finished = true;
    snprintf(details, sizeof details,
             "{\"version\":%u,\"job\":\"%s\",\"resealed\":%lld,"
             "\"passes\":%lld}",
             b->j.target, b->j.id, (long long)b->j.resealed,
             (long long)b->j.pass);
    rc = audit_both(c, b->tenant_id, NULL, SV_AUDIT_KEY_RESEAL_DONE, details);
    for (size_t i = 0; rc == SV_OK && i < b->n_retired; i++) {
        snprintf(details, sizeof details, "{\"version\":%u}", b->retired[i]);
        rc = audit_both(c, b->tenant_id, NULL, SV_AUDIT_KEY_RETIRE, details);
    }
    return rc;
}

static enum sv_err
batch_tx(struct sv_dbc *c, void *cls)
{
    struct batch_ctx *b = cls;
    size_t n_cols, left = b->batch, idx = 0, max_len = 0;
    const struct sv_sealed_column *const *cols = sv_sealed_columns(&n_cols);
    const struct sv_tenant_keys *to;
    int64_t now = sv_now_ms();
    uint8_t *pt = NULL, *ct = NULL;
    enum sv_err rc = SV_OK;
    enum sv_qs qs;

    b->leased = b->finished = false;
    b->n_retired = 0;
    qs = keys_store_job_lease(c, b->tenant_id, b->job_id, b->owner, now,
                              now + LEASE_MS);
    if (qs <= 0)
        return qs < 0 ? sv_qs_err(qs) : SV_OK; /* another node's, or over */
    b->leased = true;
    qs = keys_store_job_get(c, b->tenant_id, b->job_id, &b->j);
    if (qs != SV_QS_ONE)
        return qs < 0 ? sv_qs_err(qs) : SV_E_NOT_FOUND;
    if (b->j.column[0] == '\0' && b->j.after_id[0] == '\0' &&
        b->j.pass_scanned == 0) {
        /* A pass begins: the fence first. */
        int64_t older = 0;
        qs = keys_store_fence(c, b->tenant_id, b->j.target, &older);
        if (qs < 0)
            return sv_qs_err(qs);
        b->j.pass_safe = true;
    }
    rc = sv_tenant_keys_get(c, b->tenant_id, b->j.target, &to);
    if (rc != SV_OK)
        return rc;
    for (size_t i = 0; i < n_cols; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.%s", cols[i]->desc->table,
                 cols[i]->desc->column);
        if (strcmp(name, b->j.column) == 0)
            idx = i;
        if (cols[i]->desc->max_len > max_len)
            max_len = cols[i]->desc->max_len;
    }
    pt = sodium_malloc(max_len + 1);
    ct = malloc(sv_field_sealed_len(max_len));
    if (pt == NULL || ct == NULL)
        rc = SV_E_INTERNAL;
    while (rc == SV_OK && left > 0 && strcmp(b->j.state, "running") == 0) {
        if (idx >= n_cols) {
            rc = pass_end(c, b, now);
            break; /* a new pass begins with the next batch, fenced */
        }
        const struct sv_sealed_column *col = cols[idx];
        snprintf(b->j.column, sizeof b->j.column, "%s.%s", col->desc->table,
                 col->desc->column);
        rows_clear(b);
        b->cap_rows = left < b->batch ? left : b->batch;
        rc = keys_store_page(c, col, b->tenant_id, b->j.after_id,
                             (int64_t)b->cap_rows, page_row, b);
        for (size_t i = 0; rc == SV_OK && i < b->n_rows; i++) {
            rc = reseal_one(c, b, col, to, &b->rows[i], pt, ct);
            b->j.pass_scanned++;
        }
        if (rc != SV_OK)
            break;
        if (b->n_rows > 0)
            snprintf(b->j.after_id, sizeof b->j.after_id, "%s",
                     b->rows[b->n_rows - 1].id);
        if (b->n_rows < b->cap_rows) {
            idx++; /* the column is done */
            b->j.after_id[0] = '\0';
            if (idx >= n_cols)
                continue; /* the pass's end, in this batch */
            snprintf(b->j.column, sizeof b->j.column, "%s.%s",
                     cols[idx]->desc->table, cols[idx]->desc->column);
        }
        left -= b->n_rows;
    }
    rows_clear(b);
    sodium_free(pt);
    free(ct);
    if (rc != SV_OK)
        return rc;
    b->j.updated_at = now;
    qs = keys_store_job_save(c, &b->j,
                             b->j.finished_at != 0 ? 0 : now + LEASE_MS);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

struct next_ctx {
    const char *owner;
    char id[37], tenant_id[37];
    bool found;
};

static enum sv_err
next_tx(struct sv_dbc *c, void *cls)
{
    struct next_ctx *x = cls;
    enum sv_err rc = sv_db_scope_platform(c);
    enum sv_qs qs;

    if (rc != SV_OK)
        return rc;
    qs = keys_store_job_next(c, sv_now_ms(), x->owner, x->id, x->tenant_id);
    x->found = qs == SV_QS_ONE;
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

enum sv_err
sv_keys_step(struct sv_db *db, const char *owner, size_t batch, bool *worked)
{
    struct next_ctx n = {.owner = owner};
    struct batch_ctx *b;
    enum sv_err rc;

    *worked = false;
    rc = sv_db_run_ro(db, next_tx, &n);
    if (rc != SV_OK || !n.found)
        return rc;
    b = sv_xcalloc(1, sizeof *b);
    b->owner = owner;
    b->job_id = n.id;
    b->tenant_id = n.tenant_id;
    b->batch = batch > 0 ? batch : 1;
    b->rows = sv_xcalloc(b->batch, sizeof *b->rows);
    rc = sv_db_run_tenant_tx(db, "key_reseal", n.tenant_id, batch_tx, b);
    if (rc == SV_OK && b->leased)
        *worked = true;
    if (rc == SV_OK && b->finished)
        (void)sv_tenant_keys_forget(n.tenant_id, b->j.target);
    rows_clear(b);
    free(b->rows);
    free(b);
    return rc;
}

/* ---- moving the root ---- */

struct resign_ctx {
    const char *stream;
    const struct sv_keyring *from, *to;
    bool resigned;
};

static enum sv_err
resign_tx(struct sv_dbc *c, void *cls)
{
    struct resign_ctx *x = cls;
    return sv_audit_resign_head(c, x->stream, x->from, x->to, &x->resigned);
}

static enum sv_err
resign_platform_tx(struct sv_dbc *c, void *cls)
{
    enum sv_err rc = sv_db_scope_platform(c);
    return rc == SV_OK ? resign_tx(c, cls) : rc;
}

struct root_event {
    const char *kind, *actor;
};

static enum sv_err
root_event_tx(struct sv_dbc *c, void *cls)
{
    const struct root_event *e = cls;
    char details[64];
    enum sv_err rc = sv_db_scope_platform(c);

    if (rc != SV_OK)
        return rc;
    snprintf(details, sizeof details, "{\"to\":\"%s\"}", e->kind);
    struct sv_audit_event ev = {
        .actor = e->actor,
        .action = sv_audit_action_name(SV_AUDIT_KEY_ROOT),
        .target_type = "platform",
        .result = "success",
        .details = details,
    };
    return sv_audit_append(c, &ev);
}

enum sv_err
sv_keys_migrate_root(struct sv_db *db, const struct sv_keyring *from,
                     const struct sv_keyring *to, const char *kind,
                     const char *actor, struct sv_keys_migration *out,
                     char *err, size_t err_len)
{
    struct sv_tenant_ids ids;
    struct resign_ctx x = {.from = from, .to = to};
    struct root_event e = {kind, actor};
    enum sv_err rc;

    memset(out, 0, sizeof *out);
    /* Recorded first, under the old root: the heads are signed anew with
     * the rest below. */
    rc = sv_db_run_tx(db, "key_root", root_event_tx, &e);
    if (rc != SV_OK) {
        snprintf(err, err_len, "the key.root event: %s", sv_err_code(rc));
        return rc;
    }
    rc = sv_tenant_ids(db, &ids);
    for (size_t i = 0; rc == SV_OK && i < ids.n; i++) {
        bool moved = false;
        rc = sv_keyring_tmk_move(from, to, ids.ids[i], &moved);
        if (rc != SV_OK)
            snprintf(err, err_len, "tenant %s: its master key: %s", ids.ids[i],
                     sv_err_code(rc));
        out->tenants++;
        out->moved += moved;
    }
    for (size_t i = 0; rc == SV_OK && i <= ids.n; i++) {
        x.stream = i < ids.n ? ids.ids[i] : SV_AUDIT_PLATFORM;
        rc = i < ids.n
                 ? sv_db_run_tenant_tx(db, "resign", x.stream, resign_tx, &x)
                 : sv_db_run_tx(db, "resign", resign_platform_tx, &x);
        if (rc != SV_OK)
            snprintf(err, err_len,
                     "audit stream %s: its head %s (run salesvault audit "
                     "verify)",
                     x.stream,
                     rc == SV_E_TAMPERED ? "was not signed by the old root"
                                         : "could not be signed anew");
        out->heads++;
        out->resigned += x.resigned;
    }
    free(ids.ids);
    return rc;
}

/* ---- every node: forget retired keys ---- */

static void
done_row(void *cls, const char *tenant_id, uint32_t target)
{
    (void)cls;
    (void)sv_tenant_keys_forget(tenant_id, target);
}

static enum sv_err
prune_tx(struct sv_dbc *c, void *cls)
{
    enum sv_err rc = sv_db_scope_platform(c);
    enum sv_qs qs;

    (void)cls;
    if (rc != SV_OK)
        return rc;
    qs = keys_store_done_targets(c, done_row, NULL);
    if (qs < 0)
        return sv_qs_err(qs);
    return sv_tenant_keys_forget_deleted(c);
}

enum sv_err
sv_keys_prune(struct sv_db *db)
{
    return sv_db_run_ro(db, prune_tx, NULL);
}

/* ---- the worker ---- */

enum { IDLE_MS = 1000, PRUNE_MS = 5000 };

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct sv_db *db;
    bool started, stop;
    pthread_t thread;
    char owner[96];
    unsigned batch, pause_ms;
} K = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void
idle(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&K.mu);
    if (!K.stop)
        pthread_cond_timedwait(&K.cv, &K.mu, &ts);
    pthread_mutex_unlock(&K.mu);
}

static bool
stopping(void)
{
    bool s;
    pthread_mutex_lock(&K.mu);
    s = K.stop;
    pthread_mutex_unlock(&K.mu);
    return s;
}

static void *
worker_main(void *arg)
{
    int64_t last_prune = 0;
    (void)arg;
    while (!stopping()) {
        bool worked = false;
        int64_t now = sv_now_ms();
        if (now - last_prune >= PRUNE_MS) {
            if (sv_keys_prune(K.db) != SV_OK)
                sv_log(SV_LOG_WARN, "key cache prune failed", "%s",
                       "next time");
            last_prune = now;
        }
        if (sv_keys_step(K.db, K.owner, K.batch, &worked) != SV_OK) {
            sv_log(SV_LOG_WARN, "re-sealing batch failed", "%s",
                   "retried in a second");
            worked = false;
        }
        if (!worked)
            idle(IDLE_MS);
        else if (K.pause_ms > 0)
            idle(K.pause_ms);
    }
    return NULL;
}

enum sv_err
sv_keys_worker_start(struct sv_db *db, unsigned batch, unsigned pause_ms)
{
    char host[64] = "";
    uint8_t nonce[6];
    char hex[13];

    if (K.started)
        return SV_OK;
    gethostname(host, sizeof host - 1);
    randombytes_buf(nonce, sizeof nonce);
    sv_hex(nonce, sizeof nonce, hex);
    /* This process, not this host: a restarted node waits for its old
     * lease like any other node would. */
    snprintf(K.owner, sizeof K.owner, "%s:%ld:%s", host, (long)getpid(), hex);
    K.db = db;
    K.batch = batch > 0 ? batch : 1000;
    K.pause_ms = pause_ms;
    K.stop = false;
    if (pthread_create(&K.thread, NULL, worker_main, NULL) != 0)
        return SV_E_INTERNAL;
    K.started = true;
    return SV_OK;
}

void
sv_keys_worker_stop(void)
{
    if (!K.started)
        return;
    pthread_mutex_lock(&K.mu);
    K.stop = true;
    pthread_cond_broadcast(&K.cv);
    pthread_mutex_unlock(&K.mu);
    pthread_join(K.thread, NULL);
    K.started = false;
}
