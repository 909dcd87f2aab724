/* identity's HTTP handlers. */
#ifndef SV_IDENTITY_HTTP_H
#define SV_IDENTITY_HTTP_H

#include "http/http.h"

void identity_http_login(struct sv_request *rq);
void identity_http_logout(struct sv_request *rq);
void identity_http_me(struct sv_request *rq);
void identity_http_change_password(struct sv_request *rq);
void identity_http_users_create(struct sv_request *rq);
void identity_http_users_list(struct sv_request *rq);
void identity_http_users_reset(struct sv_request *rq);

#endif
