/* audit's HTTP handlers. */
#ifndef SV_AUDIT_HTTP_H
#define SV_AUDIT_HTTP_H

#include "http/http.h"

void audit_http_list(struct sv_request *rq);
/** GET /audit/export: the filtered events as CSV, streamed (AUD-3). */
void audit_http_export(struct sv_request *rq);
/** GET /admin/security/summary: the tenant's security dashboard. */
void audit_http_security_summary(struct sv_request *rq);

#endif
