#ifndef SV_HTTP_ROUTES_H
#define SV_HTTP_ROUTES_H

#include "http/http.h"

void http_health(struct sv_request *rq);

#endif
