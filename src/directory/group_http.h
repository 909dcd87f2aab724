/*
 * Groups (issue 11, parts 1 and 3; group.h): GET and POST
 * /directory/groups, GET, PATCH and DELETE /directory/groups/{id}, GET and
 * POST /directory/groups/{id}/members (?expand=true: every employee in
 * it, however deeply), DELETE /directory/groups/{id}/members/{id}.
 */
#ifndef SV_DIRECTORY_GROUP_HTTP_H
#define SV_DIRECTORY_GROUP_HTTP_H

#include "http/http.h"

void group_http_list(struct sv_request *rq);
void group_http_create(struct sv_request *rq);
void group_http_get(struct sv_request *rq);
void group_http_update(struct sv_request *rq);
void group_http_delete(struct sv_request *rq);
void group_http_members(struct sv_request *rq);
void group_http_member_add(struct sv_request *rq);
void group_http_member_remove(struct sv_request *rq);

#endif
