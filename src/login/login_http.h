/* Handlers of the sign-in: the password step, challenges, approvals. */
#ifndef SV_LOGIN_LOGIN_HTTP_H
#define SV_LOGIN_LOGIN_HTTP_H

#include "http/http.h"

void login_http_captcha_image(struct sv_request *rq);
void login_http_captcha(struct sv_request *rq);
void login_http_totp(struct sv_request *rq);
void login_http_sms_send(struct sv_request *rq);
void login_http_sms_verify(struct sv_request *rq);
void login_http_approval(struct sv_request *rq);
void login_http_qr(struct sv_request *rq);
void login_http_wait(struct sv_request *rq);

void login_http_approvals_list(struct sv_request *rq);
void login_http_approvals_scan(struct sv_request *rq);
void login_http_approvals_decide(struct sv_request *rq);

struct sv_outcome;
/** Answer a login or a completed step: a session or a challenge. */
void login_http_reply_outcome(struct sv_request *rq, struct sv_outcome *o);

/**
 * Read the client's device from the login body's "device" object (and
 * the sv_device cookie), checking a mobile/CLI login's signature.
 * Replies itself and returns false on error.
 */
struct sv_client;
bool login_http_client(struct sv_request *rq, const json_t *device,
                       struct sv_client *cl);

/* POST /auth/login */
void login_http_login(struct sv_request *rq);

struct sv_login;
/**
 * The password step of a login (after its fields and device are read):
 * counters, blacklist and lock, then a CAPTCHA challenge or the Argon2id
 * check on the hashing pool, then the flow. Also the CAPTCHA step's second
 * half, with l->captcha_passed set and l->client from the challenge.
 */
void login_http_run(struct sv_request *rq, struct sv_login *l,
                    const char *tenant, const char *username,
                    const char *password);

#endif
