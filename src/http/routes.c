/*
 * Every route in one table: method, path, handler, who may call it (the
 * permission it needs), flags and body limit. The router applies all of it
 * before a handler runs.
 */
#include "access/access.h"
#include "access/access_http.h"
#include "apitoken/apitoken_http.h"
#include "audit/audit_http.h"
#include "http/routes.h"
#include "device/device_http.h"
#include "directory/department_http.h"
#include "directory/group_http.h"
#include "directory/keys_http.h"
#include "directory/tenant_http.h"
#include "login/login_http.h"
#include "identity/identity_http.h"
#include "mfa/mfa_http.h"
#include "notify/inbox_http.h"
#include "people/people_http.h"
#include "provision/import.h"
#include "provision/import_http.h"
#include "records/records_http.h"
#include "recovery/recovery_http.h"
#include "risk/risk_http.h"
#include "scim/scim_http.h"

#define B SV_ROUTE_BODY
#define OPT SV_ROUTE_BODY_OPT
#define FORCED SV_ROUTE_FORCED_OK
#define MFA SV_ROUTE_MFA_OK
#define CSV SV_ROUTE_CSV
/* Who may call: anyone; any signed-in account; an account holding the
 * permission (access/permissions.def), asked of the authorize hook. */
#define PUBLIC SV_AUTH_NONE, SV_NO_PERM
#define SIGNED_IN SV_AUTH_SESSION, SV_NO_PERM
#define NEEDS(p) SV_AUTH_SESSION, SV_PERM_##p
/* A machine: an API token (Bearer svt_…), its maker holding the permission. */
#define TOKEN(p) SV_AUTH_TOKEN, SV_PERM_##p
#define SCIM SV_ROUTE_SCIM

/* The import route's body limit is the import's own file limit. */
_Static_assert(32 * 1024 * 1024 == SV_IMPORT_BYTES_MAX,
               "POST /directory/imports takes a file the import takes");

// clang-format off
const struct sv_route sv_routes[] = {
    {"GET", "/api/v1/health", http_health, PUBLIC, 0, 0, {0}},
    /* The web console (static, embedded). */
    {"GET", "/", http_static, PUBLIC, 0, 0, {0}},
    {"GET", "/static/app.js", http_static, PUBLIC, 0, 0, {0}},
    {"GET", "/static/app.css", http_static, PUBLIC, 0, 0, {0}},
    /* Tighter body cap before authentication. */
    {"POST", "/api/v1/auth/login", login_http_login,
     PUBLIC, B, 8 * 1024, {0}},
    {"POST", "/api/v1/auth/logout", identity_http_logout,
     SIGNED_IN, B | OPT | FORCED | MFA, 1024, {0}},
    {"GET", "/api/v1/me", identity_http_me, SIGNED_IN, MFA, 0, {0}},
    /* Login challenges (docs/auth-flow.md): public, bound by the
     * X-Challenge-Token header. */
    {"GET", "/api/v1/auth/challenges/{id}/captcha", login_http_captcha_image,
     PUBLIC, 0, 0, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/captcha", login_http_captcha,
     PUBLIC, B, 8 * 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/totp", login_http_totp,
     PUBLIC, B, 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/sms/send", login_http_sms_send,
     PUBLIC, B | OPT, 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/sms/verify", login_http_sms_verify,
     PUBLIC, B, 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/approval", login_http_approval,
     PUBLIC, B | OPT, 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/qr", login_http_qr,
     PUBLIC, B | OPT, 1024, {0}},
    {"POST", "/api/v1/auth/challenges/{id}/wait", login_http_wait,
     PUBLIC, B | OPT, 1024, {0}},
    /* The trusted device's side (signed requests). */
    {"GET", "/api/v1/devices/self/approvals", login_http_approvals_list,
     SIGNED_IN, 0, 0, {0}},
    {"POST", "/api/v1/devices/self/approvals/scan", login_http_approvals_scan,
     SIGNED_IN, B, 1024, {0}},
    {"POST", "/api/v1/devices/self/approvals/{id}", login_http_approvals_decide,
     SIGNED_IN, B, 1024, {0}},
    {"GET", "/api/v1/me/devices", device_http_my_devices,
     SIGNED_IN, 0, 0, {0}},
    {"GET", "/api/v1/me/sessions", identity_http_my_sessions,
     SIGNED_IN, 0, 0, {0}},
    {"DELETE", "/api/v1/me/sessions/{id}", identity_http_my_session_revoke,
     SIGNED_IN, 0, 0, {0}},
    {"POST", "/api/v1/me/sessions/revoke-others",
     identity_http_my_sessions_revoke_others, SIGNED_IN, B | OPT, 1024,
     {0}},
    {"DELETE", "/api/v1/me/devices/{id}", device_http_my_device_revoke,
     SIGNED_IN, 0, 0, {0}},
    {"GET", "/api/v1/users/{id}/devices", device_http_user_devices,
     NEEDS(USERS_READ), 0, 0, {0}},
    {"DELETE", "/api/v1/users/{id}/devices/{id}", device_http_user_device_revoke,
     NEEDS(USERS_MANAGE), 0, 0, {0}},
    {"POST", "/api/v1/users/{id}/unlock", risk_http_user_unlock,
     NEEDS(USERS_MANAGE), B | OPT, 1024, {0}},
    {"GET", "/api/v1/admin/blacklist", risk_http_blacklist_list,
     NEEDS(SECURITY_READ), 0, 0, {0}},
    {"DELETE", "/api/v1/admin/blacklist/{id}", risk_http_blacklist_lift,
     NEEDS(SECURITY_MANAGE), 0, 0, {0}},
    {"GET", "/api/v1/admin/security/summary", audit_http_security_summary,
     NEEDS(SECURITY_READ), 0, 0, {0}},
    {"GET", "/api/v1/admin/settings", tenant_http_settings_get,
     NEEDS(SETTINGS_READ), 0, 0, {0}},
    {"PATCH", "/api/v1/admin/settings", tenant_http_settings_update,
     NEEDS(SETTINGS_MANAGE), B, 1024, {0}},
    /* DATA-2: the key versions and the re-sealing job's progress. */
    {"GET", "/api/v1/admin/keys", keys_http_status,
     NEEDS(SETTINGS_READ), 0, 0, {0}},
    /* A forced change comes first, even before a required MFA enrolment. */
    {"POST", "/api/v1/me/password", identity_http_change_password,
     SIGNED_IN, B | FORCED | MFA, 8 * 1024, {0}},
    /* AUTH-1: the console's password fields, the forced change's too. */
    {"POST", "/api/v1/me/password/check", identity_http_check_password,
     SIGNED_IN, B | FORCED | MFA, 8 * 1024, {0}},
    {"POST", "/api/v1/users", identity_http_users_create,
     NEEDS(USERS_MANAGE), B, 0, {0}},
    {"GET", "/api/v1/users", identity_http_users_list,
     NEEDS(USERS_READ), 0, 0, {"limit", "cursor", "q"}},
    {"GET", "/api/v1/users/{id}", identity_http_users_get,
     NEEDS(USERS_READ), 0, 0, {0}},
    {"POST", "/api/v1/users/{id}/reset-password", identity_http_users_reset,
     NEEDS(USERS_MANAGE), B | OPT, 1024, {0}},
    {"GET", "/api/v1/audit/events", audit_http_list,
     NEEDS(AUDIT_READ), 0, 0, {"action", "actor", "result", "report", "since", "until", "limit", "cursor"}},
    {"GET", "/api/v1/audit/export", audit_http_export,
     NEEDS(AUDIT_READ), 0, 0, {"action", "actor", "result", "report", "since", "until"}},
    /* ---- second factors, phone, inbox, reset (mfa_http.c) ---- */
    {"GET", "/api/v1/me/factors", mfa_http_my_factors,
     SIGNED_IN, SV_ROUTE_MFA_OK, 0, {0}},
    {"POST", "/api/v1/me/totp", mfa_http_totp_start,
     SIGNED_IN, B | OPT | SV_ROUTE_MFA_OK, 1024, {0}},
    {"POST", "/api/v1/me/totp/confirm", mfa_http_totp_confirm,
     SIGNED_IN, B | SV_ROUTE_MFA_OK, 1024, {0}},
    {"DELETE", "/api/v1/me/totp", mfa_http_totp_delete,
     SIGNED_IN, B, 1024, {0}},
    {"GET", "/api/v1/me/inbox", inbox_http_list,
     SIGNED_IN, 0, 0, {"limit", "cursor"}},
    {"GET", "/api/v1/me/inbox/unread", inbox_http_unread,
     SIGNED_IN, 0, 0, {0}},
    {"POST", "/api/v1/me/inbox/read", inbox_http_read,
     SIGNED_IN, B, 1024, {0}},
    {"PATCH", "/api/v1/users/{id}", identity_http_users_update,
     NEEDS(USERS_MANAGE), B, 1024, {0}},
    /* Public: tight body caps. */
    {"POST", "/api/v1/auth/reset", recovery_http_request,
     PUBLIC, B, 1024, {0}},
    {"POST", "/api/v1/auth/reset/confirm", recovery_http_confirm,
     PUBLIC, B, 4 * 1024, {0}},
    /* ---- end mfa_http.c ---- */
    /* DIR-2: the department tree (department_http.c); a change asks about
     * the department it touches too (a department admin's subtree). */
    {"GET", "/api/v1/directory/departments", department_http_list,
     NEEDS(DIRECTORY_READ), 0, 0, {"parent", "q", "limit", "cursor"}},
    {"POST", "/api/v1/directory/departments", department_http_create,
     NEEDS(DIRECTORY_MANAGE), B, 4 * 1024, {0}},
    {"GET", "/api/v1/directory/departments/{id}", department_http_get,
     NEEDS(DIRECTORY_READ), 0, 0, {0}},
    {"PATCH", "/api/v1/directory/departments/{id}", department_http_update,
     NEEDS(DIRECTORY_MANAGE), B, 4 * 1024, {0}},
    {"DELETE", "/api/v1/directory/departments/{id}", department_http_delete,
     NEEDS(DIRECTORY_MANAGE), 0, 0, {0}},
    /* DIR-3: hide a department from all but the groups and roles named. */
    {"GET", "/api/v1/directory/departments/{id}/visibility",
     department_http_visibility_get, NEEDS(DIRECTORY_MANAGE), 0, 0, {0}},
    {"PUT", "/api/v1/directory/departments/{id}/visibility",
     department_http_visibility_set, NEEDS(DIRECTORY_MANAGE), B, 4 * 1024,
     {0}},
    /* Employees (people_http.c): each change asks about the departments
     * it touches; phones masked without directory.view_phone. */
    {"GET", "/api/v1/directory/employees", people_http_list,
     NEEDS(DIRECTORY_READ), 0, 0,
     {"department", "q", "phone", "id_number", "limit", "cursor"}},
    {"POST", "/api/v1/directory/employees", people_http_create,
     NEEDS(DIRECTORY_MANAGE), B, 8 * 1024, {0}},
    {"GET", "/api/v1/directory/employees/{id}", people_http_get,
     NEEDS(DIRECTORY_READ), 0, 0, {0}},
    {"PATCH", "/api/v1/directory/employees/{id}", people_http_update,
     NEEDS(DIRECTORY_MANAGE), B, 8 * 1024, {0}},
    {"POST", "/api/v1/directory/employees/{id}/phone/reveal",
     people_http_reveal_phone, NEEDS(DIRECTORY_VIEW_PHONE), B | OPT, 1024,
     {0}},
    /* Groups (group_http.c): read by every directory reader; changed by
     * their owner or with directory.manage over them, asked inside (a
     * privileged group's members with access.manage too). */
    {"GET", "/api/v1/directory/groups", group_http_list,
     NEEDS(DIRECTORY_READ), 0, 0, {"q", "limit", "cursor"}},
    {"POST", "/api/v1/directory/groups", group_http_create,
     NEEDS(DIRECTORY_MANAGE), B, 4 * 1024, {0}},
    {"GET", "/api/v1/directory/groups/{id}", group_http_get,
     NEEDS(DIRECTORY_READ), 0, 0, {0}},
    {"PATCH", "/api/v1/directory/groups/{id}", group_http_update,
     NEEDS(DIRECTORY_READ), B, 4 * 1024, {0}},
    {"DELETE", "/api/v1/directory/groups/{id}", group_http_delete,
     NEEDS(DIRECTORY_READ), 0, 0, {0}},
    {"GET", "/api/v1/directory/groups/{id}/members", group_http_members,
     NEEDS(DIRECTORY_READ), 0, 0, {"expand", "limit", "cursor"}},
    {"POST", "/api/v1/directory/groups/{id}/members", group_http_member_add,
     NEEDS(DIRECTORY_READ), B, 1024, {0}},
    {"DELETE", "/api/v1/directory/groups/{id}/members/{id}",
     group_http_member_remove, NEEDS(DIRECTORY_READ), 0, 0, {0}},
    /* DIR-6: offboarding with a successor, and rehiring (a new temporary
     * password); each asks about every department the employee is in. */
    {"POST", "/api/v1/directory/employees/{id}/offboard", people_http_offboard,
     NEEDS(DIRECTORY_MANAGE), B, 1024, {0}},
    {"POST", "/api/v1/directory/employees/{id}/rehire", people_http_rehire,
     NEEDS(DIRECTORY_MANAGE), B | OPT, 1024, {0}},
    /* CSV imports as jobs (import_http.c; docs/import.md): a text/csv
     * body; the import asks directory.manage over each department it
     * touches. A job is its owner's. */
    {"POST", "/api/v1/directory/imports", import_http_create,
     NEEDS(DIRECTORY_MANAGE), B | CSV, 32 * 1024 * 1024, {"dry_run"}},
    {"GET", "/api/v1/directory/imports/{id}", import_http_get,
     NEEDS(DIRECTORY_MANAGE), 0, 0, {0}},
    /* CRM records (records_http.c; docs/records.md): every account may
     * ask; what it reaches is the permission model's per type (records.c
     * asks, inside each transaction). Literal paths before {type} and
     * {id}: the first route whose path and method match answers. */
    {"GET", "/api/v1/records/pipeline", records_http_pipeline, SIGNED_IN, 0,
     0, {0}},
    {"PUT", "/api/v1/records/pipeline", records_http_pipeline_set,
     NEEDS(RECORDS_CONFIGURE), B, 8 * 1024, {0}},
    {"GET", "/api/v1/records/quotas", records_http_quotas, SIGNED_IN, 0, 0,
     {0}},
    {"PUT", "/api/v1/records/quotas", records_http_quotas_set,
     NEEDS(RECORDS_CONFIGURE), B, 1024, {0}},
    {"POST", "/api/v1/records/{type}/export", records_http_export, SIGNED_IN,
     B, 4 * 1024, {0}},
    {"GET", "/api/v1/records/{type}/schema", records_http_schema, SIGNED_IN,
     0, 0, {0}},
    {"POST", "/api/v1/records/{type}/fields", records_http_field_create,
     NEEDS(RECORDS_CONFIGURE), B, 2 * 1024, {0}},
    {"GET", "/api/v1/records/{type}/bin", records_http_bin, SIGNED_IN, 0, 0,
     {"limit", "cursor"}},
    {"POST", "/api/v1/records/{type}", records_http_create, SIGNED_IN, B,
     256 * 1024, {0}},
    {"GET", "/api/v1/records/{type}", records_http_list, SIGNED_IN, 0, 0,
     {"q", "where", "owner_id", "department_id", "parent_id", "sort", "limit",
      "cursor"}},
    {"GET", "/api/v1/records/{type}/{id}", records_http_get, SIGNED_IN, 0, 0,
     {"unmask"}},
    {"PATCH", "/api/v1/records/{type}/{id}", records_http_update, SIGNED_IN, B,
     256 * 1024, {0}},
    {"DELETE", "/api/v1/records/{type}/{id}", records_http_delete, SIGNED_IN,
     0, 0, {0}},
    {"POST", "/api/v1/records/{type}/{id}/restore", records_http_restore,
     SIGNED_IN, B | OPT, 1024, {0}},
    {"POST", "/api/v1/records/{type}/{id}/purge", records_http_purge,
     SIGNED_IN, B | OPT, 1024, {0}},
    /* The permission model (access_http.c; docs/permissions.md). */
    {"GET", "/api/v1/me/access", access_http_me,
     SIGNED_IN, FORCED | MFA, 0, {0}},
    {"GET", "/api/v1/access/permissions", access_http_permissions,
     NEEDS(ACCESS_READ), 0, 0, {0}},
    {"GET", "/api/v1/access/roles", access_http_roles_list,
     NEEDS(ACCESS_READ), 0, 0, {0}},
    {"POST", "/api/v1/access/roles", access_http_roles_create,
     NEEDS(ACCESS_MANAGE), B, 16 * 1024, {0}},
    {"PATCH", "/api/v1/access/roles/{id}", access_http_roles_update,
     NEEDS(ACCESS_MANAGE), B, 16 * 1024, {0}},
    {"DELETE", "/api/v1/access/roles/{id}", access_http_roles_delete,
     NEEDS(ACCESS_MANAGE), 0, 0, {0}},
    {"GET", "/api/v1/access/assignments", access_http_assignments_list,
     NEEDS(ACCESS_READ), 0, 0, {"account", "limit", "cursor"}},
    {"POST", "/api/v1/access/assignments", access_http_assignments_create,
     NEEDS(ACCESS_MANAGE), B, 4 * 1024, {0}},
    {"DELETE", "/api/v1/access/assignments/{id}",
     access_http_assignments_delete, NEEDS(ACCESS_MANAGE), 0, 0, {0}},
    /* API tokens (apitoken_http.c): the text shown once at creation. */
    {"GET", "/api/v1/access/tokens", apitoken_http_list,
     NEEDS(ACCESS_READ), 0, 0, {0}},
    {"POST", "/api/v1/access/tokens", apitoken_http_create,
     NEEDS(ACCESS_MANAGE), B, 1024, {0}},
    {"DELETE", "/api/v1/access/tokens/{id}", apitoken_http_revoke,
     NEEDS(ACCESS_MANAGE), 0, 0, {0}},
    /* SCIM 2.0 provisioning (scim_http.c; docs/scim.md): an API token of
     * scope scim; Users need users.manage of its maker, Groups
     * directory.manage. Bodies application/scim+json, SCIM errors. */
    {"GET", "/scim/v2/ServiceProviderConfig",
     scim_http_service_provider_config, TOKEN(USERS_MANAGE), SCIM, 0, {0}},
    {"GET", "/scim/v2/ResourceTypes", scim_http_resource_types,
     TOKEN(USERS_MANAGE), SCIM, 0, {0}},
    {"GET", "/scim/v2/Users", scim_http_users_list, TOKEN(USERS_MANAGE), SCIM,
     0, {"filter", "startIndex", "count", "attributes", "excludedAttributes"}},
    {"POST", "/scim/v2/Users", scim_http_users_create, TOKEN(USERS_MANAGE),
     SCIM | B, 16 * 1024, {0}},
    {"GET", "/scim/v2/Users/{id}", scim_http_users_get, TOKEN(USERS_MANAGE),
     SCIM, 0, {"attributes", "excludedAttributes"}},
    {"PUT", "/scim/v2/Users/{id}", scim_http_users_replace,
     TOKEN(USERS_MANAGE), SCIM | B, 16 * 1024, {0}},
    {"PATCH", "/scim/v2/Users/{id}", scim_http_users_patch,
     TOKEN(USERS_MANAGE), SCIM | B, 16 * 1024, {0}},
    {"DELETE", "/scim/v2/Users/{id}", scim_http_users_delete,
     TOKEN(USERS_MANAGE), SCIM, 0, {0}},
    {"GET", "/scim/v2/Groups", scim_http_groups_list, TOKEN(DIRECTORY_MANAGE),
     SCIM, 0, {"filter", "startIndex", "count", "attributes",
               "excludedAttributes"}},
    {"POST", "/scim/v2/Groups", scim_http_groups_create,
     TOKEN(DIRECTORY_MANAGE), SCIM | B, 128 * 1024, {0}},
    {"GET", "/scim/v2/Groups/{id}", scim_http_groups_get,
     TOKEN(DIRECTORY_MANAGE), SCIM, 0, {"attributes", "excludedAttributes"}},
    {"PUT", "/scim/v2/Groups/{id}", scim_http_groups_replace,
     TOKEN(DIRECTORY_MANAGE), SCIM | B, 128 * 1024, {0}},
    {"PATCH", "/scim/v2/Groups/{id}", scim_http_groups_patch,
     TOKEN(DIRECTORY_MANAGE), SCIM | B, 128 * 1024, {0}},
    {"DELETE", "/scim/v2/Groups/{id}", scim_http_groups_delete,
     TOKEN(DIRECTORY_MANAGE), SCIM, 0, {0}},
};
// clang-format on

const size_t sv_routes_len = sizeof sv_routes / sizeof sv_routes[0];
