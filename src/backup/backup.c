#include "backup/backup.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "app.h"
#include "audit/audit.h"
#include "backup/backup_store.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"

#define SS_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define SS_HEADERBYTES crypto_secretstream_xchacha20poly1305_HEADERBYTES

/*
 * Format 2 (016, DATA-7): the file is a run of segments, each its own
 * encrypted stream: one per tenant, under a key only the tenant's master
 * key gives (a deleted tenant's segment opens for no one), then the
 * platform's, under the backup key, which ends with the list of the
 * tenants in the file and the end record. A segment: kind ('T' or 'P'),
 * the tenant id (36 bytes, zeros for 'P'), the stream header, then frames:
 * flag (1: the segment's last) | length | ciphertext. The first frame of a
 * segment is bound to the file header, kind and tenant id. Format 1 (one
 * stream under the backup key, frames without a flag) is still read.
 */
enum {
    FORMAT_VERSION = 2,
    FORMAT_V1 = 1,
    SEG_TENANT = 'T',
    SEG_PLATFORM = 'P',
    REC_SEG_END = 'Z',    /* a tenant segment's end: its row count */
    REC_TENANTS = 'I',    /* the platform segment's list of tenant segments */
    CHUNK = 1 << 20,      /* compressed bytes per encrypted chunk */
    MAX_VALUE = 16 << 20, /* one text or blob value */
    REC_SCOPE_TENANT = 'S',
    REC_SCOPE_PLATFORM = 'P',
    REC_ROW = 'R',
    REC_END = 'E',
    V_NULL = BK_NULL,
};

static const char magic[8] = {'S', 'V', 'B', 'A', 'C', 'K', 'U', 'P'};

static void
backup_key(struct sv_app *app, uint8_t key[SV_KEY_LEN])
{
    sv_keyring_derive(app->kr, "svbackup", 1, key);
}

static void
be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t
get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* ---------------- writer: records → zstd → secretstream → file --------- */

struct writer {
    FILE *f;
    crypto_secretstream_xchacha20poly1305_state ss;
    ZSTD_CCtx *z;
    uint8_t *in; /* plaintext records waiting for the compressor */
    size_t in_len;
    uint8_t *out; /* compressed bytes waiting for encryption */
    size_t out_len;
    uint8_t *ct;
    uint8_t hdr[64];
    size_t hdr_len;
    uint8_t ad[128]; /* the segment's first frame: header, kind, tenant */
    size_t ad_len;
    bool first;
    struct sv_backup_stats *stats;
    bool failed;
    struct sv_app *app;
    int64_t seg_rows;
};

static void
emit_chunk(struct writer *w, unsigned char tag)
{
    unsigned long long clen = 0;
    uint8_t len[4];

    if (w->failed)
        return;
    uint8_t flag = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;

    crypto_secretstream_xchacha20poly1305_push(
        &w->ss, w->ct, &clen, w->out, w->out_len, w->first ? w->ad : NULL,
        w->first ? w->ad_len : 0, tag);
    w->first = false;
    len[0] = (uint8_t)(clen >> 24);
    len[1] = (uint8_t)(clen >> 16);
    len[2] = (uint8_t)(clen >> 8);
    len[3] = (uint8_t)clen;
    if (fwrite(&flag, 1, 1, w->f) != 1 || fwrite(len, 1, 4, w->f) != 4 ||
        fwrite(w->ct, 1, (size_t)clen, w->f) != (size_t)clen)
        w->failed = true;
    w->stats->file_bytes += 5 + clen;
    w->out_len = 0;
}

/* Push the pending plaintext through zstd; @p mode ZSTD_e_end at the end. */
static void
compress(struct writer *w, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {w->in, w->in_len, 0};
    bool done = false;

    while (!done && !w->failed) {
        ZSTD_outBuffer out = {w->out, CHUNK, w->out_len};
        size_t left = ZSTD_compressStream2(w->z, &out, &in, mode);
        if (ZSTD_isError(left)) {
            w->failed = true;
            break;
        }
        w->out_len = out.pos;
        if (w->out_len == CHUNK)
            emit_chunk(w, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
        done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
    }
    w->in_len = 0;
}

static void
put(struct writer *w, const void *p, size_t n)
{
    const uint8_t *b = p;
    w->stats->plain_bytes += n;
    while (n > 0) {
        size_t room = CHUNK - w->in_len, k = n < room ? n : room;
        memcpy(w->in + w->in_len, b, k);
        w->in_len += k;
        b += k;
        n -= k;
        if (w->in_len == CHUNK)
            compress(w, ZSTD_e_continue);
    }
}

static void
put_u8(struct writer *w, uint8_t v)
{
    put(w, &v, 1);
}

static void
put_bytes(struct writer *w, uint8_t tag, const void *p, size_t n)
{
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                      (uint8_t)n};
    put_u8(w, tag);
    put(w, len, 4);
    put(w, p, n);
}

/* The key of a segment: the backup key, or the tenant's (from its master
 * key: SV_E_NOT_FOUND when it is gone). */
static enum sv_err
segment_key(struct sv_app *app, uint8_t kind, const char *tenant_id,
            uint8_t key[SV_KEY_LEN])
{
    if (kind == SEG_PLATFORM) {
        backup_key(app, key);
        return SV_OK;
    }
    return sv_keyring_tenant_derive(app->kr, tenant_id, "svbackup", 1, key);
}

/* What a segment's first frame is bound to. */
static size_t
segment_ad(uint8_t *ad, const uint8_t *hdr, size_t hdr_len,
           const uint8_t seg[1 + 36])
{
    memcpy(ad, hdr, hdr_len);
    memcpy(ad + hdr_len, seg, 1 + 36);
    return hdr_len + 1 + 36;
}

/* End the segment being written: the rest through zstd, the last frame. */
static void
segment_end(struct writer *w)
{
    compress(w, ZSTD_e_end);
    emit_chunk(w, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
}

static enum sv_err
segment_begin(struct writer *w, uint8_t kind, const char *tenant_id)
{
    uint8_t seg[1 + 36] = {kind}, ssh[SS_HEADERBYTES];
    uint8_t *key = sodium_malloc(SV_KEY_LEN);
    enum sv_err rc;

    if (key == NULL)
        return SV_E_INTERNAL;
    if (tenant_id != NULL)
        memcpy(seg + 1, tenant_id, strnlen(tenant_id, 36));
    rc = segment_key(w->app, kind, tenant_id, key);
    if (rc == SV_OK)
        crypto_secretstream_xchacha20poly1305_init_push(&w->ss, ssh, key);
    sodium_free(key);
    if (rc != SV_OK)
        return rc;
    ZSTD_CCtx_reset(w->z, ZSTD_reset_session_only);
    w->ad_len = segment_ad(w->ad, w->hdr, w->hdr_len, seg);
    w->first = true;
    w->seg_rows = 0;
    if (fwrite(seg, 1, sizeof seg, w->f) != sizeof seg ||
        fwrite(ssh, 1, sizeof ssh, w->f) != sizeof ssh)
        w->failed = true;
    w->stats->file_bytes += sizeof seg + sizeof ssh;
    return SV_OK;
}

/* ---------------- dump ---------------- */

struct dump_ctx {
    struct sv_app *app;
    struct writer *w;
    sv_backup_progress_fn progress;
    char (*tenants)[40];
    size_t n_tenants, cap;
    char err[256];
    uint64_t header_bytes; /* the file header: written before any attempt */
};

static void
dump_row(void *cls, const struct bk_table *t, const struct bk_value *vals)
{
    struct dump_ctx *d = cls;

    put_u8(d->w, REC_ROW);
    put_u8(d->w, t->id);
    for (int i = 0; i < t->n_cols; i++) {
        if (vals[i].type == BK_NULL) {
            put_u8(d->w, V_NULL);
        } else if (t->types[i] == BK_INT) {
            uint8_t b[8];
            be64(b, (uint64_t)vals[i].i);
            put_u8(d->w, BK_INT);
            put(d->w, b, 8);
        } else if (t->types[i] == BK_TEXT) {
            put_bytes(d->w, BK_TEXT, vals[i].p, vals[i].n);
        } else {
            put_bytes(d->w, BK_BLOB, vals[i].p, vals[i].n);
        }
    }
    d->w->stats->rows++;
    d->w->seg_rows++;
    if (d->progress != NULL && d->w->stats->rows % 4096 == 0)
        d->progress(d->w->stats);
}

static enum sv_err
dump_table(struct dump_ctx *d, struct sv_dbc *c, const struct bk_table *t,
           const char *arg)
{
    enum sv_qs qs = bk_store_dump(c, t, arg, dump_row, d);

    d->w->stats->tables++;
    return qs < 0 ? sv_qs_err(qs) : (d->w->failed ? SV_E_INTERNAL : SV_OK);
}

static void
add_tenant(void *cls, const char *tenant_id)
{
    struct dump_ctx *d = cls;

    if (d->n_tenants == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->tenants = realloc(d->tenants, d->cap * sizeof *d->tenants);
        if (d->tenants == NULL)
            sv_abort_at(__FILE__, __LINE__, "out of memory");
    }
    snprintf(d->tenants[d->n_tenants++], 40, "%s", tenant_id);
}

static enum sv_err
collect_tenants(struct dump_ctx *d, struct sv_dbc *c)
{
    enum sv_qs qs;

    d->n_tenants = 0;
    d->cap = 0;
    qs = bk_store_tenant_ids(c, add_tenant, d);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

static enum sv_err
dump_tx(struct sv_dbc *c, void *cls)
{
    struct dump_ctx *d = cls;
    enum sv_err rc;

    /* One snapshot for everything (a retried attempt starts the file over
     * only if nothing was written yet: the writer is fed as rows come). */
    if (d->w->stats->rows > 0 || d->w->stats->file_bytes > d->header_bytes)
        return SV_E_INTERNAL;
    rc = sv_db_scope_platform(c); /* tenant_deletions is read too */
    if (rc == SV_OK)
        rc = collect_tenants(d, c);
    /* A segment per tenant: its row of tenants, then its tables. */
    for (size_t i = 0; rc == SV_OK && i < d->n_tenants; i++) {
        const char *id = d->tenants[i];
        uint8_t end[9] = {REC_SEG_END};
        rc = segment_begin(d->w, SEG_TENANT, id);
        if (rc == SV_OK)
            rc = sv_db_scope_platform(c);
        if (rc == SV_OK)
            rc = dump_table(d, c, &bk_tables[BK_TENANTS], id);
        if (rc == SV_OK)
            rc = sv_db_scope_tenant(c, id);
        if (rc != SV_OK)
            break;
        put_u8(d->w, REC_SCOPE_TENANT);
        put_bytes(d->w, BK_TEXT, id, strlen(id));
        for (int t = BK_TENANT_KEYS; rc == SV_OK && t <= BK_AUDIT_EVENTS; t++)
            rc = dump_table(d, c, &bk_tables[t], id);
        for (int t = BK_DEPARTMENTS; rc == SV_OK && t <= BK_PIPELINE_STAGES;
             t++)
            rc = dump_table(d, c, &bk_tables[t], id);
        be64(end + 1, (uint64_t)d->w->seg_rows);
        put(d->w, end, sizeof end);
        segment_end(d->w);
    }
    if (rc == SV_OK)
        rc = segment_begin(d->w, SEG_PLATFORM, NULL);
    if (rc == SV_OK)
        rc = sv_db_scope_platform(c);
    if (rc == SV_OK) {
        put_u8(d->w, REC_SCOPE_PLATFORM);
        rc = dump_table(d, c, &bk_tables[BK_AUDIT_HEADS], SV_AUDIT_PLATFORM);
    }
    if (rc == SV_OK)
        rc = dump_table(d, c, &bk_tables[BK_AUDIT_PLATFORM], NULL);
    if (rc == SV_OK)
        rc = dump_table(d, c, &bk_tables[BK_BLACKLIST_PLATFORM], NULL);
    if (rc == SV_OK) {
        /* The tenant segments the file holds: none may go missing. */
        uint8_t n[4] = {(uint8_t)(d->n_tenants >> 24),
                        (uint8_t)(d->n_tenants >> 16),
                        (uint8_t)(d->n_tenants >> 8), (uint8_t)d->n_tenants};
        put_u8(d->w, REC_TENANTS);
        put(d->w, n, 4);
        for (size_t i = 0; i < d->n_tenants; i++)
            put(d->w, d->tenants[i], 36);
    }
    return rc;
}

struct schema_ctx {
    int64_t schema;
    int64_t tenants;
};

static enum sv_err
schema_tx(struct sv_dbc *c, void *cls)
{
    struct schema_ctx *s = cls;
    if (bk_store_schema(c, &s->schema, &s->tenants) != SV_QS_ONE)
        return SV_E_INTERNAL;
    return SV_OK;
}

static size_t
make_header(uint8_t *h, int64_t created_ms, uint32_t schema, const char *engine)
{
    size_t n = strlen(engine), off = 0;
    memcpy(h, magic, 8);
    off = 8;
    h[off++] = FORMAT_VERSION;
    h[off++] = 0;
    h[off++] = 0;
    h[off++] = 0;
    be64(h + off, (uint64_t)created_ms);
    off += 8;
    h[off++] = (uint8_t)(schema >> 24);
    h[off++] = (uint8_t)(schema >> 16);
    h[off++] = (uint8_t)(schema >> 8);
    h[off++] = (uint8_t)schema;
    h[off++] = (uint8_t)n;
    memcpy(h + off, engine, n);
    return off + n;
}

enum sv_err
sv_backup_write(struct sv_app *app, FILE *out, sv_backup_progress_fn progress,
                struct sv_backup_stats *stats, char *err, size_t err_len)
{
    struct writer w = {0};
    struct dump_ctx d = {0};
    struct schema_ctx sc = {0};
    enum sv_err rc;

    memset(stats, 0, sizeof *stats);
    rc = sv_db_run_ro(app->db, schema_tx, &sc);
    if (rc != SV_OK) {
        snprintf(err, err_len, "cannot read the schema version");
        return rc;
    }
    stats->created_ms = sv_now_ms();
    stats->schema = (uint32_t)sc.schema;
    snprintf(stats->engine, sizeof stats->engine, "%s",
             app->cfg.db_url[0] ? "postgres" : "sqlite");
    w.f = out;
    w.stats = stats;
    w.first = true;
    w.hdr_len =
        make_header(w.hdr, stats->created_ms, stats->schema, stats->engine);
    w.in = sv_xmalloc(CHUNK);
    w.out = sv_xmalloc(CHUNK);
    w.ct = sv_xmalloc(CHUNK + SS_ABYTES);
    w.z = ZSTD_createCCtx();
    /*
     * Level 1 with a worker thread: compression runs beside the database
     * read instead of after it (ignored where libzstd has no threads).
     */
    ZSTD_CCtx_setParameter(w.z, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter(w.z, ZSTD_c_nbWorkers, 1);
    if (fwrite(w.hdr, 1, w.hdr_len, out) != w.hdr_len)
        w.failed = true;
    stats->file_bytes = w.hdr_len;
    w.app = app;
    d.header_bytes = stats->file_bytes;

    d.app = app;
    d.w = &w;
    d.progress = progress;
    rc = sv_db_run_ro(app->db, dump_tx, &d);
    if (rc == SV_OK) {
        uint8_t end[9];
        end[0] = REC_END;
        be64(end + 1, (uint64_t)w.seg_rows); /* the platform segment's */
        put(&w, end, sizeof end);
        segment_end(&w);
        if (fflush(out) != 0)
            w.failed = true;
    }
    if (rc == SV_OK && w.failed) {
        rc = SV_E_INTERNAL;
        snprintf(err, err_len, "write error (disk full?)");
    } else if (rc == SV_E_NOT_FOUND) {
        snprintf(err, err_len,
                 "a tenant has no master key in the key store (%s): its "
                 "segment cannot be sealed",
                 app->cfg.tenant_key_dir);
    } else if (rc != SV_OK) {
        snprintf(err, err_len, "reading the database failed (%s)",
                 sv_err_code(rc));
    }
    sodium_memzero(&w.ss, sizeof w.ss);
    sodium_memzero(w.in, CHUNK);
    sodium_memzero(w.out, CHUNK);
    free(w.in);
    free(w.out);
    free(w.ct);
    ZSTD_freeCCtx(w.z);
    free(d.tenants);
    return rc;
}

/* ---------------- reader: file → secretstream → zstd → records --------- */

struct reader {
    FILE *f;
    crypto_secretstream_xchacha20poly1305_state ss;
    ZSTD_DCtx *z;
    uint8_t *ct, *cz; /* ciphertext frame, its compressed plaintext */
    size_t cz_len, cz_pos;
    uint8_t *buf; /* decompressed bytes not yet consumed */
    size_t buf_len, buf_pos, buf_cap;
    bool final_seen, first;
    uint8_t hdr[64];
    size_t hdr_len;
    uint8_t ad[128]; /* the current segment's first frame is bound to it */
    size_t ad_len;
    struct sv_backup_stats *stats;
    const char *problem;
    /* format 2 */
    bool v2;
    bool skip_ok; /* a segment whose master key is gone: skipped, or fatal */
    struct sv_app *app;
    char (*seen)[37]; /* the tenant segments met, opened or skipped */
    size_t n_seen, cap_seen;
    int64_t seg_rows0; /* stats->rows when the segment began */
};

static bool
read_frame(struct reader *r)
{
    uint8_t len[4];
    unsigned long long mlen = 0;
    unsigned char tag = 0;
    size_t clen;

    uint8_t flag = 0;

    if (r->final_seen)
        return false;
    if (r->v2 && fread(&flag, 1, 1, r->f) != 1) {
        r->problem = "the file ends before its final chunk (truncated)";
        return false;
    }
    if (flag > 1) {
        r->problem = "a chunk has an impossible flag (corrupted)";
        return false;
    }
    if (fread(len, 1, 4, r->f) != 4) {
        r->problem = "the file ends before its final chunk (truncated)";
        return false;
    }
    clen = (size_t)get_be(len, 4);
    if (clen < SS_ABYTES || clen > CHUNK + SS_ABYTES) {
        r->problem = "a chunk has an impossible length (corrupted)";
        return false;
    }
    if (fread(r->ct, 1, clen, r->f) != clen) {
        r->problem = "the file ends inside a chunk (truncated)";
        return false;
    }
    r->stats->file_bytes += (r->v2 ? 5 : 4) + clen;
    if (crypto_secretstream_xchacha20poly1305_pull(
            &r->ss, r->cz, &mlen, &tag, r->ct, clen, r->first ? r->ad : NULL,
            r->first ? r->ad_len : 0) != 0) {
        r->problem = "a chunk fails authentication (tampered, reordered, "
                     "or another root key)";
        return false;
    }
    r->first = false;
    r->cz_len = (size_t)mlen;
    r->cz_pos = 0;
    if (r->v2 && (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) !=
                     (flag == 1)) {
        r->problem = "a chunk's flag disagrees with its tag (tampered)";
        return false;
    }
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        r->final_seen = true;
        uint8_t extra;
        /* Format 1: the file ends here; format 2: the segment does. */
        if (!r->v2 && fread(&extra, 1, 1, r->f) != 0) {
            r->problem = "data after the final chunk";
            return false;
        }
    }
    return true;
}

/* Make at least @p n decompressed bytes available. */
static bool
need(struct reader *r, size_t n)
{
    if (n > MAX_VALUE + 16) {
        r->problem = "a value is larger than any the format allows";
        return false;
    }
    while (r->buf_len - r->buf_pos < n) {
        if (r->buf_pos > 0) { /* compact */
            memmove(r->buf, r->buf + r->buf_pos, r->buf_len - r->buf_pos);
            r->buf_len -= r->buf_pos;
            r->buf_pos = 0;
        }
        if (r->buf_cap - r->buf_len < ZSTD_DStreamOutSize()) {
            r->buf_cap = r->buf_cap * 2 + ZSTD_DStreamOutSize();
            r->buf = realloc(r->buf, r->buf_cap);
            if (r->buf == NULL)
                sv_abort_at(__FILE__, __LINE__, "out of memory");
        }
        ZSTD_inBuffer in = {r->cz, r->cz_len, r->cz_pos};
        ZSTD_outBuffer out = {r->buf, r->buf_cap, r->buf_len};
        size_t ret = ZSTD_decompressStream(r->z, &out, &in);
        if (ZSTD_isError(ret)) {
            r->problem = "the compressed stream is corrupted";
            return false;
        }
        bool progress = in.pos != r->cz_pos || out.pos != r->buf_len;
        r->cz_pos = in.pos;
        r->buf_len = out.pos;
        /* Only when zstd has nothing more to give, the next chunk. */
        if (!progress && !read_frame(r)) {
            if (r->problem == NULL)
                r->problem = "the record stream ends early (corrupted)";
            return false;
        }
    }
    return true;
}

static const uint8_t *
take(struct reader *r, size_t n)
{
    const uint8_t *p;
    if (!need(r, n))
        return NULL;
    p = r->buf + r->buf_pos;
    r->buf_pos += n;
    r->stats->plain_bytes += n;
    return p;
}

/* One value of a row: sets *type and the payload. */
struct value {
    uint8_t type;
    int64_t i;
    const uint8_t *p; /* valid until the next take() */
    size_t n;
    char *copy; /* NUL-terminated copy for text binding */
};

static bool
take_value(struct reader *r, struct value *v, enum bk_type want)
{
    const uint8_t *p = take(r, 1);
    if (p == NULL)
        return false;
    v->type = p[0];
    if (v->type == V_NULL)
        return true;
    if (v->type != want) {
        r->problem = "a value has the wrong type for its column";
        return false;
    }
    if (v->type == BK_INT) {
        if ((p = take(r, 8)) == NULL)
            return false;
        v->i = (int64_t)get_be(p, 8);
        return true;
    }
    if ((p = take(r, 4)) == NULL)
        return false;
    v->n = (size_t)get_be(p, 4);
    if (v->n > MAX_VALUE) {
        r->problem = "a value is larger than any the format allows";
        return false;
    }
    if ((p = take(r, v->n)) == NULL)
        return false;
    v->copy = sv_xmalloc(v->n + 1);
    memcpy(v->copy, p, v->n);
    v->copy[v->n] = '\0';
    if (v->type == BK_TEXT &&
        (strlen(v->copy) != v->n || !sv_utf8_valid(v->copy, v->n))) {
        r->problem = "a text value is not UTF-8";
        return false;
    }
    return true;
}

static enum sv_err
open_reader(struct sv_app *app, FILE *in, struct reader *r,
            struct sv_backup_stats *stats, char *err, size_t err_len)
{
    uint8_t fixed[25], ssh[SS_HEADERBYTES];
    uint8_t *key;
    size_t elen;

    memset(r, 0, sizeof *r);
    memset(stats, 0, sizeof *stats);
    r->f = in;
    r->stats = stats;
    r->first = true;
    if (fread(fixed, 1, sizeof fixed, in) != sizeof fixed ||
        memcmp(fixed, magic, 8) != 0) {
        snprintf(err, err_len, "not a Salesvault backup");
        return SV_E_FIELD_INVALID;
    }
    if (fixed[8] != FORMAT_VERSION && fixed[8] != FORMAT_V1) {
        snprintf(err, err_len, "backup format version %u is not supported",
                 fixed[8]);
        return SV_E_FIELD_INVALID;
    }
    r->v2 = fixed[8] == FORMAT_VERSION;
    r->app = app;
    stats->created_ms = (int64_t)get_be(fixed + 12, 8);
    stats->schema = (uint32_t)get_be(fixed + 20, 4);
    elen = fixed[24];
    if (elen >= sizeof stats->engine ||
        fread(stats->engine, 1, elen, in) != elen) {
        snprintf(err, err_len, "the backup header is corrupted");
        return SV_E_FIELD_INVALID;
    }
    stats->engine[elen] = '\0';
    memcpy(r->hdr, fixed, sizeof fixed);
    memcpy(r->hdr + sizeof fixed, stats->engine, elen);
    r->hdr_len = sizeof fixed + elen;
    stats->file_bytes = r->hdr_len;
    if (!r->v2) {
        /* Format 1: one stream under the backup key. */
        if (fread(ssh, 1, sizeof ssh, in) != sizeof ssh) {
            snprintf(err, err_len, "the file ends in its header (truncated)");
            return SV_E_FIELD_INVALID;
        }
        stats->file_bytes += sizeof ssh;
        memcpy(r->ad, r->hdr, r->hdr_len);
        r->ad_len = r->hdr_len;
        key = sodium_malloc(SV_KEY_LEN);
        if (key == NULL)
            return SV_E_INTERNAL;
        backup_key(app, key);
        int bad =
            crypto_secretstream_xchacha20poly1305_init_pull(&r->ss, ssh, key);
        sodium_free(key);
        if (bad != 0) {
            snprintf(err, err_len, "the backup header is corrupted");
            return SV_E_FIELD_INVALID;
        }
    }
    r->ct = sv_xmalloc(CHUNK + SS_ABYTES);
    r->cz = sv_xmalloc(CHUNK);
    r->z = ZSTD_createDCtx();
    return SV_OK;
}

static void
close_reader(struct reader *r)
{
    sodium_memzero(&r->ss, sizeof r->ss);
    if (r->cz != NULL)
        sodium_memzero(r->cz, CHUNK);
    if (r->buf != NULL)
        sodium_memzero(r->buf, r->buf_cap);
    free(r->ct);
    free(r->cz);
    free(r->buf);
    free(r->seen);
    ZSTD_freeDCtx(r->z);
}

/* Skip the frames of a segment no key here opens, to its last. */
static bool
skip_segment(struct reader *r)
{
    for (;;) {
        uint8_t flag, len[4];
        size_t clen;
        if (fread(&flag, 1, 1, r->f) != 1 || fread(len, 1, 4, r->f) != 4) {
            r->problem = "the file ends inside a segment (truncated)";
            return false;
        }
        clen = (size_t)get_be(len, 4);
        if (flag > 1 || clen < SS_ABYTES || clen > CHUNK + SS_ABYTES ||
            fread(r->ct, 1, clen, r->f) != clen) {
            r->problem = "a chunk has an impossible length (corrupted)";
            return false;
        }
        r->stats->file_bytes += 5 + clen;
        if (flag == 1)
            return true;
    }
}

/*
 * Format 2: open the next segment. A tenant's whose master key is gone (a
 * tenant deleted since) is skipped whole: it opens for no one.
 */
static bool
next_segment(struct reader *r)
{
    uint8_t seg[1 + 36], ssh[SS_HEADERBYTES];
    uint8_t *key = sodium_malloc(SV_KEY_LEN);
    char tenant[37] = "";
    enum sv_err rc;
    bool ok = false;

    if (key == NULL)
        sv_abort_at(__FILE__, __LINE__, "out of memory");
    for (;;) {
        if (fread(seg, 1, sizeof seg, r->f) != sizeof seg ||
            fread(ssh, 1, sizeof ssh, r->f) != sizeof ssh) {
            r->problem = "the file ends before its end record (truncated)";
            break;
        }
        r->stats->file_bytes += sizeof seg + sizeof ssh;
        if (seg[0] != SEG_TENANT && seg[0] != SEG_PLATFORM) {
            r->problem = "an unknown segment (corrupted)";
            break;
        }
        memcpy(tenant, seg + 1, 36);
        tenant[36] = '\0';
        if (seg[0] == SEG_TENANT) {
            if (r->n_seen == r->cap_seen) {
                r->cap_seen = r->cap_seen ? 2 * r->cap_seen : 16;
                r->seen = realloc(r->seen, r->cap_seen * sizeof *r->seen);
                if (r->seen == NULL)
                    sv_abort_at(__FILE__, __LINE__, "out of memory");
            }
            memcpy(r->seen[r->n_seen++], tenant, 37);
        }
        rc = segment_key(r->app, seg[0], tenant, key);
        if (rc == SV_E_NOT_FOUND && seg[0] == SEG_TENANT && !r->skip_ok) {
            r->problem = "a tenant's master key is not in the key store (a "
                         "tenant deleted since the backup: --skip-deleted; "
                         "else copy keys/ from the source)";
            break;
        }
        if (rc == SV_E_NOT_FOUND && seg[0] == SEG_TENANT) {
            r->stats->tenants_skipped++;
            if (!skip_segment(r))
                break;
            continue;
        }
        if (rc != SV_OK || crypto_secretstream_xchacha20poly1305_init_pull(
                               &r->ss, ssh, key) != 0) {
            r->problem = "a segment's key does not open it";
            break;
        }
        r->ad_len = segment_ad(r->ad, r->hdr, r->hdr_len, seg);
        ZSTD_DCtx_reset(r->z, ZSTD_reset_session_only);
        r->buf_len = r->buf_pos = 0;
        r->cz_len = r->cz_pos = 0;
        r->first = true;
        r->final_seen = false;
        r->seg_rows0 = r->stats->rows;
        ok = true;
        break;
    }
    sodium_free(key);
    return ok;
}

/* The segment's stream is spent: nothing decompressed left, its last
 * frame read. */
static bool
segment_spent(struct reader *r)
{
    bool more = need(r, 1);
    r->problem = NULL;
    return !more && r->final_seen;
}

/* The platform segment's list of tenant segments equals those met. */
static bool
check_tenants(struct reader *r)
{
    const uint8_t *p = take(r, 4);
    size_t n;

    if (p == NULL)
        return false;
    n = (size_t)get_be(p, 4);
    if (n != r->n_seen) {
        r->problem = "a tenant's segment is missing or added (tampered)";
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((p = take(r, 36)) == NULL)
            return false;
        if (memcmp(p, r->seen[i], 36) != 0) {
            r->problem = "a tenant's segment is missing or added (tampered)";
            return false;
        }
    }
    return true;
}

/* Walk the records; @p row (may be NULL) gets each row, @p scope each scope. */
typedef enum sv_err (*row_fn)(void *cls, const struct bk_table *t,
                              struct value *vals);
typedef enum sv_err (*scope_fn)(void *cls, const char *tenant_id);

static enum sv_err
walk(struct reader *r, row_fn row, scope_fn scope, void *cls,
     sv_backup_progress_fn progress)
{
    struct value vals[BK_MAX_COLS];
    enum sv_err rc = SV_OK;

    if (r->v2 && !next_segment(r))
        return SV_E_TAMPERED;
    for (;;) {
        const uint8_t *p = take(r, 1);
        if (p == NULL)
            return SV_E_TAMPERED;
        if (*p == REC_SEG_END && r->v2) {
            if ((p = take(r, 8)) == NULL)
                return SV_E_TAMPERED;
            if ((int64_t)get_be(p, 8) != r->stats->rows - r->seg_rows0) {
                r->problem = "the row count does not match (corrupted)";
                return SV_E_TAMPERED;
            }
            if (!segment_spent(r)) {
                r->problem = "data after a segment's end record";
                return SV_E_TAMPERED;
            }
            if (!next_segment(r))
                return SV_E_TAMPERED;
            continue;
        }
        if (*p == REC_TENANTS && r->v2) {
            if (!check_tenants(r))
                return SV_E_TAMPERED;
            continue;
        }
        if (*p == REC_END) {
            if ((p = take(r, 8)) == NULL)
                return SV_E_TAMPERED;
            if ((int64_t)get_be(p, 8) !=
                r->stats->rows - (r->v2 ? r->seg_rows0 : 0)) {
                r->problem = "the row count does not match (corrupted)";
                return SV_E_TAMPERED;
            }
            /* Nothing may follow the end record, and the stream must end. */
            if (need(r, 1)) {
                r->problem = "data after the end record";
                return SV_E_TAMPERED;
            }
            if (!r->final_seen) {
                r->problem = "the file ends before its final chunk (truncated)";
                return SV_E_TAMPERED;
            }
            uint8_t extra;
            if (r->v2 && fread(&extra, 1, 1, r->f) != 0) {
                r->problem = "data after the final chunk";
                return SV_E_TAMPERED;
            }
            r->problem = NULL;
            return SV_OK;
        }
        if (*p == REC_SCOPE_TENANT || *p == REC_SCOPE_PLATFORM) {
            struct value v = {0};
            bool tenant = *p == REC_SCOPE_TENANT;
            if (tenant && (!take_value(r, &v, BK_TEXT) || v.copy == NULL)) {
                if (r->problem == NULL)
                    r->problem = "a tenant scope without a tenant (corrupted)";
                free(v.copy);
                return SV_E_TAMPERED;
            }
            rc = scope ? scope(cls, tenant ? v.copy : NULL) : SV_OK;
            free(v.copy);
            if (rc != SV_OK)
                return rc;
            continue;
        }
        if (*p != REC_ROW || (p = take(r, 1)) == NULL || *p >= BK__COUNT) {
            if (r->problem == NULL)
                r->problem = "an unknown record (corrupted)";
            return SV_E_TAMPERED;
        }
        const struct bk_table *t = &bk_tables[*p];
        const enum bk_type *types;
        int n_cols;
        bk_columns(t, r->stats->schema, &n_cols, &types);
        memset(vals, 0, sizeof vals);
        for (int i = 0; i < n_cols; i++) {
            if (!take_value(r, &vals[i], types[i])) {
                rc = SV_E_TAMPERED;
                break;
            }
        }
        /* A row of an older layout is never restored (the schema must
         * match): it is only read. */
        if (rc == SV_OK && row != NULL)
            rc = n_cols == t->n_cols ? row(cls, t, vals) : SV_E_INTERNAL;
        for (int i = 0; i < n_cols; i++) {
            if (vals[i].copy != NULL) {
                sodium_memzero(vals[i].copy, vals[i].n);
                free(vals[i].copy);
            }
        }
        if (rc != SV_OK)
            return rc;
        r->stats->rows++;
        if (progress != NULL && r->stats->rows % 4096 == 0)
            progress(r->stats);
    }
}

static void
reader_error(struct reader *r, enum sv_err rc, char *err, size_t err_len)
{
    if (r->problem != NULL)
        snprintf(err, err_len, "%s", r->problem);
    else
        snprintf(err, err_len, "restore failed (%s)", sv_err_code(rc));
}

enum sv_err
sv_backup_verify(struct sv_app *app, FILE *in, struct sv_backup_stats *stats,
                 char *err, size_t err_len)
{
    struct reader r;
    enum sv_err rc = open_reader(app, in, &r, stats, err, err_len);

    r.skip_ok = true; /* what no key here opens is counted, not checked */
    if (rc == SV_OK) {
        rc = walk(&r, NULL, NULL, NULL, NULL);
        if (rc != SV_OK)
            reader_error(&r, rc, err, err_len);
    }
    close_reader(&r);
    return rc;
}

struct scan_ctx {
    sv_backup_value_fn fn;
    void *cls;
};

static enum sv_err
scan_row(void *cls, const struct bk_table *t, struct value *vals)
{
    struct scan_ctx *x = cls;
    for (int i = 0; i < t->n_cols; i++)
        if (vals[i].type == BK_TEXT || vals[i].type == BK_BLOB)
            x->fn(x->cls, t->name, i, vals[i].copy, vals[i].n);
    return SV_OK;
}

enum sv_err
sv_backup_scan(struct sv_app *app, FILE *in, sv_backup_value_fn fn, void *cls,
               struct sv_backup_stats *stats, char *err, size_t err_len)
{
    struct scan_ctx x = {fn, cls};
    struct reader r;
    enum sv_err rc = open_reader(app, in, &r, stats, err, err_len);
    r.skip_ok = true;

    if (rc == SV_OK) {
        rc = walk(&r, scan_row, NULL, &x, NULL);
        if (rc != SV_OK)
            reader_error(&r, rc, err, err_len);
    }
    close_reader(&r);
    return rc;
}

/* ---------------- restore ---------------- */

struct restore_ctx {
    struct reader *r;
    struct sv_dbc *c;
    sv_backup_progress_fn progress;
    const char *why; /* a database refusal, for the message */
};

static enum sv_err
restore_scope(void *cls, const char *tenant_id)
{
    struct restore_ctx *x = cls;
    return tenant_id ? sv_db_scope_tenant(x->c, tenant_id)
                     : sv_db_scope_platform(x->c);
}

static enum sv_err
restore_row(void *cls, const struct bk_table *t, struct value *vals)
{
    struct restore_ctx *x = cls;
    struct bk_value row[BK_MAX_COLS];
    enum sv_qs qs;

    for (int i = 0; i < t->n_cols; i++)
        row[i] = (struct bk_value){.type = vals[i].type,
                                   .i = vals[i].i,
                                   .p = vals[i].copy,
                                   .n = vals[i].n};
    qs = bk_store_load(x->c, t, row);
    if (qs != SV_QS_ONE) {
        x->why = "the database refused a row (is the target empty?)";
        return qs == SV_QS_SOFT ? SV_E_DB_RETRY : SV_E_FIELD_INVALID;
    }
    return SV_OK;
}

static enum sv_err
restore_tx(struct sv_dbc *c, void *cls)
{
    struct restore_ctx *x = cls;
    struct schema_ctx sc;
    enum sv_err rc;

    /* A retry would need the file from the start: refuse instead. */
    if (x->r->stats->rows > 0)
        return SV_E_INTERNAL;
    rc = schema_tx(c, &sc);
    if (rc != SV_OK)
        return rc;
    if (sc.tenants != 0) {
        x->why = "the target database is not empty";
        return SV_E_EXISTS;
    }
    if ((uint32_t)sc.schema != x->r->stats->schema) {
        x->why = "the backup's schema version differs from this binary's";
        return SV_E_FIELD_INVALID;
    }
    x->c = c;
    return walk(x->r, restore_row, restore_scope, x, x->progress);
}

static enum sv_err
journal_tx(struct sv_dbc *c, void *cls)
{
    /* (nothing to do on PostgreSQL) */
    return bk_store_journal_mode(c, cls) < 0 ? SV_E_DB_RETRY : SV_OK;
}

enum sv_err
sv_backup_restore(struct sv_app *app, FILE *in, bool skip_deleted,
                  sv_backup_progress_fn progress, struct sv_backup_stats *stats,
                  char *err, size_t err_len)
{
    struct reader r;
    struct restore_ctx x = {0};
    enum sv_err rc = open_reader(app, in, &r, stats, err, err_len);

    if (rc != SV_OK) {
        close_reader(&r);
        return rc;
    }
    x.r = &r;
    x.progress = progress;
    r.skip_ok = skip_deleted;
    /*
     * SQLite: the target is empty, so a rollback journal costs nothing,
     * while WAL would write every page twice (log, then checkpoint).
     */
    if (sv_db_run_one(app->db, journal_tx, "DELETE") != SV_OK)
        sv_log(SV_LOG_INFO, "restore", "%s", "journal mode left as it was");
    rc = sv_db_run_tx(app->db, "restore", restore_tx, &x);
    /* (every connection also sets WAL again when it opens) */
    if (sv_db_run_one(app->db, journal_tx, "WAL") != SV_OK)
        sv_log(SV_LOG_WARN, "restore", "%s", "could not return to WAL mode");
    if (rc != SV_OK) {
        if (x.why != NULL && r.problem == NULL)
            snprintf(err, err_len, "%s", x.why);
        else
            reader_error(&r, rc, err, err_len);
    }
    close_reader(&r);
    return rc;
}
