#ifndef SV_NOTIFY_INBOX_HTTP_H
#define SV_NOTIFY_INBOX_HTTP_H

#include "http/http.h"

/** GET /me/inbox: one page of the caller's inbox, newest first. */
void inbox_http_list(struct sv_request *rq);
void inbox_http_unread(struct sv_request *rq);
void inbox_http_read(struct sv_request *rq);

#endif
