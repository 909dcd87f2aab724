/*
 * SCIM 2.0 (RFC 7643, 7644) under /scim/v2 (issue 11, part 7; docs/scim.md):
 * ServiceProviderConfig and ResourceTypes; Users (employees) and Groups
 * (directory groups): create, get, list with a filter
 * (`userName eq "…"`, `externalId eq "…"`, `displayName eq "…"`) and
 * startIndex/count pages, replace (PUT), PATCH, DELETE. Authenticated by
 * an API token of scope "scim" (apitoken/), acting for its maker: every
 * change is checked and audited as the console's would be.
 *
 * A User: userName (the account's username: 3-64 of a-z 0-9 . _ -, folded
 * to lower case), displayName (or name.formatted, or givenName and
 * familyName), title, emails (the primary one: the account's e-mail, set
 * at creation), phoneNumbers (the first: the employee's phone, stored as
 * E.164, never returned: DIR-5), active, externalId, and of the enterprise
 * extension employeeNumber, department (a path of department names from a
 * root: "Sales/East"; required at creation) and manager.value. A password
 * is refused: a provisioned account sets its own through the reset flow.
 * active false (PATCH, PUT) and DELETE offboard the employee (DIR-6), its
 * groups and tokens passing to its manager, else to the token's maker;
 * active true rehires it (or enables a disabled one).
 */
#ifndef SV_SCIM_SCIM_HTTP_H
#define SV_SCIM_SCIM_HTTP_H

#include "http/http.h"

void scim_http_service_provider_config(struct sv_request *rq);
void scim_http_resource_types(struct sv_request *rq);
void scim_http_users_list(struct sv_request *rq);
void scim_http_users_create(struct sv_request *rq);
void scim_http_users_get(struct sv_request *rq);
void scim_http_users_replace(struct sv_request *rq);
void scim_http_users_patch(struct sv_request *rq);
void scim_http_users_delete(struct sv_request *rq);
void scim_http_groups_list(struct sv_request *rq);
void scim_http_groups_create(struct sv_request *rq);
void scim_http_groups_get(struct sv_request *rq);
void scim_http_groups_replace(struct sv_request *rq);
void scim_http_groups_patch(struct sv_request *rq);
void scim_http_groups_delete(struct sv_request *rq);

#endif
