/*
 * GET and POST /directory/departments, GET, PATCH and DELETE
 * /directory/departments/{id}: see department.h. Tenant admins only
 * (the route table), until the permission model (issue 11, part 3).
 */
#ifndef SV_DIRECTORY_DEPARTMENT_HTTP_H
#define SV_DIRECTORY_DEPARTMENT_HTTP_H

#include "http/http.h"

void department_http_list(struct sv_request *rq);
void department_http_create(struct sv_request *rq);
void department_http_get(struct sv_request *rq);
void department_http_update(struct sv_request *rq);
void department_http_delete(struct sv_request *rq);

/** DIR-3: whether it is hidden, and whom it names (directory.manage). */
void department_http_visibility_get(struct sv_request *rq);
void department_http_visibility_set(struct sv_request *rq);

#endif
