/*
 * GET /audit/events: this tenant's stream, newest first (AUD-1, AUD-3);
 * GET /audit/export: the same events as CSV, streamed, audited (AUD-3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit/audit.h"
#include "audit/audit_http.h"
#include "core/csv.h"
#include "core/util.h"
#include "identity/identity.h"
#include "identity/identity_http.h"

struct list_ctx {
    struct sv_audit_query q;
    json_t *items;
    int64_t next_seq;
};

static json_t *
opt(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static void
row(void *cls, const struct sv_audit_record *r)
{
    struct list_ctx *l = cls;
    char time[SV_RFC3339_LEN + 1];
    json_t *details = NULL;
    const struct sv_audit_event *e = &r->ev;
    enum sv_audit_action a;
    const char *sev;

    sv_rfc3339(r->time_ms, time);
    if (e->details != NULL)
        details = json_loads(e->details, 0, NULL);
    json_t *o =
        json_pack("{s:s, s:I, s:s, s:s}", "id", r->id, "seq",
                  (json_int_t)r->seq, "time", time, "action", e->action);
    json_object_set_new(o, "actor_id", opt(e->actor_id));
    json_object_set_new(o, "actor", opt(e->actor));
    json_object_set_new(o, "target_type", opt(e->target_type));
    json_object_set_new(o, "target_id", opt(e->target_id));
    json_object_set_new(o, "ip", opt(e->ip));
    json_object_set_new(o, "user_agent", opt(e->user_agent));
    json_object_set_new(o, "result", json_string(e->result));
    json_object_set_new(o, "reason", opt(e->reason));
    json_object_set_new(o, "details", details ? details : json_null());
    if (sv_audit_action_parse(e->action, &a) &&
        (sev = sv_audit_severity_name(sv_audit_action_severity(a))) != NULL)
        json_object_set_new(o, "severity", json_string(sev));
    json_array_append_new(l->items, o);
}

static void
list_start(void *cls)
{
    struct list_ctx *l = cls;
    json_array_clear(l->items); /* a retried transaction starts over */
}

static bool
time_param(struct sv_request *rq, const char *name, int64_t *out)
{
    const char *v = sv_rq_query(rq, name);
    *out = 0;
    return v == NULL || (sv_rfc3339_parse(v, out) && *out > 0);
}

/* The filters both the list and the export take; replies on a bad one. */
static bool
query_or_reply(struct sv_request *rq, struct sv_audit_query *q)
{
    const char *v;

    q->tenant_id = sv_rq_session(rq)->tenant_id; /* DIR-1 */
    if ((v = sv_rq_query(rq, "action")) != NULL) {
        if (strlen(v) < 1 || strlen(v) > 64) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "action");
            return false;
        }
        q->action = v;
    }
    if ((v = sv_rq_query(rq, "actor")) != NULL) {
        if (!sv_check_uuid(v)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "actor");
            return false;
        }
        q->actor_id = v;
    }
    if ((v = sv_rq_query(rq, "result")) != NULL) {
        if (strcmp(v, "success") != 0 && strcmp(v, "failure") != 0 &&
            strcmp(v, "denied") != 0) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "result");
            return false;
        }
        q->result = v;
    }
    if ((v = sv_rq_query(rq, "report")) != NULL) {
        if (!sv_audit_report_parse(v, &q->report)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "report");
            return false;
        }
        q->has_report = true;
    }
    if (!time_param(rq, "since", &q->since_ms)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "since");
        return false;
    }
    if (!time_param(rq, "until", &q->until_ms)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "until");
        return false;
    }
    return true;
}

void
audit_http_list(struct sv_request *rq)
{
    struct list_ctx *l = sv_arena_zalloc(sv_rq_arena(rq), sizeof *l);
    const char *v;
    enum sv_err rc;
    char cur[24];

    if (!query_or_reply(rq, &l->q))
        return;
    if (!sv_rq_limit_or_reply(rq, &l->q.limit))
        return;
    if ((v = sv_rq_query(rq, "cursor")) != NULL) {
        const char *seq = sv_cursor_decode(sv_rq_arena(rq), "a", v);
        if (seq == NULL || !sv_parse_i64(seq, 2, INT64_MAX, &l->q.before_seq)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "cursor");
            return;
        }
    }
    l->items = json_array();
    rc = sv_audit_page(sv_rq_app(rq)->db, &l->q, list_start, row, l,
                       &l->next_seq);
    if (rc != SV_OK) {
        json_decref(l->items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    snprintf(cur, sizeof cur, "%lld", (long long)l->next_seq);
    sv_reply_json(rq, 200,
                  json_pack("{s:o, s:o}", "items", l->items, "next_cursor",
                            l->next_seq ? json_string(sv_cursor_encode(
                                              sv_rq_arena(rq), "a", cur))
                                        : json_null()));
}

/* ---- GET /audit/export ---- */

/* Events read per transaction while the export streams. */
enum { EXPORT_PAGE = 100 };

struct export
{
    struct sv_db *db;
    struct sv_audit_query q;
    char *tenant, *action, *actor, *result; /* the filters, owned */
    struct sv_csv csv;                      /* not yet sent */
    size_t page_base;
    bool last_page, failed;
};

static void
field(struct export *x, const char *v, bool last)
{
    sv_csv_field(&x->csv, v, last);
}

static const char *const EXPORT_COLUMNS[] = {
    "id",     "seq",        "time",    "action",      "result",
    "reason", "actor_id",   "actor",   "target_type", "target_id",
    "ip",     "user_agent", "details",
};

static void
export_row(void *cls, const struct sv_audit_record *r)
{
    struct export *x = cls;
    const struct sv_audit_event *e = &r->ev;
    char seq[24], time[SV_RFC3339_LEN + 1];

    snprintf(seq, sizeof seq, "%lld", (long long)r->seq);
    sv_rfc3339(r->time_ms, time);
    field(x, r->id, false);
    field(x, seq, false);
    field(x, time, false);
    field(x, e->action, false);
    field(x, e->result, false);
    field(x, e->reason, false);
    field(x, e->actor_id, false);
    field(x, e->actor, false);
    field(x, e->target_type, false);
    field(x, e->target_id, false);
    field(x, e->ip, false);
    field(x, e->user_agent, false);
    field(x, e->details, true);
}

static void
export_page_start(void *cls)
{
    struct export *x = cls;
    x->csv.len = x->page_base; /* a retried transaction starts over */
}

static long
export_next(void *cls, char *buf, size_t max)
{
    struct export *x = cls;
    int64_t next_seq = 0;
    size_t n;

    if (x->csv.pos == x->csv.len && !x->last_page) {
        x->page_base = x->csv.len; /* 0: sv_csv_take starts over */
        if (sv_audit_page(x->db, &x->q, export_page_start, export_row, x,
                          &next_seq) != SV_OK)
            x->failed = true;
        x->q.before_seq = next_seq;
        x->last_page = next_seq == 0;
    }
    if (x->failed || x->csv.failed)
        return -1;
    n = sv_csv_take(&x->csv, buf, max);
    return (long)n;
}

static void
export_free(void *cls)
{
    struct export *x = cls;
    free(x->tenant);
    free(x->action);
    free(x->actor);
    free(x->result);
    sv_csv_free(&x->csv);
    free(x);
}

static char *
dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

void
audit_http_export(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_audit_query q = {0};
    struct export *x;
    char disp[96], day[SV_RFC3339_LEN + 1];
    enum sv_err rc;

    if (!query_or_reply(rq, &q))
        return;
    rc = sv_audit_export_begin(sv_rq_app(rq)->db, &q, &actor);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    x = calloc(1, sizeof *x);
    if (x == NULL) {
        sv_reply_error(rq, SV_E_OVERLOADED, NULL);
        return;
    }
    x->db = sv_rq_app(rq)->db;
    x->q = q;
    x->q.limit = EXPORT_PAGE;
    x->q.tenant_id = x->tenant = strdup(q.tenant_id);
    x->q.action = x->action = dup_or_null(q.action);
    x->q.actor_id = x->actor = dup_or_null(q.actor_id);
    x->q.result = x->result = dup_or_null(q.result);
    for (size_t i = 0; i < sizeof EXPORT_COLUMNS / sizeof EXPORT_COLUMNS[0];
         i++)
        field(x, EXPORT_COLUMNS[i],
              i + 1 == sizeof EXPORT_COLUMNS / sizeof EXPORT_COLUMNS[0]);
    x->page_base = x->csv.len;
    if (x->tenant == NULL || x->csv.failed || (q.action && !x->action) ||
        (q.actor_id && !x->actor) || (q.result && !x->result)) {
        export_free(x);
        sv_reply_error(rq, SV_E_OVERLOADED, NULL);
        return;
    }
    sv_rfc3339(sv_now_ms(), day);
    day[10] = '\0';
    snprintf(disp, sizeof disp, "attachment; filename=\"audit-%s.csv\"", day);
    sv_reply_stream(rq, 200, "text/csv; charset=utf-8", disp, export_next,
                    export_free, x);
}

/* ---- GET /admin/security/summary ---- */

static json_t *
counts_json(const struct sv_security_counts *k)
{
    return json_pack("{s:I, s:I, s:I}", "failed_logins",
                     (json_int_t)k->failed_logins, "locks",
                     (json_int_t)k->locks, "blacklisted",
                     (json_int_t)k->blacklisted);
}

void
audit_http_security_summary(struct sv_request *rq)
{
    struct sv_security_summary *sum =
        sv_arena_zalloc(sv_rq_arena(rq), sizeof *sum);
    json_t *days;
    enum sv_err rc;

    rc = sv_audit_security_summary(
        sv_rq_app(rq)->db, sv_rq_session(rq)->tenant_id, sv_now_ms(), sum);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    days = json_array();
    for (int i = 0; i < SV_AUDIT_SUMMARY_DAYS; i++) {
        char stamp[SV_RFC3339_LEN + 1];
        json_t *d = counts_json(&sum->days[i]);

        sv_rfc3339((sum->first_day + i) * SV_AUDIT_DAY_MS, stamp);
        stamp[10] = '\0'; /* YYYY-MM-DD, UTC */
        json_object_set_new(d, "day", json_string(stamp));
        json_array_append_new(days, d);
    }
    sv_reply_json(rq, 200,
                  json_pack("{s:o, s:o, s:o}", "last_24h",
                            counts_json(&sum->last_24h), "last_30d",
                            counts_json(&sum->last_30d), "days", days));
}
