/* The records capability's quotas at work: see records_quota.h. */
#include "records/records_quota.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "access/access.h"
#include "app.h"
#include "audit/audit.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/tenant.h"
#include "notify/inbox.h"
#include "records/records.h"
#include "records/records_store.h"

/* The column of record_usage a day quota is kept in (reads, unmasks,
 * export rows), and the bit that says it was reported. */
static int
column_of(enum sv_quota_kind k)
{
    return k == SV_QUOTA_UNMASKS_DAY       ? 1
           : k == SV_QUOTA_EXPORT_ROWS_DAY ? 2
                                           : 0;
}

enum sv_err
rquota_limits_tx(struct sv_dbc *c, const char *tenant_id,
                 struct sv_quota_limits *out)
{
    enum sv_qs qs;

    *out = sv_quota_defaults;
    qs = records_store_quotas(c, tenant_id, out->v);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

static enum sv_err
refuse(struct sv_record_outcome *o, enum sv_quota_kind k, int64_t now)
{
    o->field = sv_quota_name(k);
    o->quota = k;
    o->retry_after = sv_quota_retry_after(k, now);
    return SV_E_RECORDS_QUOTA_EXCEEDED;
}

enum sv_err
rquota_reads_early(const char *tenant_id, const char *account_id,
                   struct sv_record_outcome *o)
{
    int64_t now = sv_now_ms();
    bool stale;
    enum sv_quota_kind k;

    if (account_id == NULL)
        return SV_OK;
    k = sv_meter_check(tenant_id, account_id, now, &stale);
    return k == SV_QUOTA__COUNT ? SV_OK : refuse(o, k, now);
}

enum sv_err
rquota_reads_tx(struct sv_dbc *c, const char *tenant_id, const char *account_id,
                struct sv_record_outcome *o)
{
    int64_t now = sv_now_ms(), used[4];
    struct sv_quota_limits lim;
    bool stale;
    enum sv_quota_kind k = sv_meter_check(tenant_id, account_id, now, &stale);
    enum sv_err rc = SV_OK;
    enum sv_qs qs;

    if (stale) {
        rc = rquota_limits_tx(c, tenant_id, &lim);
        if (rc == SV_OK &&
            (qs = records_store_usage(c, tenant_id, account_id,
                                      sv_quota_day(now), used)) < 0)
            rc = sv_qs_err(qs);
        if (rc != SV_OK)
            return rc;
        /* Out of memory: this read goes uncounted on this node (the
         * others and the stored total still count). */
        (void)sv_meter_load(tenant_id, account_id, now, &lim, used[0]);
        k = sv_meter_check(tenant_id, account_id, now, &stale);
    }
    return k == SV_QUOTA__COUNT ? SV_OK : refuse(o, k, now);
}

void
rquota_reads_count(const char *tenant_id, const char *account_id, int64_t n)
{
    if (account_id != NULL)
        sv_meter_add(tenant_id, account_id, sv_now_ms(), n);
}

enum sv_err
rquota_take_tx(struct sv_dbc *c, const char *tenant_id, const char *account_id,
               enum sv_quota_kind k, int64_t n, struct sv_record_outcome *o)
{
    int64_t now = sv_now_ms(), add[3] = {0, 0, 0}, total[3];
    struct sv_quota_limits lim;
    int col = column_of(k);
    enum sv_err rc = rquota_limits_tx(c, tenant_id, &lim);
    enum sv_qs qs;

    if (rc != SV_OK || n <= 0)
        return rc;
    /* Added first, then checked: the upsert holds the row until commit,
     * so two takes at once cannot both fit on PostgreSQL; a take that
     * does not fit is refused and its transaction rolls the add back. */
    add[col] = n;
    qs = records_store_usage_add(c, tenant_id, account_id, sv_quota_day(now),
                                 add, total);
    if (qs < 0)
        return sv_qs_err(qs);
    return total[col] > lim.v[k] ? refuse(o, k, now) : SV_OK;
}

/* ---- a crossing: the security event and the admins' notices ---- */

struct alert_ctx {
    const char *tenant_id;
    const struct sv_actor *actor;
    enum sv_quota_kind k;
    int64_t now;
    struct sv_quota_limits lim;
    size_t n_admins;
    char (*admins)[37];
};

static void
admin_row(void *cls, const char *id)
{
    struct alert_ctx *a = cls;
    char(*p)[37] = realloc(a->admins, (a->n_admins + 1) * sizeof *p);

    if (p == NULL)
        return;
    a->admins = p;
    snprintf(a->admins[a->n_admins++], 37, "%s", id);
}

static enum sv_err
alert_tx(struct sv_dbc *c, void *cls)
{
    struct alert_ctx *a = cls;
    int64_t day = sv_quota_day(a->now), zero[3] = {0, 0, 0}, total[3];
    char *details, *body;
    const char *who =
        a->actor->username != NULL ? a->actor->username : a->actor->account_id;
    enum sv_err rc;
    enum sv_qs qs;
    json_t *d;

    a->n_admins = 0;
    rc = sv_qs_ok(records_store_usage_add(c, a->tenant_id, a->actor->account_id,
                                          day, zero, total));
    if (rc == SV_OK)
        rc = rquota_limits_tx(c, a->tenant_id, &a->lim);
    if (rc != SV_OK)
        return rc;
    qs = records_store_usage_alert(c, a->tenant_id, a->actor->account_id, day,
                                   (int64_t)1 << a->k);
    if (qs != SV_QS_ONE)
        return qs < 0 ? sv_qs_err(qs) : SV_OK; /* reported already */
    d = json_pack("{s:s, s:I, s:I}", "quota", sv_quota_name(a->k), "limit",
                  (json_int_t)a->lim.v[a->k], "retry_after",
                  (json_int_t)sv_quota_retry_after(a->k, a->now));
    details =
        d != NULL ? json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(d);
    if (details == NULL)
        return SV_E_INTERNAL;
    rc = sv_audit_by(c, a->tenant_id, a->actor, SV_AUDIT_SECURITY_SCRAPE_BLOCK,
                     "account", a->actor->account_id, "denied",
                     sv_quota_name(a->k), details);
    free(details);
    if (rc == SV_OK &&
        (qs = records_store_admins(c, a->tenant_id, admin_row, a)) < 0)
        rc = sv_qs_err(qs);
    if (rc != SV_OK)
        return rc;
    if (asprintf(&body,
                 "The account %s crossed the records quota %s (%lld) and is "
                 "refused until the window ends, in %lld seconds. If this "
                 "was not expected, the account may be scraping records: "
                 "see the audit log (security.scrape_block).",
                 who, sv_quota_name(a->k), (long long)a->lim.v[a->k],
                 (long long)sv_quota_retry_after(a->k, a->now)) < 0)
        return SV_E_INTERNAL;
    for (size_t i = 0; rc == SV_OK && i < a->n_admins; i++)
        rc = sv_inbox_post_tx(c, a->tenant_id, a->admins[i], "security",
                              "Records quota crossed", body);
    free(body);
    return rc;
}

enum sv_err
rquota_after(struct sv_db *db, const char *tenant_id,
             const struct sv_actor *actor, enum sv_err rc,
             const struct sv_record_outcome *o)
{
    struct alert_ctx a = {0};

    if (rc != SV_E_RECORDS_QUOTA_EXCEEDED || actor == NULL ||
        actor->account_id == NULL)
        return rc;
    a.tenant_id = tenant_id;
    a.actor = actor;
    a.k = o->quota;
    a.now = sv_now_ms();
    /* Reads are refused from memory, before any database work: only the
     * first refusal of the day on this node writes (the stored bit makes
     * it one across nodes). */
    if ((a.k == SV_QUOTA_READS_MINUTE || a.k == SV_QUOTA_READS_DAY) &&
        !sv_meter_first_refusal(tenant_id, actor->account_id, a.k, a.now))
        return rc;
    if (sv_db_run_tenant_tx(db, "record_quota_alert", tenant_id, alert_tx,
                            &a) != SV_OK)
        sv_log(SV_LOG_WARN, "records quota alert failed", "%s",
               sv_quota_name(a.k));
    free(a.admins);
    return rc;
}

/* ---- the ticker: this node's reads into the stored totals ---- */

struct flush_ctx {
    struct sv_db *db;
    const char *tenant_id, *account_id;
    int64_t day, n, total;
};

static enum sv_err
flush_tx(struct sv_dbc *c, void *cls)
{
    struct flush_ctx *f = cls;
    int64_t add[3] = {f->n, 0, 0}, total[3];
    enum sv_err rc = sv_qs_ok(records_store_usage_add(
        c, f->tenant_id, f->account_id, f->day, add, total));

    f->total = total[0];
    return rc;
}

static bool
flush_one(void *cls, const char *tenant_id, const char *account_id, int64_t day,
          int64_t n, int64_t *total)
{
    struct flush_ctx f = {cls, tenant_id, account_id, day, n, 0};

    if (sv_db_run_tenant_tx(f.db, "record_usage_flush", tenant_id, flush_tx,
                            &f) != SV_OK)
        return false;
    *total = f.total;
    return true;
}

void
sv_records_meter_flush(struct sv_app *app)
{
    (void)sv_meter_flush(sv_now_ms(), flush_one, app->db);
}

/* ---- the limits' API ---- */

struct quotas_ctx {
    const char *tenant_id;
    const struct sv_actor *actor;
    const struct sv_quota_change *chg;
    json_t *out;
};

static json_t *
quotas_json(const struct sv_quota_limits *lim, const int64_t used[4],
            int64_t now)
{
    json_t *limits = json_object(), *use = json_object();

    for (int k = 0; k < SV_QUOTA__COUNT; k++)
        json_object_set_new(limits, sv_quota_name(k), json_integer(lim->v[k]));
    /* The caller's own use today: reads as stored (a few seconds behind
     * this node's meter), unmasks and exports exactly. */
    json_object_set_new(use, "reads_today", json_integer(used[0]));
    json_object_set_new(use, "unmasks_today", json_integer(used[1]));
    json_object_set_new(use, "export_rows_today", json_integer(used[2]));
    return json_pack("{s:o, s:o, s:I}", "limits", limits, "used", use,
                     "day_ends_in",
                     (json_int_t)sv_quota_retry_after(SV_QUOTA_READS_DAY, now));
}

static enum sv_err
quotas_tx(struct sv_dbc *c, void *cls)
{
    struct quotas_ctx *q = cls;
    struct sv_quota_limits lim, was;
    int64_t now = sv_now_ms(), used[4];
    enum sv_err rc;
    enum sv_qs qs;

    json_decref(q->out); /* an attempt retried starts over */
    q->out = NULL;
    rc = rquota_limits_tx(c, q->tenant_id, &lim);
    was = lim;
    if (rc == SV_OK && q->chg != NULL) {
        json_t *now_j = json_object(), *was_j = json_object();
        for (int k = 0; k < SV_QUOTA__COUNT; k++) {
            if (!q->chg->set[k])
                continue;
            lim.v[k] = q->chg->v[k];
            json_object_set_new(now_j, sv_quota_name(k),
                                json_integer(lim.v[k]));
            json_object_set_new(was_j, sv_quota_name(k),
                                json_integer(was.v[k]));
        }
        rc = sv_qs_ok(records_store_quotas_set(c, q->tenant_id, lim.v, now));
        if (rc == SV_OK)
            rc = sv_audit_json(
                c, q->tenant_id, q->actor, SV_AUDIT_RECORD_QUOTA_UPDATE,
                "tenant", q->tenant_id, NULL,
                json_pack("{s:o, s:o}", "limits", now_j, "was", was_j));
        else {
            json_decref(now_j);
            json_decref(was_j);
        }
    }
    if (rc == SV_OK &&
        (qs = records_store_usage(c, q->tenant_id, q->actor->account_id,
                                  sv_quota_day(now), used)) < 0)
        rc = sv_qs_err(qs);
    if (rc == SV_OK && (q->out = quotas_json(&lim, used, now)) == NULL)
        rc = SV_E_INTERNAL;
    return rc;
}

enum sv_err
sv_records_quotas(struct sv_db *db, const char *tenant_id,
                  const struct sv_actor *actor, json_t **out)
{
    struct quotas_ctx q = {tenant_id, actor, NULL, NULL};
    enum sv_err rc = actor != NULL && actor->account_id != NULL
                         ? sv_db_run_tenant_ro(db, tenant_id, quotas_tx, &q)
                         : SV_E_FORBIDDEN;

    *out = rc == SV_OK ? q.out : NULL;
    if (rc != SV_OK)
        json_decref(q.out);
    return rc;
}

enum sv_err
sv_records_quotas_set(struct sv_db *db, const char *tenant_id,
                      const struct sv_quota_change *chg,
                      const struct sv_actor *actor, json_t **out)
{
    struct quotas_ctx q = {tenant_id, actor, chg, NULL};
    enum sv_err rc = actor != NULL && actor->account_id != NULL
                         ? sv_db_run_tenant_tx(db, "record_quotas_set",
                                               tenant_id, quotas_tx, &q)
                         : SV_E_FORBIDDEN;

    *out = rc == SV_OK ? q.out : NULL;
    if (rc != SV_OK)
        json_decref(q.out);
    return rc;
}
