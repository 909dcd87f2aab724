/* Brute force and credential stuffing (AUTH-4, AUTH-5): see risk.h. */
#include "risk/risk.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "risk/risk_store.h"

static void
keyed(const struct sv_app *app, const char *kind, const char *a, const char *b,
      uint8_t out[32])
{
    crypto_generichash_state st;
    char low[SV_GUARD_NAME_MAX + 1];
    size_t i = 0;

    crypto_generichash_init(&st, app->name_key, sizeof app->name_key, 32);
    crypto_generichash_update(&st, (const uint8_t *)kind, strlen(kind) + 1);
    crypto_generichash_update(&st, (const uint8_t *)a, strlen(a) + 1);
    if (b != NULL) {
        /* Names count case-insensitively: "Alice" and "alice" are one. */
        for (; b[i] != '\0' && i + 1 < sizeof low; i++)
            low[i] = (char)tolower((unsigned char)b[i]);
        low[i] = '\0';
        crypto_generichash_update(&st, (const uint8_t *)low, i + 1);
        sodium_memzero(low, sizeof low);
    }
    crypto_generichash_final(&st, out, 32);
}

void
sv_guard_source(const char *ip, char out[64])
{
    struct in6_addr a6;
    struct in_addr a4;
    char prefix[INET6_ADDRSTRLEN];

    out[0] = '\0';
    if (ip == NULL || ip[0] == '\0')
        return;
    if (inet_pton(AF_INET, ip, &a4) == 1) {
        inet_ntop(AF_INET, &a4, out, 64);
        return;
    }
    if (inet_pton(AF_INET6, ip, &a6) != 1) {
        snprintf(out, 64, "%s", ip);
        return;
    }
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        memcpy(&a4, &a6.s6_addr[12], 4);
        inet_ntop(AF_INET, &a4, out, 64);
        return;
    }
    /* One host holds a /64: counting its addresses would count nothing. */
    memset(&a6.s6_addr[8], 0, 8);
    inet_ntop(AF_INET6, &a6, prefix, sizeof prefix);
    snprintf(out, 64, "%s/64", prefix);
}

void
sv_guard_init(const struct sv_app *app, struct sv_guard *g,
              const char *tenant_slug, const char *username, const char *ip,
              const char *device)
{
    char slug[SV_GUARD_SLUG_MAX + 2];
    size_t i = 0;

    memset(g, 0, sizeof *g);
    for (; tenant_slug[i] != '\0' && i + 1 < sizeof slug; i++)
        slug[i] = (char)tolower((unsigned char)tenant_slug[i]);
    slug[i] = '\0';
    sv_guard_source(ip, g->ip);
    g->device = device != NULL ? device : "";
    keyed(app, "name", slug, username, g->name_key);
    keyed(app, "ip", g->ip, NULL, g->ip_key);
    keyed(app, "device", g->device, NULL, g->device_key);
}

void
sv_guard_init_key(const struct sv_app *app, struct sv_guard *g,
                  const uint8_t name_key[32], const char *ip,
                  const char *device)
{
    memset(g, 0, sizeof *g);
    sv_guard_source(ip, g->ip);
    g->device = device != NULL ? device : "";
    memcpy(g->name_key, name_key, 32);
    keyed(app, "ip", g->ip, NULL, g->ip_key);
    keyed(app, "device", g->device, NULL, g->device_key);
}

void
sv_guard_fingerprint(const struct sv_guard *g, char out[SV_GUARD_FP_LEN])
{
    memcpy(out, "unknown:", 8);
    sodium_bin2hex(out + 8, SV_GUARD_FP_LEN - 8, g->name_key, 12);
}

static int64_t
decayed(int64_t score, int64_t updated_at, int64_t now, int64_t decay_ms)
{
    int64_t d = score - (now - updated_at) * 1000 / decay_ms;
    return d > 0 ? d : 0;
}

struct read_ctx {
    const struct sv_app *app;
    struct sv_guard *g;
    int64_t now;
};

static void
read_row(void *cls, const uint8_t k[32], int64_t score, int64_t at,
         int64_t locked_until, int64_t hard)
{
    struct read_ctx *r = cls;
    struct sv_guard *g = r->g;
    int64_t decay = r->app->cfg.failure_decay_ms;
    int64_t v = decayed(score, at, r->now, decay);

    if (memcmp(k, g->name_key, 32) == 0) {
        g->name_score = v;
        g->name_hard = decayed(hard, at, r->now, decay);
        g->locked_until = locked_until;
    }
    /* An empty IP or device is nobody's: it never counts. */
    if (memcmp(k, g->ip_key, 32) == 0 && g->ip[0] != '\0')
        g->ip_score = v;
    if (memcmp(k, g->device_key, 32) == 0 && g->device[0] != '\0')
        g->device_score = v;
}

enum sv_err
sv_guard_read(struct sv_dbc *c, const struct sv_app *app, struct sv_guard *g,
              int64_t now)
{
    struct read_ctx r = {app, g, now};
    enum sv_qs qs;

    g->name_score = g->name_hard = g->ip_score = g->device_score = 0;
    g->locked_until = 0;
    qs = risk_store_counters_read(c, g->name_key, g->ip_key, g->device_key,
                                  read_row, &r);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

bool
sv_guard_captcha_due(const struct sv_app *app, const struct sv_guard *g)
{
    int64_t n = (int64_t)app->cfg.captcha_after * 1000;
    return g->name_score >= n || g->ip_score >= n || g->device_score >= n;
}

bool
sv_guard_source_flooding(const struct sv_app *app, const struct sv_guard *g)
{
    int64_t n = (int64_t)app->cfg.lock_after * 10 * 1000;
    return g->ip_score >= n || g->device_score >= n;
}

static enum sv_qs
count_fail(struct sv_dbc *c, const struct sv_app *app, const uint8_t key[32],
           bool hard, int64_t now, int64_t *out_hard, int64_t *locked_until)
{
    return risk_store_counter_fail(c, key, now, app->cfg.failure_decay_ms, hard,
                                   out_hard, locked_until);
}

static enum sv_err
audit_security(struct sv_dbc *c, const char *tenant_id,
               const struct sv_actor *actor, enum sv_audit_action action,
               const char *reason, const char *details)
{
    return sv_audit_by(c, tenant_id, actor, action, NULL, NULL, "denied",
                       reason, details);
}

/* AUTH-5: one source failing on many names. */
static enum sv_err
stuffing_check(struct sv_dbc *c, const struct sv_app *app, struct sv_guard *g,
               const char *kind, const char *value, const char *tenant_id,
               const struct sv_actor *actor, int64_t now)
{
    char source[128];
    const char *scope = tenant_id != NULL ? tenant_id : SV_AUDIT_PLATFORM;
    enum sv_qs qs;
    int64_t distinct;

    if (value[0] == '\0')
        return SV_OK;
    snprintf(source, sizeof source, "%s:%s", kind, value);
    qs = risk_store_failure_add(c, source, scope, g->name_key, now);
    if (qs < 0)
        return sv_qs_err(qs);
    qs = risk_store_failure_distinct(
        c, source, scope, now - app->cfg.stuffing_window_ms, &distinct);
    if (qs < 0)
        return sv_qs_err(qs);
    /* Names on tenants that do not exist: platform-wide, so a far higher
     * bar than any tenant's users mistyping their tenant could reach. */
    if (distinct < (int64_t)(tenant_id != NULL
                                 ? app->cfg.stuffing_accounts
                                 : app->cfg.platform_stuffing_accounts))
        return SV_OK;

    /* Already listed? */
    qs = tenant_id != NULL
             ? risk_store_blacklist_active(c, tenant_id, kind, value, now)
             : risk_store_blacklist_hit(c, tenant_id, kind, value, now);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE)
        return SV_OK;

    char id[SV_UUID_LEN + 1], details[256];
    sv_uuid7(id);
    if (tenant_id != NULL) {
        qs = risk_store_blacklist_add(c, tenant_id, id, kind, value,
                                      "credential_stuffing", now,
                                      now + app->cfg.blacklist_ms);
    } else {
        enum sv_err rc = sv_db_scope_platform(c);
        if (rc != SV_OK)
            return rc;
        qs = risk_store_blacklist_platform_add(c, id, kind, value,
                                               "unknown_tenant_stuffing", now,
                                               now + app->cfg.blacklist_ms);
    }
    if (qs < 0)
        return sv_qs_err(qs);
    json_t *d =
        json_pack("{s:s, s:s, s:s, s:I, s:I}", "entry", id, "kind", kind,
                  "value", value, "distinct_accounts", (json_int_t)distinct,
                  "window_s", (json_int_t)(app->cfg.stuffing_window_ms / 1000));
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    snprintf(details, sizeof details, "%s", text ? text : "{}");
    free(text);
    sv_log(SV_LOG_WARN, "credential stuffing: blacklisted", "%s %s", kind,
           value);
    return audit_security(c, tenant_id, actor, SV_AUDIT_SECURITY_BLACKLIST,
                          tenant_id != NULL ? "credential_stuffing"
                                            : "unknown_tenant_stuffing",
                          details);
}

enum sv_err
sv_guard_claim_tx(struct sv_dbc *c, const struct sv_app *app,
                  struct sv_guard *g, int64_t now, bool *claimed)
{
    /* A check takes far less; a lease this long only outlives a crash. */
    const int64_t lease_ms = 30 * 1000;
    enum sv_qs qs = risk_store_counter_claim(
        c, g->name_key, now, app->cfg.failure_decay_ms,
        (int64_t)app->cfg.captcha_after * 1000, now + lease_ms);

    if (qs < 0)
        return sv_qs_err(qs);
    *claimed = g->claimed = qs == SV_QS_ONE;
    return SV_OK;
}

enum sv_err
sv_guard_release_tx(struct sv_dbc *c, struct sv_guard *g)
{
    enum sv_qs qs;

    if (!g->claimed)
        return SV_OK;
    qs = risk_store_counter_release(c, g->name_key);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

static enum sv_err
lock_check(struct sv_dbc *c, const struct sv_app *app, struct sv_guard *g,
           int64_t hard, int64_t locked_until, const char *tenant_id,
           const struct sv_actor *actor, int64_t now)
{
    enum sv_qs qs;
    int64_t span = app->cfg.lock_base_ms, locks = 0;

    if (hard < (int64_t)app->cfg.lock_after * 1000 || locked_until > now)
        return SV_OK;
    qs = risk_store_counter_locks(c, g->name_key, &locks);
    if (qs < 0)
        return sv_qs_err(qs);
    for (int64_t i = 0; i < locks && span < app->cfg.lock_max_ms; i++)
        span *= 2;
    if (span > app->cfg.lock_max_ms)
        span = app->cfg.lock_max_ms;
    /* Of two failures racing here, one locks. */
    qs = risk_store_counter_lock(c, g->name_key, now + span, now);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs != SV_QS_ONE)
        return SV_OK;
    char details[96];
    g->locked_until = now + span;
    snprintf(details, sizeof details, "{\"locked_for_s\":%lld,\"lock\":%lld}",
             (long long)(span / 1000), (long long)locks + 1);
    return audit_security(c, tenant_id, actor, SV_AUDIT_SECURITY_LOCK,
                          "too_many_failures", details);
}

enum sv_err
sv_guard_fail_tx(struct sv_dbc *c, const struct sv_app *app, struct sv_guard *g,
                 enum sv_fail_kind kind, const char *tenant_id,
                 const struct sv_actor *actor, int64_t now)
{
    int64_t hard = 0, locked_until = 0, ignored_hard, ignored_until;
    enum sv_qs qs;
    enum sv_err rc;

    if (kind != SV_FAIL_SOURCE) {
        qs = count_fail(c, app, g->name_key, kind == SV_FAIL_CHECK, now, &hard,
                        &locked_until);
        if (qs < 0)
            return sv_qs_err(qs);
    }
    if (g->ip[0] != '\0') {
        qs = count_fail(c, app, g->ip_key, false, now, &ignored_hard,
                        &ignored_until);
        if (qs < 0)
            return sv_qs_err(qs);
    }
    if (g->device[0] != '\0') {
        qs = count_fail(c, app, g->device_key, false, now, &ignored_hard,
                        &ignored_until);
        if (qs < 0)
            return sv_qs_err(qs);
    }
    if (kind == SV_FAIL_CHECK) {
        rc = lock_check(c, app, g, hard, locked_until, tenant_id, actor, now);
        if (rc != SV_OK)
            return rc;
    }
    rc = stuffing_check(c, app, g, "ip", g->ip, tenant_id, actor, now);
    if (rc == SV_OK)
        rc = stuffing_check(c, app, g, "device", g->device, tenant_id, actor,
                            now);
    return rc;
}

static enum sv_err
clear(struct sv_dbc *c, const uint8_t key[32])
{
    enum sv_qs qs = risk_store_counter_clear(c, key);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

enum sv_err
sv_guard_session_tx(struct sv_dbc *c, const struct sv_app *app,
                    const char *tenant_slug, const char *username)
{
    struct sv_guard g;
    sv_guard_init(app, &g, tenant_slug, username, "", "");
    return clear(c, g.name_key);
}

static enum sv_err
hit(struct sv_dbc *c, const char *tenant_id, const char *kind,
    const char *value, int64_t now, bool *out)
{
    enum sv_qs qs;

    if (value == NULL || value[0] == '\0')
        return SV_OK;
    qs = risk_store_blacklist_hit(c, tenant_id, kind, value, now);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE)
        *out = true;
    return SV_OK;
}

enum sv_err
sv_guard_blacklisted(struct sv_dbc *c, const char *tenant_id, const char *ip,
                     const char *device, int64_t now, bool *out)
{
    enum sv_err rc;

    char source[64];

    *out = false;
    rc = hit(c, tenant_id, "ip", ip, now, out);
    sv_guard_source(ip, source);
    if (rc == SV_OK && !*out && ip != NULL && strcmp(source, ip) != 0)
        rc = hit(c, tenant_id, "ip", source, now, out);
    if (rc == SV_OK && !*out)
        rc = hit(c, tenant_id, "device", device, now, out);
    return rc;
}

enum sv_err
sv_guard_key_over(struct sv_dbc *c, const struct sv_app *app,
                  const char *purpose, const char *id, unsigned max,
                  int64_t now, bool *over)
{
    struct sv_guard g;
    enum sv_err rc;

    memset(&g, 0, sizeof g);
    keyed(app, purpose, id, NULL, g.name_key);
    memcpy(g.ip_key, g.name_key, 32);
    memcpy(g.device_key, g.name_key, 32);
    g.device = "";
    rc = sv_guard_read(c, app, &g, now);
    *over = rc == SV_OK && g.name_score >= (int64_t)max * 1000;
    return rc;
}

enum sv_err
sv_guard_key_fail_tx(struct sv_dbc *c, const struct sv_app *app,
                     const char *purpose, const char *id, int64_t now)
{
    uint8_t key[32];
    int64_t hard, locked_until;
    enum sv_qs qs;

    keyed(app, purpose, id, NULL, key);
    qs = count_fail(c, app, key, false, now, &hard, &locked_until);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

enum sv_err
sv_guard_unlock_tx(struct sv_dbc *c, const struct sv_app *app,
                   const char *tenant_slug, const char *username)
{
    /* The same as a session: failures and lock forgotten. */
    return sv_guard_session_tx(c, app, tenant_slug, username);
}

enum sv_err
sv_guard_prune_tx(struct sv_dbc *c, const struct sv_app *app, int64_t now)
{
    enum sv_qs qs = risk_store_counter_prune(c, now, app->cfg.failure_decay_ms);
    if (qs >= 0)
        qs = risk_store_failure_prune(c, now - app->cfg.stuffing_window_ms);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

/* ---- password checks in flight per source, this node ---- */

struct inflight {
    struct inflight *next;
    unsigned n;
    char source[64];
};

enum { INFLIGHT_BUCKETS = 256 };
static struct inflight *inflight_table[INFLIGHT_BUCKETS];
static pthread_mutex_t inflight_lock = PTHREAD_MUTEX_INITIALIZER;

static struct inflight **
inflight_slot(const char *source)
{
    uint32_t h = 2166136261u; /* FNV-1a: the sources are few per node */
    for (const char *p = source; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    struct inflight **e = &inflight_table[h % INFLIGHT_BUCKETS];
    while (*e != NULL && strcmp((*e)->source, source) != 0)
        e = &(*e)->next;
    return e;
}

bool
sv_guard_source_enter(const char *source, unsigned max)
{
    bool ok = true;

    pthread_mutex_lock(&inflight_lock);
    struct inflight **e = inflight_slot(source);
    if (*e == NULL) {
        *e = calloc(1, sizeof **e);
        if (*e != NULL)
            snprintf((*e)->source, sizeof(*e)->source, "%s", source);
    }
    if (*e == NULL || (*e)->n >= max)
        ok = false;
    else
        (*e)->n++;
    pthread_mutex_unlock(&inflight_lock);
    return ok;
}

void
sv_guard_source_leave(const char *source)
{
    pthread_mutex_lock(&inflight_lock);
    struct inflight **e = inflight_slot(source);
    if (*e != NULL && (*e)->n > 0 && --(*e)->n == 0) {
        struct inflight *gone = *e;
        *e = gone->next;
        free(gone);
    }
    pthread_mutex_unlock(&inflight_lock);
}

/* ---- administration ---- */

struct list_ctx {
    const char *tenant_id;
    void (*start)(void *);
    sv_blacklist_row_fn row;
    void *cls;
};

static enum sv_err
list_tx(struct sv_dbc *c, void *cls)
{
    struct list_ctx *l = cls;
    enum sv_qs qs;
    enum sv_err rc;

    /* A tenant sees its own entries and the platform's that apply to it. */
    rc = l->tenant_id != NULL ? sv_db_scope_tenant(c, l->tenant_id) : SV_OK;
    if (rc == SV_OK)
        rc = sv_db_scope_platform(c);
    if (rc != SV_OK)
        return rc;
    if (l->start)
        l->start(l->cls);
    qs =
        risk_store_blacklist_list(c, l->tenant_id, sv_now_ms(), l->row, l->cls);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

enum sv_err
sv_blacklist_list(struct sv_app *app, const char *tenant_id,
                  void (*start)(void *cls), sv_blacklist_row_fn row, void *cls)
{
    struct list_ctx l = {tenant_id, start, row, cls};
    return sv_db_run_ro(app->db, list_tx, &l);
}

struct lift_ctx {
    const char *tenant_id, *id;
    const struct sv_actor *actor;
};

static enum sv_err
lift_tx(struct sv_dbc *c, void *cls)
{
    struct lift_ctx *l = cls;
    enum sv_qs qs;
    char source[128], entry_tenant[40];
    enum sv_err rc = l->tenant_id != NULL ? sv_db_scope_tenant(c, l->tenant_id)
                                          : sv_db_scope_platform(c);
    if (rc != SV_OK)
        return rc;
    qs = risk_store_blacklist_lift(c, l->tenant_id, l->id, sv_now_ms(), source,
                                   entry_tenant);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_NOT_FOUND;
    const char *scope = l->tenant_id != NULL      ? l->tenant_id
                        : entry_tenant[0] == '\0' ? SV_AUDIT_PLATFORM
                                                  : entry_tenant;
    if ((qs = risk_store_failure_forget(c, source, scope)) < 0)
        return sv_qs_err(qs);
    return sv_audit_by(c, l->tenant_id, l->actor,
                       SV_AUDIT_SECURITY_BLACKLIST_LIFT, "blacklist", l->id,
                       "success", NULL, NULL);
}

enum sv_err
sv_blacklist_lift(struct sv_app *app, const char *tenant_id, const char *id,
                  const struct sv_actor *actor)
{
    struct lift_ctx l = {tenant_id, id, actor};
    return sv_db_run_tx(app->db, "blacklist_lift", lift_tx, &l);
}

struct add_ctx {
    const char *kind, *value, *reason, *actor;
    int64_t ttl_ms;
    char *id;
};

static enum sv_err
add_tx(struct sv_dbc *c, void *cls)
{
    struct add_ctx *a = cls;
    int64_t now = sv_now_ms();
    enum sv_err rc = sv_db_scope_platform(c);
    enum sv_qs qs;

    if (rc != SV_OK)
        return rc;
    sv_uuid7(a->id);
    qs = risk_store_blacklist_platform_add(c, a->id, a->kind, a->value,
                                           a->reason, now,
                                           a->ttl_ms > 0 ? now + a->ttl_ms : 0);
    if (qs < 0)
        return sv_qs_err(qs);
    struct sv_audit_event ev = {
        .actor = a->actor,
        .action = sv_audit_action_name(SV_AUDIT_SECURITY_BLACKLIST_ADD),
        .target_type = "blacklist",
        .target_id = a->id,
        .result = "success",
        .reason = a->reason,
    };
    return sv_audit_append(c, &ev);
}

enum sv_err
sv_blacklist_add_platform(struct sv_app *app, const char *kind,
                          const char *value, const char *reason, int64_t ttl_ms,
                          const char *actor, char id_out[37])
{
    struct add_ctx a = {kind, value, reason, actor, ttl_ms, id_out};
    return sv_db_run_tx(app->db, "blacklist_add", add_tx, &a);
}
