/*
 * Every route in one table: method, path, handler, who may call it, flags
 * and body limit. The router applies all of it before a handler runs.
 */
#include "audit/audit_http.h"
#include "http/routes.h"
#include "device/device_http.h"
#include "directory/department_http.h"
#include "directory/tenant_http.h"
#include "login/login_http.h"
#include "identity/identity_http.h"
#include "mfa/mfa_http.h"
#include "notify/inbox_http.h"
#include "recovery/recovery_http.h"
#include "risk/risk_http.h"

#define B SV_ROUTE_BODY
#define OPT SV_ROUTE_BODY_OPT
#define FORCED SV_ROUTE_FORCED_OK
#define MFA SV_ROUTE_MFA_OK

// clang-format off
const struct sv_route sv_routes[] = {
    {"GET", "/api/v1/health", http_health, SV_AUTH_NONE, 0, 0, {0}},
    /* The web console (static, embedded). */
    {"GET", "/", http_static, SV_AUTH_NONE, 0, 0, {0}},
    {"GET", "/static/app.js", http_static, SV_AUTH_NONE, 0, 0, {0}},
    {"GET", "/static/app.css", http_static, SV_AUTH_NONE, 0, 0, {0}},
    /* Tighter body cap before authentication. */
    {"POST", "/api/v1/auth/login", login_http_login,
     SV_AUTH_NONE, B, 8 * 1024, {0}},
    {"POST", "/api/v1/auth/logout", identity_http_logout,
     SV_AUTH_SESSION, B | OPT | FORCED | MFA, 1024, {0}},
    {"GET", "/api/v1/me", identity_http_me, SV_AUTH_SESSION, MFA, 0, {0}},
    /* Login challenges (docs/auth-flow.md): public, bound by the
     * X-Challenge-Token header. */
    {"GET", "/api/v1/auth/challenges/{id}/captcha", login_http_captcha_image,
     SV_AUTH_NONE, 0, 0, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/captcha", login_http_captcha,
     SV_AUTH_NONE, B, 8 * 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/totp", login_http_totp,
     SV_AUTH_NONE, B, 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/sms/send", login_http_sms_send,
     SV_AUTH_NONE, B | OPT, 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/sms/verify", login_http_sms_verify,
     SV_AUTH_NONE, B, 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/approval", login_http_approval,
     SV_AUTH_NONE, B | OPT, 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/qr", login_http_qr,
     SV_AUTH_NONE, B | OPT, 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/wait", login_http_wait,
     SV_AUTH_NONE, B | OPT, 1024, {0}},
    /* The trusted device's side (signed requests). */
    {"GET", "/api/v1/devices/self/approvals", login_http_approvals_list,
     SV_AUTH_SESSION, 0, 0, {0}},
    {"POST", "/api/v1/devices/self/approvals/scan", login_http_approvals_scan,
     SV_AUTH_SESSION, B, 1024, {0}},
    {"POST", "/api/v1/devices/self/approvals/{id}", login_http_approvals_decide,
     SV_AUTH_SESSION, B, 1024, {0}},
    {"GET", "/api/v1/me/devices", device_http_my_devices,
     SV_AUTH_SESSION, 0, 0, {0}},
    {"GET", "/api/v1/me/sessions", identity_http_my_sessions,
     SV_AUTH_SESSION, 0, 0, {0}},
    {"DELETE", "/api/v1/me/sessions/{id}", identity_http_my_session_revoke,
     SV_AUTH_SESSION, 0, 0, {0}},
    {"POST", "/api/v1/me/sessions/revoke-others",
     identity_http_my_sessions_revoke_others, SV_AUTH_SESSION, B | OPT, 1024,
     {0}},
    {"DELETE", "/api/v1/me/devices/{id}", device_http_my_device_revoke,
     SV_AUTH_SESSION, 0, 0, {0}},
    {"GET", "/api/v1/users/{id}/devices", device_http_user_devices,
     SV_AUTH_ADMIN, 0, 0, {0}},
    {"DELETE", "/api/v1/users/{id}/devices/{id}", device_http_user_device_revoke,
     SV_AUTH_ADMIN, 0, 0, {0}},
    {"POST", "/api/v1/users/{id}/unlock", risk_http_user_unlock,
     SV_AUTH_ADMIN, B | OPT, 1024, {0}},
    {"GET", "/api/v1/admin/blacklist", risk_http_blacklist_list,
     SV_AUTH_ADMIN, 0, 0, {0}},
    {"DELETE", "/api/v1/admin/blacklist/{id}", risk_http_blacklist_lift,
     SV_AUTH_ADMIN, 0, 0, {0}},
    {"GET", "/api/v1/admin/security/summary", audit_http_security_summary,
     SV_AUTH_ADMIN, 0, 0, {0}},
    {"GET", "/api/v1/admin/settings", tenant_http_settings_get,
     SV_AUTH_ADMIN, 0, 0, {0}},
    {"PATCH", "/api/v1/admin/settings", tenant_http_settings_update,
     SV_AUTH_ADMIN, B, 1024, {0}},
    /* A forced change comes first, even before a required MFA enrolment. */
    {"POST", "/api/v1/me/password", identity_http_change_password,
     SV_AUTH_SESSION, B | FORCED | MFA, 8 * 1024, {0}},
    /* AUTH-1: the console's password fields, the forced change's too. */
    {"POST", "/api/v1/me/password/check", identity_http_check_password,
     SV_AUTH_SESSION, B | FORCED | MFA, 8 * 1024, {0}},
    {"POST", "/api/v1/users", identity_http_users_create,
     SV_AUTH_ADMIN, B, 0, {0}},
    {"GET", "/api/v1/users", identity_http_users_list,
     SV_AUTH_ADMIN, 0, 0, {"limit", "cursor", "q"}},
    {"GET", "/api/v1/users/{id}", identity_http_users_get,
     SV_AUTH_ADMIN, 0, 0, {0}},
    {"POST", "/api/v1/users/{id}/reset-password", identity_http_users_reset,
     SV_AUTH_ADMIN, B | OPT, 1024, {0}},
    {"GET", "/api/v1/audit/events", audit_http_list,
     SV_AUTH_ADMIN, 0, 0, {"action", "actor", "result", "since", "until", "limit", "cursor"}},
    {"GET", "/api/v1/audit/export", audit_http_export,
     SV_AUTH_ADMIN, 0, 0, {"action", "actor", "result", "since", "until"}},
    /* ---- second factors, phone, inbox, reset (mfa_http.c) ---- */
    {"GET", "/api/v1/me/factors", mfa_http_my_factors,
     SV_AUTH_SESSION, SV_ROUTE_MFA_OK, 0, {0}},
    {"POST", "/api/v1/me/totp", mfa_http_totp_start,
     SV_AUTH_SESSION, B | OPT | SV_ROUTE_MFA_OK, 1024, {0}},
    {"POST", "/api/v1/me/totp/confirm", mfa_http_totp_confirm,
     SV_AUTH_SESSION, B | SV_ROUTE_MFA_OK, 1024, {0}},
    {"DELETE", "/api/v1/me/totp", mfa_http_totp_delete,
     SV_AUTH_SESSION, B, 1024, {0}},
    {"GET", "/api/v1/me/inbox", inbox_http_list,
     SV_AUTH_SESSION, 0, 0, {"limit", "cursor"}},
    {"GET", "/api/v1/me/inbox/unread", inbox_http_unread,
     SV_AUTH_SESSION, 0, 0, {0}},
    {"POST", "/api/v1/me/inbox/read", inbox_http_read,
     SV_AUTH_SESSION, B, 1024, {0}},
    {"PATCH", "/api/v1/users/{id}", identity_http_users_update,
     SV_AUTH_ADMIN, B, 1024, {0}},
    /* Public: tight body caps. */
    {"POST", "/api/v1/auth/reset", recovery_http_request,
     SV_AUTH_NONE, B, 1024, {0}},
    {"POST", "/api/v1/auth/reset/confirm", recovery_http_confirm,
     SV_AUTH_NONE, B, 4 * 1024, {0}},
    /* ---- end mfa_http.c ---- */
    /* DIR-2: the department tree (department_http.c); tenant admins until
     * the permission model of issue 11, part 3. */
    {"GET", "/api/v1/directory/departments", department_http_list,
     SV_AUTH_ADMIN, 0, 0, {"parent", "q", "limit", "cursor"}},
    {"POST", "/api/v1/directory/departments", department_http_create,
     SV_AUTH_ADMIN, B, 4 * 1024, {0}},
    {"GET", "/api/v1/directory/departments/{id}", department_http_get,
     SV_AUTH_ADMIN, 0, 0, {0}},
    {"PATCH", "/api/v1/directory/departments/{id}", department_http_update,
     SV_AUTH_ADMIN, B, 4 * 1024, {0}},
    {"DELETE", "/api/v1/directory/departments/{id}", department_http_delete,
     SV_AUTH_ADMIN, 0, 0, {0}},
};
// clang-format on

const size_t sv_routes_len = sizeof sv_routes / sizeof sv_routes[0];
