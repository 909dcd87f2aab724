/*
 * The in-app inbox (AUTH-7): login and risk notices an account reads in the
 * console, newest first. Capabilities post in their own transactions
 * (sv_inbox_post_tx); GET /me/inbox pages through them (inbox_http.c).
 */
#ifndef SV_NOTIFY_INBOX_H
#define SV_NOTIFY_INBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"

struct sv_app;
struct sv_dbc;

#define SV_INBOX_TITLE_MAX 200 /* bytes */
#define SV_INBOX_BODY_MAX 2000 /* bytes */

/** Post a message to the account's in-app inbox (UUIDv7 id). @p title
 *  1..SV_INBOX_TITLE_MAX bytes, @p body 0..SV_INBOX_BODY_MAX bytes, both
 *  valid UTF-8 (else SV_E_FIELD_INVALID). */
SV_MUST_CHECK enum sv_err sv_inbox_post_tx(struct sv_dbc *c,
                                           const char *tenant_id,
                                           const char *account_id,
                                           const char *kind, const char *title,
                                           const char *body);

/** One inbox message; strings borrowed for the row callback. */
struct sv_inbox_item {
    const char *id;
    const char *kind;
    const char *title;
    const char *body;
    int64_t created_at;
};

typedef void (*sv_inbox_row_fn)(void *cls, const struct sv_inbox_item *m);

/**
 * One page of the account's inbox, newest first, after @p before_id (the
 * last id of the previous page; NULL: from the newest). @p start(cls) runs
 * before the rows of each attempt, then @p row for each message; *more
 * tells whether another page follows.
 */
SV_MUST_CHECK enum sv_err
sv_inbox_page(struct sv_app *app, const char *tenant_id, const char *account_id,
              const char *before_id, int limit, void (*start)(void *cls),
              sv_inbox_row_fn row, void *cls, bool *more);

#endif
