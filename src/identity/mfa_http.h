/* HTTP handlers of second factors, phone, inbox and reset (mfa_http.c). */
#ifndef SV_IDENTITY_MFA_HTTP_H
#define SV_IDENTITY_MFA_HTTP_H

#include "http/http.h"

/* POST /me/totp */
void mfa_http_totp_start(struct sv_request *rq);
/* POST /me/totp/confirm */
void mfa_http_totp_confirm(struct sv_request *rq);
/* DELETE /me/totp */
void mfa_http_totp_delete(struct sv_request *rq);
/* GET /me/inbox */
void mfa_http_inbox_list(struct sv_request *rq);
/* PATCH /users/{id} */
void mfa_http_users_update(struct sv_request *rq);
/* POST /auth/reset */
void mfa_http_reset_request(struct sv_request *rq);
/* POST /auth/reset/confirm */
void mfa_http_reset_confirm(struct sv_request *rq);

#endif
