#include "audit/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "audit/audit_store.h"
#include "crypto/keyring.h"
#include "core/util.h"
#include "db/db.h"

static const struct sv_keyring *audit_kr;

static const struct {
    const char *wire;
    enum sv_audit_category category;
} actions[] = {
#define SV_AUDIT_ACTION(name, wire, category) {wire, SV_AUDIT_CAT_##category},
#include "audit/actions.def"
#undef SV_AUDIT_ACTION
};

static const char *const categories[SV_AUDIT_CAT__COUNT] = {
    [SV_AUDIT_CAT_LOGIN_FAILURE] = "login_failure",
    [SV_AUDIT_CAT_PRIVILEGE_CHANGE] = "privilege_change",
    [SV_AUDIT_CAT_CONFIG_CHANGE] = "config_change",
    [SV_AUDIT_CAT_DENIED_ACCESS] = "denied_access",
    [SV_AUDIT_CAT_SENSITIVE_ACCESS] = "sensitive_access",
    [SV_AUDIT_CAT_ACTIVITY] = "activity",
};

/* The security events and their severity: sign-in defences and the
 * anti-scraping quotas. */
static const enum sv_audit_severity severities[SV_AUDIT__COUNT] = {
    [SV_AUDIT_SECURITY_LOCK] = SV_AUDIT_SEV_MEDIUM,
    [SV_AUDIT_SECURITY_BLACKLIST] = SV_AUDIT_SEV_HIGH,
    [SV_AUDIT_SECURITY_BLACKLIST_ADD] = SV_AUDIT_SEV_LOW,
    [SV_AUDIT_SECURITY_BLACKLIST_LIFT] = SV_AUDIT_SEV_LOW,
    [SV_AUDIT_SECURITY_UNLOCK] = SV_AUDIT_SEV_LOW,
    [SV_AUDIT_SECURITY_SCRAPE_BLOCK] = SV_AUDIT_SEV_HIGH,
};

static const char *const severity_names[] = {
    [SV_AUDIT_SEV_NONE] = NULL,           [SV_AUDIT_SEV_LOW] = "low",
    [SV_AUDIT_SEV_MEDIUM] = "medium",     [SV_AUDIT_SEV_HIGH] = "high",
    [SV_AUDIT_SEV_CRITICAL] = "critical",
};

enum sv_audit_severity
sv_audit_action_severity(enum sv_audit_action a)
{
    return (unsigned)a < SV_AUDIT__COUNT ? severities[a] : SV_AUDIT_SEV_NONE;
}

const char *
sv_audit_severity_name(enum sv_audit_severity s)
{
    return (unsigned)s <= SV_AUDIT_SEV_CRITICAL ? severity_names[s] : NULL;
}

const char *
sv_audit_action_name(enum sv_audit_action a)
{
    return (unsigned)a < SV_AUDIT__COUNT ? actions[a].wire : NULL;
}

enum sv_audit_category
sv_audit_action_category(enum sv_audit_action a)
{
    return (unsigned)a < SV_AUDIT__COUNT ? actions[a].category
                                         : SV_AUDIT_CAT_ACTIVITY;
}

bool
sv_audit_action_parse(const char *s, enum sv_audit_action *out)
{
    for (unsigned i = 0; s != NULL && i < SV_AUDIT__COUNT; i++)
        if (strcmp(s, actions[i].wire) == 0) {
            *out = (enum sv_audit_action)i;
            return true;
        }
    return false;
}

const char *
sv_audit_category_name(enum sv_audit_category cat)
{
    return (unsigned)cat < SV_AUDIT_CAT__COUNT ? categories[cat] : NULL;
}

bool
sv_audit_report_parse(const char *s, enum sv_audit_category *out)
{
    for (int c = 0; c < SV_AUDIT_CAT_ACTIVITY; c++) {
        if (strcmp(s, categories[c]) == 0) {
            *out = (enum sv_audit_category)c;
            return true;
        }
    }
    return false;
}

void
sv_audit_init(const struct sv_keyring *kr)
{
    audit_kr = kr;
}

/* What a head signature covers: domain | stream | seq | hash. */
static size_t
head_message(const char *stream, int64_t seq, const uint8_t hash[32],
             uint8_t *out, size_t cap)
{
    static const char domain[] = "sv-audit-head-v1";
    size_t n = strlen(stream), off = 0;

    if (sizeof domain + 4 + n + 8 + 32 > cap)
        return 0;
    memcpy(out, domain, sizeof domain);
    off = sizeof domain;
    out[off++] = (uint8_t)(n >> 24);
    out[off++] = (uint8_t)(n >> 16);
    out[off++] = (uint8_t)(n >> 8);
    out[off++] = (uint8_t)n;
    memcpy(out + off, stream, n);
    off += n;
    for (int i = 7; i >= 0; i--)
        out[off++] = (uint8_t)((uint64_t)seq >> (8 * i));
    memcpy(out + off, hash, 32);
    return off + 32;
}

static void
put_field(crypto_hash_sha256_state *st, const char *s)
{
    uint8_t len[4];

    if (s == NULL) {
        static const uint8_t null_mark[4] = {0xff, 0xff, 0xff, 0xff};
        crypto_hash_sha256_update(st, null_mark, 4);
        return;
    }
    size_t n = strlen(s);
    len[0] = (uint8_t)(n >> 24);
    len[1] = (uint8_t)(n >> 16);
    len[2] = (uint8_t)(n >> 8);
    len[3] = (uint8_t)n;
    crypto_hash_sha256_update(st, len, 4);
    crypto_hash_sha256_update(st, (const uint8_t *)s, n);
}

void
sv_audit_hash(const uint8_t prev[SV_AUDIT_HASH_LEN],
              const struct sv_audit_record *r, uint8_t out[SV_AUDIT_HASH_LEN])
{
    static const char domain[] = "sv-audit-v1";
    crypto_hash_sha256_state st;
    char time_text[24];
    const struct sv_audit_event *e = &r->ev;

    /*
     * The position (seq) is not hashed: order is carried by prev_hash, so a
     * moved event keeps a valid own hash and is reported as reordered.
     */
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)domain, sizeof domain);
    crypto_hash_sha256_update(&st, prev, SV_AUDIT_HASH_LEN);
    snprintf(time_text, sizeof time_text, "%lld", (long long)r->time_ms);
    put_field(&st, r->stream);
    put_field(&st, r->id);
    put_field(&st, time_text);
    put_field(&st, e->tenant_id);
    put_field(&st, e->actor_id);
    put_field(&st, e->actor);
    put_field(&st, e->action);
    put_field(&st, e->target_type);
    put_field(&st, e->target_id);
    put_field(&st, e->ip);
    put_field(&st, e->user_agent);
    put_field(&st, e->result);
    put_field(&st, e->reason);
    put_field(&st, e->details);
    crypto_hash_sha256_final(&st, out);
}

enum sv_err
sv_audit_by(struct sv_dbc *c, const char *tenant_id,
            const struct sv_actor *actor, enum sv_audit_action action,
            const char *target_type, const char *target_id, const char *result,
            const char *reason, const char *details)
{
    struct sv_audit_event ev = {
        .tenant_id = tenant_id,
        .actor_id = actor ? actor->account_id : NULL,
        .actor = actor ? actor->username : NULL,
        .action = sv_audit_action_name(action),
        .target_type = target_type,
        .target_id = target_id,
        .ip = actor ? actor->ip : NULL,
        .user_agent = actor ? actor->user_agent : NULL,
        .result = result,
        .reason = reason,
        .details = details,
    };
    return sv_audit_append(c, &ev);
}

enum sv_err
sv_audit_json(struct sv_dbc *c, const char *tenant_id,
              const struct sv_actor *actor, enum sv_audit_action action,
              const char *target_type, const char *target_id,
              const char *reason, json_t *details)
{
    char *text = details != NULL
                     ? json_dumps(details, JSON_COMPACT | JSON_PRESERVE_ORDER)
                     : NULL;
    enum sv_err rc;

    json_decref(details);
    if (text == NULL)
        return SV_E_INTERNAL;
    rc = sv_audit_by(c, tenant_id, actor, action, target_type, target_id,
                     "success", reason, text);
    free(text);
    return rc;
}

enum sv_err
sv_audit_append(struct sv_dbc *c, const struct sv_audit_event *ev)
{
    struct sv_audit_record r = {0};
    char id[SV_UUID_LEN + 1];
    enum sv_qs qs;

    if (SV_NEVER(ev->action == NULL || ev->result == NULL))
        return SV_E_INTERNAL;
    r.stream = ev->tenant_id != NULL ? ev->tenant_id : SV_AUDIT_PLATFORM;
    {
        enum sv_err rc = ev->tenant_id != NULL
                             ? sv_db_scope_tenant(c, ev->tenant_id)
                             : sv_db_scope_platform(c);
        if (rc != SV_OK)
            return rc;
    }
    qs = audit_store_bump_head(c, r.stream, &r.seq, r.prev_hash);
    if (qs == SV_QS_NONE) {
        qs = audit_store_create_head(c, r.stream);
        if (qs < 0)
            return sv_qs_err(qs);
        qs = audit_store_bump_head(c, r.stream, &r.seq, r.prev_hash);
    }
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs);
    sv_uuid7(id);
    r.id = id;
    r.time_ms = sv_now_ms();
    r.ev = *ev;
    sv_audit_hash(r.prev_hash, &r, r.hash);
    qs = audit_store_insert(c, &r);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs);
    {
        uint8_t msg[256], sig[SV_SIG_LEN];
        size_t len = head_message(r.stream, r.seq, r.hash, msg, sizeof msg);
        if (SV_NEVER(audit_kr == NULL) || len == 0)
            return SV_E_INTERNAL;
        /* No signed head, no event: a token that fails refuses the
         * change the event records. */
        if (sv_keyring_sign(audit_kr, msg, len, sig) != SV_OK)
            return SV_E_CRYPTO;
        qs = audit_store_set_head(c, r.stream, r.hash, sig);
    }
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs);
    return SV_OK;
}

/* ---- many events at once (a bulk import) ---- */

enum sv_err
sv_audit_batch_begin(struct sv_dbc *c, const char *tenant_id,
                     struct sv_audit_batch *b)
{
    enum sv_err rc;
    enum sv_qs qs;

    memset(b, 0, sizeof *b);
    if (SV_NEVER(tenant_id == NULL || strlen(tenant_id) >= sizeof b->stream))
        return SV_E_INTERNAL;
    b->c = c;
    snprintf(b->stream, sizeof b->stream, "%s", tenant_id);
    rc = sv_db_scope_tenant(c, tenant_id);
    if (rc != SV_OK)
        return rc;
    qs = audit_store_lock_head(c, b->stream, &b->seq, b->hash);
    if (qs == SV_QS_NONE) {
        qs = audit_store_create_head(c, b->stream);
        if (qs < 0)
            return sv_qs_err(qs);
        qs = audit_store_lock_head(c, b->stream, &b->seq, b->hash);
    }
    return qs == SV_QS_ONE ? SV_OK : sv_qs_err(qs);
}

enum sv_err
sv_audit_batch_add(struct sv_audit_batch *b, const struct sv_actor *actor,
                   enum sv_audit_action action, const char *target_type,
                   const char *target_id, const char *result,
                   const char *reason, const char *details)
{
    struct sv_audit_record r = {0};
    char id[SV_UUID_LEN + 1];
    enum sv_qs qs;

    if (SV_NEVER(b->c == NULL || sv_audit_action_name(action) == NULL ||
                 result == NULL))
        return SV_E_INTERNAL;
    sv_uuid7(id);
    r.id = id;
    r.stream = b->stream;
    r.seq = b->seq + 1;
    r.time_ms = sv_now_ms();
    r.ev = (struct sv_audit_event){
        .tenant_id = b->stream,
        .actor_id = actor ? actor->account_id : NULL,
        .actor = actor ? actor->username : NULL,
        .action = sv_audit_action_name(action),
        .target_type = target_type,
        .target_id = target_id,
        .ip = actor ? actor->ip : NULL,
        .user_agent = actor ? actor->user_agent : NULL,
        .result = result,
        .reason = reason,
        .details = details,
    };
    memcpy(r.prev_hash, b->hash, SV_AUDIT_HASH_LEN);
    sv_audit_hash(r.prev_hash, &r, r.hash);
    qs = audit_store_insert(b->c, &r);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs == SV_QS_NONE ? SV_QS_HARD : qs);
    b->seq = r.seq;
    memcpy(b->hash, r.hash, SV_AUDIT_HASH_LEN);
    b->n++;
    return SV_OK;
}

enum sv_err
sv_audit_batch_end(struct sv_audit_batch *b)
{
    uint8_t msg[256], sig[SV_SIG_LEN];
    size_t len;
    enum sv_qs qs;

    if (b->n == 0)
        return SV_OK; /* the head is as it was */
    len = head_message(b->stream, b->seq, b->hash, msg, sizeof msg);
    if (SV_NEVER(audit_kr == NULL) || len == 0)
        return SV_E_INTERNAL;
    if (sv_keyring_sign(audit_kr, msg, len, sig) != SV_OK)
        return SV_E_CRYPTO;
    qs = audit_store_set_head_seq(b->c, b->stream, b->seq, b->hash, sig);
    return qs == SV_QS_ONE ? SV_OK
                           : sv_qs_err(qs == SV_QS_NONE ? SV_QS_HARD : qs);
}

/* ---- a root moved (keys migrate-root) ---- */

enum sv_err
sv_audit_resign_head(struct sv_dbc *c, const char *stream,
                     const struct sv_keyring *from, const struct sv_keyring *to,
                     bool *resigned)
{
    uint8_t hash[32], sig[SV_SIG_LEN], msg[256];
    int64_t seq = 0;
    size_t len;
    enum sv_qs qs = audit_store_head(c, stream, &seq, hash, sig);

    *resigned = false;
    if (qs == SV_QS_NONE)
        return SV_OK; /* no head: nothing signed */
    if (qs < 0)
        return sv_qs_err(qs);
    len = head_message(stream, seq, hash, msg, sizeof msg);
    if (len == 0)
        return SV_E_INTERNAL;
    if (sv_keyring_verify(to, msg, len, sig))
        return SV_OK; /* done by a run that stopped half way */
    /* Only a head the old key signed is signed anew: a rewritten chain
     * stays one. */
    if (!sv_keyring_verify(from, msg, len, sig))
        return SV_E_TAMPERED;
    if (sv_keyring_sign(to, msg, len, sig) != SV_OK)
        return SV_E_CRYPTO;
    qs = audit_store_set_head_seq(c, stream, seq, hash, sig);
    if (qs != SV_QS_ONE)
        return qs < 0 ? sv_qs_err(qs) : SV_E_INTERNAL;
    *resigned = true;
    return SV_OK;
}

/* ---- verification ---- */

/* One event as the check needs it. */
struct seen {
    char id[40];
    int64_t seq;
    bool self_ok;
    uint8_t prev[32];
    uint8_t hash[32];
};

/*
 * One pass over a stream, in seq order, in constant memory: the chain is
 * checked as the events go by, keeping the two before the current one.
 * The first break is classified on the spot but for "reordered or
 * deleted", which asks whether the hash the event names is anywhere in
 * the stream: a second pass (find_hash) answers that.
 */
struct scan_ctx {
    struct sv_audit_verdict *out;
    int64_t n;           /* events seen */
    int64_t head_seq;    /* the head's count (-1: none, or not trusted) */
    struct seen last[2]; /* the event before this one, and the one before */
    struct seen at_head; /* the event at index head_seq, when there is one */
    bool broken;         /* the first break is found: only count now */
    bool find;           /* ... and a second pass must look for want[] */
    uint8_t want[32];
    struct seen suspect; /* the event whose prev is want[] */
};

static void
bad(struct sv_audit_verdict *out, const struct seen *e, int64_t seq,
    const char *problem)
{
    out->ok = false;
    snprintf(out->bad_id, sizeof out->bad_id, "%s", e ? e->id : "");
    out->bad_seq = seq;
    out->problem = problem;
}

static void
check_row(void *cls, const struct sv_audit_record *r)
{
    static const uint8_t zero[32];
    struct scan_ctx *s = cls;
    struct seen e;
    uint8_t h[32];
    int64_t want = s->n + 1;

    snprintf(e.id, sizeof e.id, "%s", r->id);
    e.seq = r->seq;
    memcpy(e.prev, r->prev_hash, 32);
    memcpy(e.hash, r->hash, 32);
    sv_audit_hash(r->prev_hash, r, h);
    e.self_ok = sodium_memcmp(h, r->hash, 32) == 0;
    if (s->head_seq >= 0 && s->n == s->head_seq)
        s->at_head = e;
    if (!s->broken) {
        const uint8_t *prev = s->n >= 1 ? s->last[0].hash : zero;
        if (e.seq != want) {
            bad(s->out, &e, e.seq, e.seq > want ? "deleted" : "inserted");
            s->broken = true;
        } else if (!e.self_ok) {
            bad(s->out, &e, e.seq, "changed");
            s->broken = true;
        } else if (memcmp(e.prev, prev, 32) != 0) {
            /* Intact event in the wrong place: find out why. */
            s->broken = true;
            if (s->n >= 1 &&
                memcmp(e.prev, s->n >= 2 ? s->last[1].hash : zero, 32) == 0) {
                bad(s->out, &s->last[0], e.seq - 1, "inserted");
            } else {
                s->find = true;
                memcpy(s->want, e.prev, 32);
                s->suspect = e;
            }
        }
    }
    s->last[1] = s->last[0];
    s->last[0] = e;
    s->n++;
}

struct find_ctx {
    const uint8_t *want;
    bool found;
};

static void
find_hash(void *cls, const struct sv_audit_record *r)
{
    struct find_ctx *f = cls;

    if (!f->found && memcmp(r->hash, f->want, 32) == 0)
        f->found = true;
}

enum sv_err
sv_audit_verify_stream(struct sv_dbc *c, const char *stream,
                       struct sv_audit_verdict *out)
{
    static const uint8_t zero[32];
    struct scan_ctx *s = calloc(1, sizeof *s);
    uint8_t head_hash[32], head_sig[64];
    int64_t head_seq = 0;
    enum sv_qs qs, hqs;
    enum sv_err rc;

    memset(out, 0, sizeof *out);
    out->ok = true;
    if (s == NULL)
        return SV_E_INTERNAL;
    rc = strcmp(stream, SV_AUDIT_PLATFORM) == 0 ? sv_db_scope_platform(c)
                                                : sv_db_scope_tenant(c, stream);
    /* The head first: the same snapshot as the events (one read
     * transaction), and the scan keeps the event it points at. */
    hqs = rc == SV_OK
              ? audit_store_head(c, stream, &head_seq, head_hash, head_sig)
              : SV_QS_NONE;
    if (rc == SV_OK && hqs < 0)
        rc = sv_qs_err(hqs);
    s->out = out;
    s->head_seq = hqs == SV_QS_ONE ? head_seq : -1;
    if (rc == SV_OK && (qs = audit_store_scan(c, stream, check_row, s)) < 0)
        rc = sv_qs_err(qs);
    if (rc == SV_OK && s->find) {
        struct find_ctx f = {s->want, false};
        if ((qs = audit_store_scan(c, stream, find_hash, &f)) < 0)
            rc = sv_qs_err(qs);
        else
            bad(out, &s->suspect, s->suspect.seq,
                f.found ? "reordered" : "deleted");
    }
    if (rc != SV_OK) {
        free(s);
        return rc;
    }
    out->events = s->n;
    if (s->broken) {
        /* the first break is the verdict */
    } else if (hqs == SV_QS_NONE) {
        if (s->n > 0)
            bad(out, &s->last[0], s->last[0].seq, "inserted");
    } else if (head_seq < 0) {
        /* Tampered storage: never trust it as an index. */
        bad(out, s->n ? &s->last[0] : NULL, s->n, "changed");
    } else if (head_seq > s->n) {
        /* The newest events are gone. */
        bad(out, NULL, s->n + 1, "deleted");
    } else if (head_seq < s->n) {
        bad(out, &s->at_head, head_seq + 1, "inserted");
    } else if (memcmp(head_hash, s->n ? s->last[0].hash : zero, 32) != 0) {
        bad(out, s->n ? &s->last[0] : NULL, s->n, "changed");
    } else {
        /* The chain is consistent; was it written by us? */
        uint8_t msg[256];
        size_t len = head_message(stream, head_seq, head_hash, msg, sizeof msg);
        if (SV_NEVER(audit_kr == NULL) || len == 0 ||
            !sv_keyring_verify(audit_kr, msg, len, head_sig))
            bad(out, s->n ? &s->last[0] : NULL, s->n, "rewritten");
    }
    free(s);
    return SV_OK;
}

struct list_wrap {
    sv_audit_row_fn row;
    void *cls;
    int64_t last_seq;
};

static void
list_row(void *cls, const struct sv_audit_record *r)
{
    struct list_wrap *w = cls;
    w->last_seq = r->seq;
    w->row(w->cls, r);
}

enum sv_err
sv_audit_list(struct sv_dbc *c, const struct sv_audit_query *q,
              sv_audit_row_fn row, void *cls, int64_t *next_seq)
{
    struct list_wrap w = {row, cls, 0};
    int n = 0;
    enum sv_qs qs;

    *next_seq = 0;
    if (SV_NEVER(q->tenant_id == NULL || q->limit < 1))
        return SV_E_INTERNAL;
    qs = audit_store_list(c, q, list_row, &w, &n);
    if (qs < 0)
        return sv_qs_err(qs);
    /* A full page may have more behind it; seq 1 has nothing before it. */
    if (n == q->limit && w.last_seq > 1)
        *next_seq = w.last_seq;
    return SV_OK;
}

struct page_ctx {
    const struct sv_audit_query *q;
    void (*start)(void *cls);
    sv_audit_row_fn row;
    void *cls;
    int64_t *next_seq;
};

static enum sv_err
page_tx(struct sv_dbc *c, void *cls)
{
    struct page_ctx *p = cls;
    p->start(p->cls);
    return sv_audit_list(c, p->q, p->row, p->cls, p->next_seq);
}

struct export_ctx {
    const struct sv_audit_query *q;
    const struct sv_actor *actor;
};

static enum sv_err
export_tx(struct sv_dbc *c, void *cls)
{
    struct export_ctx *x = cls;
    const struct sv_audit_query *q = x->q;
    json_t *d = json_object();
    char *details;
    enum sv_err rc;

    if (d == NULL)
        return SV_E_INTERNAL;
    if (q->action != NULL)
        json_object_set_new(d, "action", json_string(q->action));
    if (q->actor_id != NULL)
        json_object_set_new(d, "actor", json_string(q->actor_id));
    if (q->result != NULL)
        json_object_set_new(d, "result", json_string(q->result));
    if (q->since_ms > 0)
        json_object_set_new(d, "since_ms", json_integer(q->since_ms));
    if (q->until_ms > 0)
        json_object_set_new(d, "until_ms", json_integer(q->until_ms));
    details = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    if (details == NULL)
        return SV_E_INTERNAL;
    rc = sv_audit_by(c, q->tenant_id, x->actor, SV_AUDIT_AUDIT_EXPORT,
                     "audit_log", NULL, "success", NULL, details);
    free(details);
    return rc;
}

enum sv_err
sv_audit_export_begin(struct sv_db *db, const struct sv_audit_query *q,
                      const struct sv_actor *actor)
{
    struct export_ctx x = {q, actor};
    return sv_db_run_tenant_tx(db, "audit_export", q->tenant_id, export_tx, &x);
}

enum sv_err
sv_audit_page(struct sv_db *db, const struct sv_audit_query *q,
              void (*start)(void *cls), sv_audit_row_fn row, void *cls,
              int64_t *next_seq)
{
    struct page_ctx p = {q, start, row, cls, next_seq};
    return sv_db_run_tenant_ro(db, q->tenant_id, page_tx, &p);
}

/* ---- the security dashboard ---- */

struct summary_ctx {
    const char *tenant_id;
    int64_t now;
    struct sv_security_summary *out;
    struct sv_security_counts *span; /* the row callback's target */
};

static int64_t *
security_slot(struct sv_security_counts *k, const char *action)
{
    if (strcmp(action, sv_audit_action_name(SV_AUDIT_AUTH_LOGIN)) == 0)
        return &k->failed_logins;
    if (strcmp(action, sv_audit_action_name(SV_AUDIT_SECURITY_LOCK)) == 0)
        return &k->locks;
    if (strcmp(action, sv_audit_action_name(SV_AUDIT_SECURITY_BLACKLIST)) == 0)
        return &k->blacklisted;
    return NULL;
}

static void
summary_day(void *cls, const char *action, int64_t day, int64_t n)
{
    struct summary_ctx *x = cls;
    int64_t i = day - x->out->first_day, *slot;

    if (i < 0 || i >= SV_AUDIT_SUMMARY_DAYS)
        return; /* SV_NEVER: the window is these days */
    if ((slot = security_slot(&x->out->days[i], action)) != NULL)
        *slot += n;
    if ((slot = security_slot(&x->out->last_30d, action)) != NULL)
        *slot += n;
}

static void
summary_span(void *cls, const char *action, int64_t day, int64_t n)
{
    struct summary_ctx *x = cls;
    int64_t *slot = security_slot(x->span, action);
    (void)day;
    if (slot != NULL)
        *slot += n;
}

static enum sv_err
summary_tx(struct sv_dbc *c, void *cls)
{
    struct summary_ctx *x = cls;
    int64_t today = x->now / SV_AUDIT_DAY_MS, first;
    enum sv_qs qs;

    memset(x->out, 0, sizeof *x->out); /* a retried transaction starts over */
    first = today - (SV_AUDIT_SUMMARY_DAYS - 1);
    x->out->first_day = first;
    qs = audit_store_security_counts(c, x->tenant_id, first * SV_AUDIT_DAY_MS,
                                     (today + 1) * SV_AUDIT_DAY_MS, true,
                                     summary_day, x);
    if (qs < 0)
        return sv_qs_err(qs);
    x->span = &x->out->last_24h;
    qs = audit_store_security_counts(c, x->tenant_id, x->now - SV_AUDIT_DAY_MS,
                                     x->now + 1, false, summary_span, x);
    return sv_qs_ok(qs);
}

enum sv_err
sv_audit_security_summary(struct sv_db *db, const char *tenant_id,
                          int64_t now_ms, struct sv_security_summary *out)
{
    struct summary_ctx x = {tenant_id, now_ms, out, NULL};
    return sv_db_run_tenant_ro(db, tenant_id, summary_tx, &x);
}

enum sv_err
sv_audit_count_tx(struct sv_dbc *c, const char *tenant_id,
                  enum sv_audit_action action, const char *actor_id,
                  int64_t since_ms, int64_t *out)
{
    return sv_qs_ok(audit_store_count(
        c, tenant_id, sv_audit_action_name(action), actor_id, since_ms, out));
}
