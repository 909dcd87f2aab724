/* GET /audit/events: this tenant's stream, newest first (AUD-1, AUD-3). */
#include <string.h>

#include "app.h"
#include "audit/audit.h"
#include "audit/audit_http.h"
#include "core/util.h"
#include "identity/identity.h"

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

void
audit_http_list(struct sv_request *rq)
{
    struct list_ctx *l = sv_arena_zalloc(sv_rq_arena(rq), sizeof *l);
    const char *v;
    int64_t n = 50;
    enum sv_err rc;
    char cur[24];

    l->q.tenant_id = sv_rq_session(rq)->tenant_id; /* DIR-1 */
    if ((v = sv_rq_query(rq, "limit")) != NULL &&
        !sv_parse_i64(v, 1, 200, &n)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "limit");
        return;
    }
    l->q.limit = (int)n;
    if ((v = sv_rq_query(rq, "action")) != NULL) {
        if (strlen(v) < 1 || strlen(v) > 64) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "action");
            return;
        }
        l->q.action = v;
    }
    if ((v = sv_rq_query(rq, "actor")) != NULL) {
        if (!sv_check_uuid(v)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "actor");
            return;
        }
        l->q.actor_id = v;
    }
    if (!time_param(rq, "since", &l->q.since_ms)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "since");
        return;
    }
    if (!time_param(rq, "until", &l->q.until_ms)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "until");
        return;
    }
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
