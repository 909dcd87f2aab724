#include "directory/tenant.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/audit.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/tenant_store.h"

bool
sv_check_slug(const char *s, size_t len)
{
    if (len < 2 || len > SV_SLUG_MAX || s[0] == '-' || s[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-'))
            return false;
    }
    return true;
}

bool
sv_check_tenant_name(const char *s, size_t len)
{
    size_t chars;
    if (!sv_utf8_valid(s, len))
        return false;
    chars = sv_utf8_len(s, len);
    if (chars < 1 || chars > SV_TENANT_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static enum sv_err
map_find(enum sv_qs qs)
{
    if (qs == SV_QS_ONE)
        return SV_OK;
    if (qs == SV_QS_NONE)
        return SV_E_NOT_FOUND;
    return sv_qs_err(qs);
}

enum sv_err
sv_tenant_find_by_slug(struct sv_dbc *c, const char *slug,
                       struct sv_tenant *out)
{
    return map_find(tenant_store_find_by_slug(c, slug, out));
}

enum sv_err
sv_tenant_find(struct sv_dbc *c, const char *id, struct sv_tenant *out)
{
    return map_find(tenant_store_find(c, id, out));
}

enum sv_err
sv_tenant_list(struct sv_dbc *c, sv_tenant_row_fn row, void *cls)
{
    enum sv_qs qs = tenant_store_list(c, row, cls);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

struct ids_ctx {
    struct sv_tenant_ids *out;
    bool full; /* out of memory: the list is not whole */
};

/* Append @p id; false when out of memory. */
static bool
ids_push(struct sv_tenant_ids *ts, const char *id)
{
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 16;
        char(*p)[37] = realloc(ts->ids, cap * sizeof *p);
        if (p == NULL)
            return false;
        ts->ids = p;
        ts->cap = cap;
    }
    snprintf(ts->ids[ts->n++], sizeof ts->ids[0], "%s", id);
    return true;
}

static void
id_row(void *cls, const struct sv_tenant *t)
{
    struct ids_ctx *x = cls;

    if (!x->full && !ids_push(x->out, t->id))
        x->full = true;
}

static enum sv_err
ids_tx(struct sv_dbc *c, void *cls)
{
    struct ids_ctx *x = cls;
    enum sv_err rc = sv_db_scope_platform(c); /* tenant_deletions too */

    x->out->n = 0; /* an attempt retried starts over */
    x->full = false;
    return rc == SV_OK ? sv_tenant_list(c, id_row, x) : rc;
}

enum sv_err
sv_tenant_ids(struct sv_db *db, struct sv_tenant_ids *out)
{
    struct ids_ctx x = {out, false};
    enum sv_err rc;

    memset(out, 0, sizeof *out);
    rc = sv_db_run_ro(db, ids_tx, &x);
    if (rc == SV_OK && x.full)
        rc = SV_E_INTERNAL;
    if (rc != SV_OK) {
        free(out->ids);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

enum sv_err
sv_tenant_create_tx(struct sv_dbc *c, const struct sv_keyring *kr,
                    struct sv_tenant *t, const char *actor)
{
    uint8_t wrapped[SV_WRAPPED_KEK_MAX];
    size_t wrapped_len = 0;
    char details[256];
    enum sv_err rc;
    enum sv_qs qs;

    sv_uuid7(t->id);
    t->created_at = sv_now_ms();
    qs = tenant_store_insert(c, t);
    if (qs == SV_QS_NONE)
        return SV_E_SLUG_TAKEN;
    if (qs < 0)
        return sv_qs_err(qs);
    rc = sv_db_scope_tenant(c, t->id);
    if (rc == SV_OK)
        rc = sv_db_scope_platform(c);
    if (rc != SV_OK)
        return rc;
    /* The key store first: a master key left by a transaction that rolls
     * back names a tenant id that is never used again. */
    rc = sv_keyring_tmk_create(kr, t->id);
    if (rc == SV_OK)
        rc = sv_keyring_kek_new(kr, t->id, 1, wrapped, &wrapped_len);
    if (rc != SV_OK)
        return rc;
    qs = tenant_store_insert_key(c, t->id, 1, wrapped, wrapped_len);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs);
    rc = sv_keyring_index_key_new(kr, t->id, wrapped, &wrapped_len);
    if (rc != SV_OK)
        return rc;
    qs = tenant_store_set_index_key(c, t->id, wrapped, wrapped_len);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs);
    snprintf(details, sizeof details,
             "{\"slug\":\"%s\",\"password_policy\":\"%s\","
             "\"password_min_score\":%d}",
             t->slug, sv_policy_kind_name(t->policy.kind),
             t->policy.min_score); /* slug is [a-z0-9-]: no escaping needed */
    struct sv_audit_event ev = {
        .actor = actor,
        .action = sv_audit_action_name(SV_AUDIT_TENANT_CREATED),
        .target_type = "tenant",
        .target_id = t->id,
        .result = "success",
        .details = details,
    };
    rc = sv_audit_append(c, &ev); /* platform stream */
    if (rc != SV_OK)
        return rc;
    ev.tenant_id = t->id; /* and the tenant's own, its first event */
    return sv_audit_append(c, &ev);
}

/* Apply @p chg to @p t (as read) and store it; *details gets the event's
 * details: each field given, now and as it "was". */
static enum sv_err
policy_apply(struct sv_dbc *c, struct sv_tenant *t,
             const struct sv_tenant_policy_change *chg, char *details,
             size_t cap)
{
    char now[160] = "", was[160] = "";
    size_t n = 0, w = 0;
    enum sv_qs qs;

    if (chg->set_min_score && (chg->min_score < 0 || chg->min_score > 4))
        return SV_E_FIELD_INVALID;
    /* Fixed words and numbers only: no escaping needed. */
    if (chg->set_require_mfa) {
        n += (size_t)snprintf(now + n, sizeof now - n, ",\"require_mfa\":%s",
                              chg->require_mfa ? "true" : "false");
        w += (size_t)snprintf(was + w, sizeof was - w, ",\"require_mfa\":%s",
                              t->require_mfa ? "true" : "false");
        t->require_mfa = chg->require_mfa;
    }
    if (chg->set_kind) {
        n += (size_t)snprintf(now + n, sizeof now - n,
                              ",\"password_policy\":\"%s\"",
                              sv_policy_kind_name(chg->kind));
        w += (size_t)snprintf(was + w, sizeof was - w,
                              ",\"password_policy\":\"%s\"",
                              sv_policy_kind_name(t->policy.kind));
        t->policy.kind = chg->kind;
    }
    if (chg->set_min_score) {
        n += (size_t)snprintf(now + n, sizeof now - n,
                              ",\"password_min_score\":%d", chg->min_score);
        w +=
            (size_t)snprintf(was + w, sizeof was - w,
                             ",\"password_min_score\":%d", t->policy.min_score);
        t->policy.min_score = chg->min_score;
    }
    if (chg->set_reveals &&
        (chg->phone_reveals_per_day < 0 || chg->phone_reveals_per_day > 10000))
        return SV_E_FIELD_INVALID;
    if (chg->set_mask_phones) {
        n += (size_t)snprintf(now + n, sizeof now - n, ",\"mask_phones\":%s",
                              chg->mask_phones ? "true" : "false");
        w += (size_t)snprintf(was + w, sizeof was - w, ",\"mask_phones\":%s",
                              t->mask_phones ? "true" : "false");
        t->mask_phones = chg->mask_phones;
    }
    if (chg->set_reveals) {
        n += (size_t)snprintf(now + n, sizeof now - n,
                              ",\"phone_reveals_per_day\":%d",
                              chg->phone_reveals_per_day);
        w += (size_t)snprintf(was + w, sizeof was - w,
                              ",\"phone_reveals_per_day\":%d",
                              t->phone_reveals_per_day);
        t->phone_reveals_per_day = chg->phone_reveals_per_day;
    }
    if (chg->phone_region != NULL) {
        /* Two upper-case letters, checked by the caller: no escaping. */
        if (strlen(chg->phone_region) != 2)
            return SV_E_FIELD_INVALID;
        n += (size_t)snprintf(now + n, sizeof now - n,
                              ",\"phone_region\":\"%s\"", chg->phone_region);
        w += (size_t)snprintf(was + w, sizeof was - w,
                              ",\"phone_region\":\"%s\"", t->phone_region);
        snprintf(t->phone_region, sizeof t->phone_region, "%s",
                 chg->phone_region);
    }
    snprintf(details, cap, "{%s%s\"was\":{%s}}", n ? now + 1 : "", n ? "," : "",
             w ? was + 1 : "");
    qs = tenant_store_set_policy(c, t);
    if (qs != SV_QS_ONE)
        return qs == SV_QS_NONE ? SV_E_NOT_FOUND : sv_qs_err(qs);
    return SV_OK;
}

enum sv_err
sv_tenant_set_require_mfa_tx(struct sv_dbc *c, const char *slug, bool on,
                             const char *actor, struct sv_tenant *out)
{
    const struct sv_tenant_policy_change chg = {.set_require_mfa = true,
                                                .require_mfa = on};
    char details[400];
    enum sv_err rc;

    rc = sv_tenant_find_by_slug(c, slug, out);
    if (rc == SV_OK)
        rc = sv_db_scope_tenant(c, out->id);
    if (rc == SV_OK)
        rc = sv_db_scope_platform(c);
    if (rc == SV_OK)
        rc = policy_apply(c, out, &chg, details, sizeof details);
    if (rc != SV_OK)
        return rc;
    struct sv_audit_event ev = {
        .actor = actor,
        .action = sv_audit_action_name(SV_AUDIT_TENANT_POLICY),
        .target_type = "tenant",
        .target_id = out->id,
        .result = "success",
        .details = details,
    };
    rc = sv_audit_append(c, &ev); /* platform stream */
    if (rc != SV_OK)
        return rc;
    ev.tenant_id = out->id; /* and the tenant's own */
    return sv_audit_append(c, &ev);
}

struct policy_ctx {
    const char *tenant_id;
    const struct sv_tenant_policy_change *chg;
    const struct sv_actor *actor;
    struct sv_tenant *out;
};

static enum sv_err
get_tx(struct sv_dbc *c, void *cls)
{
    struct policy_ctx *p = cls;
    return sv_tenant_find(c, p->tenant_id, p->out);
}

enum sv_err
sv_tenant_get(struct sv_db *db, const char *tenant_id, struct sv_tenant *out)
{
    struct policy_ctx p = {tenant_id, NULL, NULL, out};
    return sv_db_run_tenant_ro(db, tenant_id, get_tx, &p);
}

static enum sv_err
policy_update_tx(struct sv_dbc *c, void *cls)
{
    struct policy_ctx *p = cls;
    char details[400];
    enum sv_err rc = sv_tenant_find(c, p->tenant_id, p->out);

    if (rc == SV_OK)
        rc = policy_apply(c, p->out, p->chg, details, sizeof details);
    if (rc != SV_OK)
        return rc;
    /* The tenant's stream only: an admin's name and address stay with the
     * tenant's data (and go with it when the tenant is shredded). */
    return sv_audit_by(c, p->tenant_id, p->actor, SV_AUDIT_TENANT_POLICY,
                       "tenant", p->tenant_id, "success", NULL, details);
}

enum sv_err
sv_tenant_policy_update(struct sv_db *db, const char *tenant_id,
                        const struct sv_tenant_policy_change *chg,
                        const struct sv_actor *actor, struct sv_tenant *out)
{
    struct policy_ctx p = {tenant_id, chg, actor, out};
    return sv_db_run_tenant_tx(db, "tenant_policy", tenant_id, policy_update_tx,
                               &p);
}

/* ---- key cache ---- */

/*
 * Keys are unwrapped once per node and kept until the process ends: a
 * borrowed pointer stays valid. A key destroyed elsewhere (a retired
 * version, a deleted tenant) is marked dead and wiped in place by
 * sv_tenant_keys_prune(), so nothing seals or opens with it any more; the
 * few bytes of its entry stay until sv_tenant_keys_fini().
 *
 * The version to seal with is read from the database on every seal (one
 * small indexed read in the transaction that writes): a rotation on any
 * node is used by every node's next write, with no message to miss.
 */

struct cached {
    struct cached *next;
    struct sv_tenant_keys *keys;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cached *cache;
static const struct sv_keyring *cache_kr;

void
sv_tenant_keys_init(const struct sv_keyring *kr)
{
    cache_kr = kr;
}

void
sv_tenant_keys_fini(void)
{
    pthread_mutex_lock(&cache_mu);
    for (struct cached *e = cache, *next; e != NULL; e = next) {
        next = e->next;
        sv_tenant_keys_free(e->keys);
        free(e);
    }
    cache = NULL;
    cache_kr = NULL;
    pthread_mutex_unlock(&cache_mu);
}

static bool
alive(const struct sv_tenant_keys *k)
{
    return !__atomic_load_n(&k->dead, __ATOMIC_ACQUIRE);
}

/* A live cached version of the tenant: @p version, or any (0). */
static const struct sv_tenant_keys *
lookup(const char *tenant_id, uint32_t version)
{
    for (struct cached *e = cache; e != NULL; e = e->next)
        if (alive(e->keys) && strcmp(e->keys->tenant_id, tenant_id) == 0 &&
            (version == 0 || e->keys->version == version))
            return e->keys;
    return NULL;
}

/* Unwrap version @p version (0: the newest) and cache it. */
static enum sv_err
load(struct sv_dbc *c, const char *tenant_id, uint32_t version,
     const struct sv_tenant_keys **out)
{
    struct tenant_store_key *k = sv_xcalloc(1, sizeof *k);
    struct sv_tenant_keys *tk = NULL;
    enum sv_err rc;
    enum sv_qs qs;

    if (SV_NEVER(cache_kr == NULL)) {
        free(k);
        return SV_E_INTERNAL;
    }
    qs = tenant_store_find_key(c, tenant_id, version, k);
    if (qs == SV_QS_ONE && k->index_len == 0) {
        sv_log(SV_LOG_ERROR, "internal error",
               "tenant %s has no index key: run the server once to upgrade",
               tenant_id);
        qs = SV_QS_HARD;
    }
    rc = qs == SV_QS_NONE ? SV_E_NOT_FOUND : qs < 0 ? sv_qs_err(qs) : SV_OK;
    if (rc == SV_OK)
        rc = sv_keyring_tenant_open(cache_kr, tenant_id, k->version, k->wrapped,
                                    k->wrapped_len, k->index_wrapped,
                                    k->index_len, &tk);
    sodium_memzero(k, sizeof *k);
    free(k);
    if (rc != SV_OK)
        return rc;
    pthread_mutex_lock(&cache_mu);
    *out = lookup(tenant_id, tk->version);
    if (*out == NULL) {
        struct cached *e = sv_xcalloc(1, sizeof *e);
        e->keys = tk;
        e->next = cache;
        cache = e;
        *out = tk;
        tk = NULL;
    }
    pthread_mutex_unlock(&cache_mu);
    sv_tenant_keys_free(tk);
    return SV_OK;
}

enum sv_err
sv_tenant_keys_get(struct sv_dbc *c, const char *tenant_id, uint32_t version,
                   const struct sv_tenant_keys **out)
{
    enum sv_qs qs;

    *out = NULL;
    if (version == 0) {
        qs = tenant_store_newest_key(c, tenant_id, &version);
        if (qs == SV_QS_NONE)
            return SV_E_NOT_FOUND;
        if (qs < 0)
            return sv_qs_err(qs);
    }
    pthread_mutex_lock(&cache_mu);
    *out = lookup(tenant_id, version);
    pthread_mutex_unlock(&cache_mu);
    if (*out != NULL)
        return SV_OK;
    return load(c, tenant_id, version, out);
}

enum sv_err
sv_tenant_index_keys_get(struct sv_dbc *c, const char *tenant_id,
                         const struct sv_tenant_keys **out)
{
    /* Every version carries the tenant's one index key: any will do. */
    pthread_mutex_lock(&cache_mu);
    *out = lookup(tenant_id, 0);
    pthread_mutex_unlock(&cache_mu);
    if (*out != NULL)
        return SV_OK;
    return load(c, tenant_id, 0, out);
}

const struct sv_tenant_keys *
sv_tenant_keys_cached(const char *tenant_id, uint32_t version)
{
    const struct sv_tenant_keys *tk = NULL;
    if (version == 0)
        return NULL; /* the newest is the database's to say */
    pthread_mutex_lock(&cache_mu);
    tk = lookup(tenant_id, version);
    pthread_mutex_unlock(&cache_mu);
    return tk;
}

/* Mark dead and wipe: the entry stays for borrowers. A retired version's
 * index key is the tenant's, still live in its other versions (a borrower
 * may be computing an index with it): it goes only with the tenant. */
static void
kill_keys(struct sv_tenant_keys *k, bool tenant_gone)
{
    __atomic_store_n(&k->dead, 1, __ATOMIC_RELEASE);
    sodium_memzero(k->field_key, SV_KEY_LEN);
    if (tenant_gone)
        sodium_memzero(k->bidx_key, SV_KEY_LEN);
}

size_t
sv_tenant_keys_forget(const char *tenant_id, uint32_t below)
{
    size_t n = 0;
    pthread_mutex_lock(&cache_mu);
    for (struct cached *e = cache; e != NULL; e = e->next)
        if (alive(e->keys) && strcmp(e->keys->tenant_id, tenant_id) == 0 &&
            (below == 0 || e->keys->version < below)) {
            kill_keys(e->keys, below == 0);
            n++;
        }
    pthread_mutex_unlock(&cache_mu);
    return n;
}

/* ---- tenants made before migration 016 ---- */

struct upgrade_ctx {
    const struct sv_keyring *kr;
    const char *tenant_id;
    struct sv_tenant_ids ids;
    bool full; /* out of memory */
};

static void
collect_id(void *cls, const char *id)
{
    struct upgrade_ctx *u = cls;
    if (!u->full && !ids_push(&u->ids, id))
        u->full = true;
}

static enum sv_err
legacy_tx(struct sv_dbc *c, void *cls)
{
    struct upgrade_ctx *u = cls;
    enum sv_err rc = sv_db_scope_platform(c);
    if (rc != SV_OK)
        return rc;
    u->ids.n = 0;
    u->full = false;
    enum sv_qs qs = tenant_store_legacy(c, collect_id, u);
    if (qs < 0)
        return sv_qs_err(qs);
    return u->full ? SV_E_INTERNAL : SV_OK;
}

enum { LEGACY_VERSIONS_MAX = 16 };

/* Every live version wrapped anew under the master key, the index key its
 * indexes were made with stored, scheme 2: all or nothing. */
static enum sv_err
upgrade_one_tx(struct sv_dbc *c, void *cls)
{
    struct upgrade_ctx *u = cls;
    struct tenant_store_key *k = sv_xcalloc(LEGACY_VERSIONS_MAX, sizeof *k);
    uint8_t wrapped[SV_WRAPPED_KEK_MAX], index[SV_WRAPPED_KEK_MAX];
    size_t n = 0, len = 0, index_len = 0;
    enum sv_err rc;
    enum sv_qs qs =
        tenant_store_live_keys(c, u->tenant_id, k, LEGACY_VERSIONS_MAX, &n);

    rc = qs < 0 ? sv_qs_err(qs) : SV_OK;
    for (size_t i = 0; rc == SV_OK && i < n; i++) {
        rc = sv_keyring_legacy_rewrap(
            u->kr, u->tenant_id, k[i].version, k[i].wrapped, k[i].wrapped_len,
            wrapped, &len, k[i].version == 1 ? index : NULL, &index_len);
        if (rc == SV_OK) {
            qs = tenant_store_rewrap_key(c, u->tenant_id, k[i].version, wrapped,
                                         len);
            rc = qs == SV_QS_ONE ? SV_OK
                 : qs < 0        ? sv_qs_err(qs)
                                 : SV_E_INTERNAL;
        }
    }
    if (rc == SV_OK && index_len == 0)
        rc = SV_E_INTERNAL; /* a scheme 1 tenant always has version 1 */
    if (rc == SV_OK) {
        qs = tenant_store_set_index_key(c, u->tenant_id, index, index_len);
        /* Another node did it first: this attempt's writes roll back. */
        rc = qs == SV_QS_ONE ? SV_OK : qs < 0 ? sv_qs_err(qs) : SV_E_EXISTS;
    }
    sodium_memzero(k, LEGACY_VERSIONS_MAX * sizeof *k);
    free(k);
    return rc;
}

enum sv_err
sv_tenant_keys_upgrade(struct sv_db *db, const struct sv_keyring *kr)
{
    struct upgrade_ctx u = {.kr = kr};
    enum sv_err rc = sv_db_run_ro(db, legacy_tx, &u);

    for (size_t i = 0; rc == SV_OK && i < u.ids.n; i++) {
        u.tenant_id = u.ids.ids[i];
        rc = sv_keyring_tmk_create(kr, u.tenant_id);
        if (rc == SV_E_EXISTS)
            rc = SV_OK; /* made by an attempt that stopped before commit */
        if (rc == SV_OK)
            rc = sv_db_run_tenant_tx(db, "key_upgrade", u.tenant_id,
                                     upgrade_one_tx, &u);
        if (rc == SV_E_EXISTS)
            rc = SV_OK;
        if (rc != SV_OK)
            sv_log(SV_LOG_ERROR, "key upgrade failed",
                   "tenant %s: its keys could not be moved under a master key",
                   u.tenant_id);
    }
    free(u.ids.ids);
    return rc;
}

/* ---- deletion (DATA-7) ---- */

/* A confirmation is valid this long after it was asked for. */
enum { DELETE_CONFIRM_MS = 10 * 60 * 1000 };

/* "<expiry ms>.<hex HMAC>" over the tenant and the expiry, under a key
 * derived from the root key for this purpose alone. */
static void
confirm_mac(const struct sv_keyring *kr, const char *tenant_id, int64_t until,
            char out[65])
{
    uint8_t key[SV_KEY_LEN], mac[crypto_auth_hmacsha256_BYTES];
    char msg[96];
    int n = snprintf(msg, sizeof msg, "tenant-delete|%s|%lld", tenant_id,
                     (long long)until);

    sv_keyring_derive(kr, "svdelete", 1, key);
    crypto_auth_hmacsha256(mac, (const uint8_t *)msg, (size_t)n, key);
    sv_hex(mac, sizeof mac, out);
    sodium_memzero(key, sizeof key);
}

/* An event of the deletion, on the platform stream. */
static enum sv_err
audit_deletion(struct sv_dbc *c, const char *actor, enum sv_audit_action a,
               const char *tenant_id, const char *details)
{
    struct sv_audit_event ev = {
        .actor = actor,
        .action = sv_audit_action_name(a),
        .target_type = "tenant",
        .target_id = tenant_id,
        .result = "success",
        .details = details,
    };
    return sv_audit_append(c, &ev);
}

struct delete_ctx {
    const struct sv_keyring *kr;
    const char *slug, *actor, *token;
    struct sv_tenant_deletion *out;
    struct sv_tenant t;
};

static enum sv_err
delete_request_tx(struct sv_dbc *c, void *cls)
{
    struct delete_ctx *d = cls;
    struct sv_tenant_deletion *o = d->out;
    char details[256];
    int64_t counts[3] = {0, 0, 0};
    enum sv_err rc = sv_db_scope_platform(c);
    enum sv_qs qs;

    if (rc == SV_OK)
        rc = sv_tenant_find_by_slug(c, d->slug, &d->t);
    if (rc == SV_OK)
        rc = sv_db_scope_tenant(c, d->t.id);
    if (rc != SV_OK)
        return rc;
    qs = tenant_store_counts(c, d->t.id, counts);
    if (qs < 0)
        return sv_qs_err(qs);
    snprintf(o->tenant_id, sizeof o->tenant_id, "%s", d->t.id);
    snprintf(o->slug, sizeof o->slug, "%s", d->t.slug);
    o->accounts = counts[0];
    o->records = counts[1];
    o->events = counts[2];
    o->expires_at = sv_now_ms() + DELETE_CONFIRM_MS;
    {
        char mac[65];
        confirm_mac(d->kr, d->t.id, o->expires_at, mac);
        snprintf(o->token, sizeof o->token, "%lld.%s", (long long)o->expires_at,
                 mac);
        sodium_memzero(mac, sizeof mac);
    }
    snprintf(details, sizeof details,
             "{\"slug\":\"%s\",\"accounts\":%lld,\"records\":%lld,"
             "\"events\":%lld}",
             d->t.slug, (long long)o->accounts, (long long)o->records,
             (long long)o->events);
    return audit_deletion(c, d->actor, SV_AUDIT_TENANT_DELETE_REQUEST, d->t.id,
                          details);
}

enum sv_err
sv_tenant_delete_request(struct sv_db *db, const struct sv_keyring *kr,
                         const char *slug, const char *actor,
                         struct sv_tenant_deletion *out)
{
    struct delete_ctx d = {.kr = kr, .slug = slug, .actor = actor, .out = out};
    memset(out, 0, sizeof *out);
    return sv_db_run_tx(db, "tenant_delete_request", delete_request_tx, &d);
}

/* Check the confirmation: the tenant's, not expired, not forged. */
static enum sv_err
confirm_check(const struct sv_keyring *kr, const char *tenant_id,
              const char *token, bool *expired)
{
    char mac[65], *end = NULL;
    long long until;
    const char *dot = strchr(token, '.');
    bool ok;

    if (dot == NULL || strlen(dot + 1) != 64)
        return SV_E_FIELD_INVALID;
    until = strtoll(token, &end, 10);
    if (end != dot || until <= 0)
        return SV_E_FIELD_INVALID;
    confirm_mac(kr, tenant_id, (int64_t)until, mac);
    ok = sodium_memcmp(mac, dot + 1, 64) == 0;
    sodium_memzero(mac, sizeof mac);
    if (!ok)
        return SV_E_FIELD_INVALID;
    *expired = sv_now_ms() > until;
    return *expired ? SV_E_FIELD_INVALID : SV_OK;
}

static enum sv_err
find_tx(struct sv_dbc *c, void *cls)
{
    struct delete_ctx *d = cls;
    enum sv_err rc = sv_db_scope_platform(c);
    return rc == SV_OK ? sv_tenant_find_by_slug(c, d->slug, &d->t) : rc;
}

/* The tenant listed as deleted, tenant.shred, before its key goes. */
static enum sv_err
shred_tx(struct sv_dbc *c, void *cls)
{
    struct delete_ctx *d = cls;
    char details[128];
    enum sv_err rc = sv_db_scope_platform(c);
    enum sv_qs qs;

    if (rc != SV_OK)
        return rc;
    qs = tenant_store_tombstone(c, d->t.id, d->t.slug, d->actor, sv_now_ms());
    if (qs < 0)
        return sv_qs_err(qs);
    snprintf(details, sizeof details, "{\"slug\":\"%s\"}", d->t.slug);
    return audit_deletion(c, d->actor, SV_AUDIT_TENANT_SHRED, d->t.id, details);
}

static enum sv_err
erase_tx(struct sv_dbc *c, void *cls)
{
    struct delete_ctx *d = cls;
    char details[160];
    int64_t rows = 0;
    enum sv_err rc = sv_db_scope_platform(c);
    enum sv_qs qs;

    if (rc != SV_OK)
        return rc;
    /* SQLite: freed pages are zeroed, not left readable in the file. */
    if (!sv_dbc_is_postgres(c) &&
        sv_dbc_exec_script(c, "PRAGMA secure_delete = ON") < 0)
        return SV_E_INTERNAL;
    qs = tenant_store_erase(c, d->t.id, &rows);
    if (qs < 0)
        return sv_qs_err(qs);
    qs = tenant_store_tombstone_done(c, d->t.id, sv_now_ms());
    if (qs < 0)
        return sv_qs_err(qs);
    d->out->rows = rows;
    snprintf(details, sizeof details, "{\"slug\":\"%s\",\"rows\":%lld}",
             d->t.slug, (long long)rows);
    return audit_deletion(c, d->actor, SV_AUDIT_TENANT_DELETE, d->t.id,
                          details);
}

static enum sv_err
checkpoint_one(struct sv_dbc *c, void *cls)
{
    (void)cls;
    /* The zeroed pages into the database file, and the log emptied. */
    if (!sv_dbc_is_postgres(c) &&
        sv_dbc_exec_script(c, "PRAGMA wal_checkpoint(TRUNCATE)") < 0)
        return SV_E_DB_RETRY; /* a reader holds the log: tried again */
    return SV_OK;
}

enum sv_err
sv_tenant_delete(struct sv_db *db, const struct sv_keyring *kr,
                 const char *slug, const char *token, const char *actor,
                 struct sv_tenant_deletion *out)
{
    struct delete_ctx d = {.kr = kr, .slug = slug, .actor = actor, .out = out};
    enum sv_err rc;

    memset(out, 0, sizeof *out);
    rc = sv_db_run_ro(db, find_tx, &d);
    if (rc == SV_OK)
        rc = confirm_check(kr, d.t.id, token, &out->expired);
    if (rc != SV_OK)
        return rc;
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", d.t.id);
    snprintf(out->slug, sizeof out->slug, "%s", d.t.slug);
    /* 1. Listed as deleted (nodes wipe their keys), audited. */
    rc = sv_db_run_tx(db, "tenant_shred", shred_tx, &d);
    if (rc != SV_OK)
        return rc;
    /* 2. The master key destroyed: from here no copy of the tenant's keys
     *    opens, in the database, a copy of it or a backup. */
    rc = sv_keyring_tmk_shred(kr, d.t.id);
    if (rc != SV_OK)
        return rc;
    (void)sv_tenant_keys_forget(d.t.id, 0);
    out->keys_destroyed = true;
    /* 3. The rows (a failure here leaves a tenant without keys: run the
     *    deletion again). */
    rc = sv_db_run_tenant_tx(db, "tenant_erase", d.t.id, erase_tx, &d);
    if (rc == SV_OK && sv_db_run_one(db, checkpoint_one, NULL) != SV_OK)
        sv_log(SV_LOG_WARN, "tenant deletion",
               "the database log was not checkpointed: it is at the next "
               "automatic checkpoint");
    return rc;
}

struct deleted_ctx {
    size_t forgotten;
};

static void
deleted_row(void *cls, const char *tenant_id)
{
    struct deleted_ctx *x = cls;
    x->forgotten += sv_tenant_keys_forget(tenant_id, 0);
}

enum sv_err
sv_tenant_keys_forget_deleted(struct sv_dbc *c)
{
    struct deleted_ctx x = {0};
    enum sv_qs qs = tenant_store_deleted(c, deleted_row, &x);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}
