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
    bool read; /* AUTH-7: its owner marked it seen */
};

typedef void (*sv_inbox_row_fn)(void *cls, const struct sv_inbox_item *m);

/**
 * One page of the account's inbox, newest first, after @p before_id (the
 * last id of the previous page; NULL: from the newest). @p start(cls) runs
 * before the rows of each attempt, then @p row for each message; *more
 * tells whether another page follows, *unread how many of all the
 * account's items are unread (read in the same transaction).
 */
SV_MUST_CHECK enum sv_err
sv_inbox_page(struct sv_app *app, const char *tenant_id, const char *account_id,
              const char *before_id, int limit, void (*start)(void *cls),
              sv_inbox_row_fn row, void *cls, bool *more, int64_t *unread);

/** How many of the account's items are unread (one indexed count). */
SV_MUST_CHECK enum sv_err sv_inbox_unread(struct sv_app *app,
                                          const char *tenant_id,
                                          const char *account_id,
                                          int64_t *unread);

/**
 * AUTH-7 "notices seen": mark the account's items up to and including
 * @p up_to (NULL: all of them) read, in one transaction; *unread gets what
 * is left. Only the account's own items: @p up_to of anyone else, or of no
 * one, is SV_E_NOT_FOUND. Not audited: it changes what the console shows,
 * nothing the account may do.
 */
SV_MUST_CHECK enum sv_err
sv_inbox_mark_read(struct sv_app *app, const char *tenant_id,
                   const char *account_id, const char *up_to, int64_t *unread);

#endif
