/* The inbox: see inbox.h. */
#include "notify/inbox.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "core/util.h"
#include "db/db.h"
#include "notify/inbox_store.h"

/*
 * Inbox ids are UUIDv7 and the inbox is read in id order, so ids made in
 * the same millisecond (two notices of one transaction) must still rise:
 * an id not above the last one is the last one plus one in its random
 * tail (RFC 9562 6.2, method 2), within this process.
 */
static void
inbox_id(char out[SV_UUID_LEN + 1])
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static char last[SV_UUID_LEN + 1];

    sv_uuid7(out);
    pthread_mutex_lock(&mu);
    if (strcmp(out, last) <= 0) {
        memcpy(out, last, sizeof last);
        /* The last 12 hex digits: random bits only, no version/variant. */
        for (int i = SV_UUID_LEN - 1; i >= SV_UUID_LEN - 12; i--) {
            if (out[i] == 'f') {
                out[i] = '0';
                continue;
            }
            out[i] = out[i] == '9' ? 'a' : (char)(out[i] + 1);
            break;
        }
    }
    memcpy(last, out, sizeof last);
    pthread_mutex_unlock(&mu);
}

enum sv_err
sv_inbox_post_tx(struct sv_dbc *c, const char *tenant_id,
                 const char *account_id, const char *kind, const char *title,
                 const char *body)
{
    size_t tlen = strlen(title), blen = strlen(body), klen = strlen(kind);
    char id[SV_UUID_LEN + 1];
    enum sv_qs qs;

    if (klen == 0 || klen > 32 || tlen == 0 || tlen > SV_INBOX_TITLE_MAX ||
        blen > SV_INBOX_BODY_MAX || !sv_utf8_valid(title, tlen) ||
        !sv_utf8_valid(body, blen) || !sv_utf8_valid(kind, klen))
        return SV_E_FIELD_INVALID;
    inbox_id(id);
    qs = inbox_store_insert(c, tenant_id, id, account_id, kind, title, body,
                            sv_now_ms());
    return qs == SV_QS_ONE ? SV_OK : sv_qs_err(qs);
}

struct inbox_ctx {
    const char *tenant_id, *account_id, *before_id;
    int limit, n;
    void (*start)(void *cls);
    sv_inbox_row_fn row;
    void *cls;
    bool *more;
    int64_t *unread;
};

static void
inbox_row(void *cls, const struct sv_inbox_item *m)
{
    struct inbox_ctx *ic = cls;
    if (++ic->n <= ic->limit) /* the look-ahead row only says "more" */
        ic->row(ic->cls, m);
}

static enum sv_err
inbox_tx(struct sv_dbc *c, void *cls)
{
    struct inbox_ctx *ic = cls;
    enum sv_qs qs;

    ic->n = 0;
    ic->start(ic->cls);
    qs = inbox_store_list(c, ic->tenant_id, ic->account_id, ic->before_id,
                          ic->limit + 1, inbox_row, ic);
    if (qs < 0)
        return sv_qs_err(qs);
    *ic->more = ic->n > ic->limit;
    return sv_qs_ok(
        inbox_store_unread(c, ic->tenant_id, ic->account_id, ic->unread));
}

enum sv_err
sv_inbox_page(struct sv_app *app, const char *tenant_id, const char *account_id,
              const char *before_id, int limit, void (*start)(void *cls),
              sv_inbox_row_fn row, void *cls, bool *more, int64_t *unread)
{
    struct inbox_ctx ic = {tenant_id, account_id, before_id, limit, 0,
                           start,     row,        cls,       more,  unread};
    return sv_db_run_tenant_ro(app->db, tenant_id, inbox_tx, &ic);
}

struct read_ctx {
    const char *tenant_id, *account_id, *up_to;
    int64_t *unread;
};

static enum sv_err
unread_tx(struct sv_dbc *c, void *cls)
{
    struct read_ctx *r = cls;
    return sv_qs_ok(
        inbox_store_unread(c, r->tenant_id, r->account_id, r->unread));
}

enum sv_err
sv_inbox_unread(struct sv_app *app, const char *tenant_id,
                const char *account_id, int64_t *unread)
{
    struct read_ctx r = {tenant_id, account_id, NULL, unread};
    return sv_db_run_tenant_ro(app->db, tenant_id, unread_tx, &r);
}

static enum sv_err
mark_read_tx(struct sv_dbc *c, void *cls)
{
    struct read_ctx *r = cls;
    enum sv_qs qs;

    if (r->up_to != NULL) {
        qs = inbox_store_find(c, r->tenant_id, r->account_id, r->up_to);
        if (qs != SV_QS_ONE)
            return sv_qs_found(qs);
    }
    qs = inbox_store_mark_read(c, r->tenant_id, r->account_id, r->up_to,
                               sv_now_ms());
    if (qs < 0)
        return sv_qs_err(qs);
    return unread_tx(c, r);
}

enum sv_err
sv_inbox_mark_read(struct sv_app *app, const char *tenant_id,
                   const char *account_id, const char *up_to, int64_t *unread)
{
    struct read_ctx r = {tenant_id, account_id, up_to, unread};
    return sv_db_run_tenant_tx(app->db, "inbox_mark_read", tenant_id,
                               mark_read_tx, &r);
}
