/* GET /me/inbox, GET /me/inbox/unread, POST /me/inbox/read: see inbox.h. */
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
    int64_t unread;
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
    json_array_append_new(
        ic->items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", m->id,
                             "kind", m->kind, "title", m->title, "body",
                             m->body, "created_at", created, "read", m->read));
    ic->last_id = sv_arena_strdup(ic->arena, m->id);
}

void
inbox_http_list(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    const char *cursor = sv_rq_query(rq, "cursor");
    const char *before = NULL;
    struct inbox_ctx *ic;
    int limit;
    json_t *next;
    enum sv_err rc;

    if (!sv_rq_limit_or_reply(rq, &limit))
        return;
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
    rc =
        sv_inbox_page(sv_rq_app(rq), s->tenant_id, s->account_id, before, limit,
                      inbox_start, inbox_row, ic, &ic->more, &ic->unread);
    if (rc != SV_OK) {
        json_decref(ic->items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    next = ic->more && ic->last_id != NULL
               ? json_string(sv_cursor_encode(ic->arena, "i", ic->last_id))
               : json_null();
    sv_reply_json(rq, 200,
                  json_pack("{s:o, s:o, s:I}", "items", ic->items,
                            "next_cursor", next, "unread",
                            (json_int_t)ic->unread));
}

static void
reply_unread(struct sv_request *rq, enum sv_err rc, int64_t unread)
{
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_json(rq, 200,
                      json_pack("{s:I}", "unread", (json_int_t)unread));
}

void
inbox_http_unread(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    int64_t unread = 0;
    enum sv_err rc =
        sv_inbox_unread(sv_rq_app(rq), s->tenant_id, s->account_id, &unread);
    reply_unread(rq, rc, unread);
}

void
inbox_http_read(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    const char *up_to = NULL, *bad;
    bool all = false, has_all = false;
    const struct sv_field spec[] = {
        SV_F_STR_OPT("up_to", &up_to, 36, 36, sv_check_uuid_field),
        {.name = "all", .type = SV_FT_BOOL, .out = &all, .present = &has_all},
        SV_F_END,
    };
    int64_t unread = 0;
    enum sv_err rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);

    /* Exactly one of the two: {"up_to": id} or {"all": true}. */
    if (rc == SV_OK && up_to == NULL && !has_all) {
        rc = SV_E_FIELD_MISSING;
        bad = "up_to";
    } else if (rc == SV_OK && has_all && (up_to != NULL || !all)) {
        rc = SV_E_FIELD_INVALID;
        bad = "all";
    }
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    rc = sv_inbox_mark_read(sv_rq_app(rq), s->tenant_id, s->account_id, up_to,
                            &unread);
    reply_unread(rq, rc, unread);
}
