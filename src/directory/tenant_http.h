/* GET and PATCH /admin/settings: the tenant's sign-in policy. */
#ifndef SV_DIRECTORY_TENANT_HTTP_H
#define SV_DIRECTORY_TENANT_HTTP_H

#include "http/http.h"

/** GET /admin/settings: the caller's tenant's policy and its rules. */
void tenant_http_settings_get(struct sv_request *rq);
/** PATCH /admin/settings: change any of require_mfa, password_policy,
 *  password_min_score (tenant.policy). */
void tenant_http_settings_update(struct sv_request *rq);

#endif
