/* GET /me/inbox: see inbox.h. */
#include "notify/inbox_http.h"

#include <jansson.h>

#include "app.h"
#include "core/json.h"
#include "core/util.h"
#include "identity/identity.h"
#include "notify/inbox.h"

struct inbox_ctx {
    struct sv_arena *arena;
    json_t *items;
    const char *last_id;
    bool more;
};

static void
inbox_start(void *cls)
{
    struct inbox_ctx *ic = cls;
    json_array_clear(ic->items); /* a retried transaction starts over */
    ic->last_id = NULL;
}

static void
inbox_row(void *cls, const struct sv_inbox_item *m)
{
    struct inbox_ctx *ic = cls;
    char created[SV_RFC3339_LEN + 1];

    sv_rfc3339(m->created_at, created);
    json_array_append_new(ic->items,
                          json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", m->id,
                                    "kind", m->kind, "title", m->title, "body",
                                    m->body, "created_at", created));
    ic->last_id = sv_arena_strdup(ic->arena, m->id);
}

void
inbox_http_list(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    const char *cursor = sv_rq_query(rq, "cursor");
    const char *limit_s = sv_rq_query(rq, "limit");
    const char *before = NULL;
    struct inbox_ctx *ic;
    int64_t limit = 50;
    json_t *next;
    enum sv_err rc;

    if (limit_s != NULL && !sv_parse_i64(limit_s, 1, 200, &limit)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "limit");
        return;
    }
    if (cursor != NULL) {
        before = sv_cursor_decode(sv_rq_arena(rq), "i", cursor);
        if (before == NULL || !sv_check_uuid(before)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "cursor");
            return;
        }
    }
    ic = sv_arena_zalloc(sv_rq_arena(rq), sizeof *ic);
    ic->arena = sv_rq_arena(rq);
    ic->items = json_array();
    rc = sv_inbox_page(sv_rq_app(rq), s->tenant_id, s->account_id, before,
                       (int)limit, inbox_start, inbox_row, ic, &ic->more);
    if (rc != SV_OK) {
        json_decref(ic->items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    next = ic->more && ic->last_id != NULL
               ? json_string(sv_cursor_encode(ic->arena, "i", ic->last_id))
               : json_null();
    sv_reply_json(
        rq, 200,
        json_pack("{s:o, s:o}", "items", ic->items, "next_cursor", next));
}
