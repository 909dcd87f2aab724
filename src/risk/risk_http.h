/* Handlers of risk: account unlock and the blacklist. */
#ifndef SV_RISK_HTTP_H
#define SV_RISK_HTTP_H

#include "http/http.h"

void risk_http_user_unlock(struct sv_request *rq);
void risk_http_blacklist_list(struct sv_request *rq);
void risk_http_blacklist_lift(struct sv_request *rq);

#endif
