/* HTTP handlers of second factors and the bound phone (mfa_http.c). */
#ifndef SV_MFA_MFA_HTTP_H
#define SV_MFA_MFA_HTTP_H

#include "http/http.h"

/* POST /me/totp */
void mfa_http_totp_start(struct sv_request *rq);
/* POST /me/totp/confirm */
void mfa_http_totp_confirm(struct sv_request *rq);
/* DELETE /me/totp */
void mfa_http_totp_delete(struct sv_request *rq);
/* GET /me/factors: the caller's second factors (an authenticator, the
 * masked bound phone) for the account screen. */
void mfa_http_my_factors(struct sv_request *rq);

#endif
