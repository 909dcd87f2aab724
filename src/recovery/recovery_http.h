#ifndef SV_RECOVERY_RECOVERY_HTTP_H
#define SV_RECOVERY_RECOVERY_HTTP_H

#include "http/http.h"

/* POST /auth/reset */
void recovery_http_request(struct sv_request *rq);
/* POST /auth/reset/confirm */
void recovery_http_confirm(struct sv_request *rq);

#endif
