/* identity's HTTP handlers. */
#ifndef SV_IDENTITY_HTTP_H
#define SV_IDENTITY_HTTP_H

#include "http/http.h"
#include "identity/identity.h"

void identity_http_logout(struct sv_request *rq);
void identity_http_me(struct sv_request *rq);
void identity_http_change_password(struct sv_request *rq);
/** POST /me/password/check: the policy's verdict, rule by rule (AUTH-1). */
void identity_http_check_password(struct sv_request *rq);
/* GET /me/sessions, DELETE /me/sessions/{id},
 * POST /me/sessions/revoke-others */
void identity_http_my_sessions(struct sv_request *rq);
void identity_http_my_session_revoke(struct sv_request *rq);
void identity_http_my_sessions_revoke_others(struct sv_request *rq);
void identity_http_users_create(struct sv_request *rq);
void identity_http_users_list(struct sv_request *rq);
void identity_http_users_get(struct sv_request *rq);
void identity_http_users_reset(struct sv_request *rq);
void identity_http_users_update(struct sv_request *rq);

/** A temporary password (shown once) and its hash, in locked memory. */
struct sv_temp_pw {
    struct sv_app *app;
    char password[SV_TEMP_PASSWORD_LEN + 1];
    char hash[SV_HASH_LEN];
    enum sv_err rc;
};
/**
 * A new temporary password for an account made or reset by @p rq, freed
 * (wiped) when the request ends; NULL when locked memory runs out. Hash it
 * off the connection thread: sv_offload_or_reply() with
 * identity_http_temp_pw_work and the struct as the job's argument.
 */
struct sv_temp_pw *identity_http_temp_pw(struct sv_request *rq);
void identity_http_temp_pw_work(void *arg);

/** Who is asking: the session's account (if any), address and agent. */
struct sv_actor identity_http_actor(struct sv_request *rq);

/**
 * The router's authentication hooks (session_http.c): sessions, CSRF
 * tokens, the forced-change audit and device nonces. Installed at start-up
 * with sv_http_set_hooks().
 */
extern const struct sv_http_hooks sv_identity_http_hooks;

#endif
