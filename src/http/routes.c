/*
 * Every route in one table: method, path, handler, who may call it, flags
 * and body limit. The router applies all of it before a handler runs.
 */
#include "audit/audit_http.h"
#include "http/routes.h"
#include "identity/identity_http.h"

#define B SV_ROUTE_BODY
#define OPT SV_ROUTE_BODY_OPT
#define FORCED SV_ROUTE_FORCED_OK

const struct sv_route sv_routes[] = {
    {"GET", "/api/v1/health", http_health, SV_AUTH_NONE, 0, 0, {0}},
    /* Tighter body cap before authentication. */
    {"POST", "/api/v1/auth/login", identity_http_login, SV_AUTH_NONE, B,
     8 * 1024, {0}},
    {"POST", "/api/v1/auth/logout", identity_http_logout, SV_AUTH_SESSION,
     B | OPT | FORCED, 1024, {0}},
    {"GET", "/api/v1/me", identity_http_me, SV_AUTH_SESSION, 0, 0, {0}},
    {"POST", "/api/v1/me/password", identity_http_change_password,
     SV_AUTH_SESSION, B | FORCED, 8 * 1024, {0}},
    {"POST", "/api/v1/users", identity_http_users_create, SV_AUTH_ADMIN, B, 0,
     {0}},
    {"GET", "/api/v1/users", identity_http_users_list, SV_AUTH_ADMIN, 0, 0,
     {"limit", "cursor"}},
    {"POST", "/api/v1/users/{id}/reset-password", identity_http_users_reset,
     SV_AUTH_ADMIN, B | OPT, 1024, {0}},
    {"GET", "/api/v1/audit/events", audit_http_list, SV_AUTH_ADMIN, 0, 0,
     {"action", "actor", "since", "until", "limit", "cursor"}},
};

const size_t sv_routes_len = sizeof sv_routes / sizeof sv_routes[0];
