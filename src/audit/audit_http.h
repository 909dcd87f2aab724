/* audit's HTTP handlers. */
#ifndef SV_AUDIT_HTTP_H
#define SV_AUDIT_HTTP_H

#include "http/http.h"

void audit_http_list(struct sv_request *rq);

#endif
