/*
 * The permission model's routes (docs/permissions.md): /me/access (what
 * the caller may do), /access/permissions (the catalogue), /access/roles
 * (built-in and custom roles), /access/assignments (who holds which role
 * over which scope); and the router's authorize hook.
 */
#ifndef SV_ACCESS_ACCESS_HTTP_H
#define SV_ACCESS_ACCESS_HTTP_H

#include "http/http.h"

void access_http_me(struct sv_request *rq);
void access_http_permissions(struct sv_request *rq);
void access_http_roles_list(struct sv_request *rq);
void access_http_roles_create(struct sv_request *rq);
void access_http_roles_update(struct sv_request *rq);
void access_http_roles_delete(struct sv_request *rq);
void access_http_assignments_list(struct sv_request *rq);
void access_http_assignments_create(struct sv_request *rq);
void access_http_assignments_delete(struct sv_request *rq);

/** struct sv_http_hooks.authorize: the route's permission (http.h). */
enum sv_err access_http_authorize(struct sv_app *app, struct sv_arena *arena,
                                  struct sv_http_principal *who, int perm,
                                  const char *ip, const char *user_agent,
                                  const char *route);

#endif
