/*
 * API tokens (apitoken.h): GET /access/tokens (access.read), POST
 * /access/tokens (access.manage; the token's text once, in the answer),
 * DELETE /access/tokens/{id} (access.manage).
 */
#ifndef SV_APITOKEN_APITOKEN_HTTP_H
#define SV_APITOKEN_APITOKEN_HTTP_H

#include "http/http.h"

void apitoken_http_list(struct sv_request *rq);
void apitoken_http_create(struct sv_request *rq);
void apitoken_http_revoke(struct sv_request *rq);

#endif
