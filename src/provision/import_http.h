/*
 * POST /directory/imports (a CSV file, ?dry_run=) and GET
 * /directory/imports/{id}: the console's imports as jobs (import.h,
 * docs/import.md). directory.manage somewhere (the route table); the
 * import asks it over every department it touches.
 */
#ifndef SV_PROVISION_IMPORT_HTTP_H
#define SV_PROVISION_IMPORT_HTTP_H

#include "http/http.h"

void import_http_create(struct sv_request *rq);
void import_http_get(struct sv_request *rq);

#endif
