/* identity's HTTP handlers. */
#ifndef SV_IDENTITY_HTTP_H
#define SV_IDENTITY_HTTP_H

#include "http/http.h"
#include "identity/identity.h"

void identity_http_login(struct sv_request *rq);
void identity_http_logout(struct sv_request *rq);
void identity_http_me(struct sv_request *rq);
void identity_http_change_password(struct sv_request *rq);
void identity_http_users_create(struct sv_request *rq);
void identity_http_users_list(struct sv_request *rq);
void identity_http_users_reset(struct sv_request *rq);

/** Who is asking: the session's account (if any), address and agent. */
struct sv_actor identity_http_actor(struct sv_request *rq);

/**
 * The router's authentication hooks (session_http.c): sessions, CSRF
 * tokens, the forced-change audit and device nonces. Installed at start-up
 * with sv_http_set_hooks().
 */
extern const struct sv_http_hooks sv_identity_http_hooks;

struct sv_login;
/**
 * The password step of a login (after its fields and device are read):
 * counters, blacklist and lock, then a CAPTCHA challenge or the Argon2id
 * check on the hashing pool, then the flow. Also the CAPTCHA step's second
 * half, with l->captcha_passed set and l->client from the challenge.
 */
void identity_http_login_run(struct sv_request *rq, struct sv_login *l,
                             const char *tenant, const char *username,
                             const char *password);

#endif
