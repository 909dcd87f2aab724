/*
 * The records routes (docs/records.md): /api/v1/records/{type}… and the
 * pipeline. Each handler reads the type from the path (an unknown one is
 * 404), hands the body or the query to records.c and sends its answer.
 */
#ifndef SV_RECORDS_RECORDS_HTTP_H
#define SV_RECORDS_RECORDS_HTTP_H

#include "http/http.h"

void records_http_pipeline(struct sv_request *rq);
void records_http_pipeline_set(struct sv_request *rq);
void records_http_schema(struct sv_request *rq);
void records_http_field_create(struct sv_request *rq);
void records_http_create(struct sv_request *rq);
void records_http_list(struct sv_request *rq);
void records_http_bin(struct sv_request *rq);
void records_http_get(struct sv_request *rq);
void records_http_update(struct sv_request *rq);
void records_http_delete(struct sv_request *rq);
void records_http_restore(struct sv_request *rq);
void records_http_purge(struct sv_request *rq);
void records_http_quotas(struct sv_request *rq);
void records_http_quotas_set(struct sv_request *rq);
void records_http_export(struct sv_request *rq);

#endif
