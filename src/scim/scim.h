/*
 * SCIM 2.0 provisioning (RFC 7643, 7644; issue 11, part 7) over the
 * directory: a User is an employee (and its account), a Group a directory
 * group. The protocol's parts that are not the directory's own: the
 * externalId a client gives each resource (kept per tenant and resource
 * type, unique), the pages of a list by startIndex and count, the filter
 * (filter.h). The handlers (scim_http.c) map the JSON onto people/ and
 * directory/group.h, which check permissions and write the audit events:
 * a SCIM token acts for the admin who made it (apitoken/).
 */
#ifndef SV_SCIM_SCIM_H
#define SV_SCIM_SCIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"
#include "directory/group.h"

struct sv_db;
struct sv_dbc;

/** An externalId: 1-256 bytes of UTF-8, no control characters. */
#define SCIM_EXTERNAL_ID_MAX 256
/** A page: count at most (RFC 7644 3.4.2.4; ServiceProviderConfig says). */
#define SCIM_COUNT_MAX 200

bool scim_check_external_id(const char *s, size_t len);

/** What to list: one filter at most, a page. */
struct scim_list {
    const char *username;    /* Users: userName eq */
    const char *name;        /* Groups: displayName eq (folded here) */
    const char *external_id; /* externalId eq */
    int64_t start_index;     /* 1-based */
    int64_t count;           /* 0..SCIM_COUNT_MAX */
    const char *viewer;      /* the token's maker: Users hidden from it (DIR-3)
                                are neither counted nor listed */
};
typedef void (*scim_id_row_fn)(void *cls, const char *id);

/** The ids of a page of Users (@p groups false) or Groups, in id order,
 *  and how many match in all. */
SV_MUST_CHECK enum sv_err scim_list_ids(struct sv_db *db, const char *tenant_id,
                                        bool groups, const struct scim_list *q,
                                        scim_id_row_fn row, void *cls,
                                        int64_t *total);

/** The externalId of @p resource ("User", "Group") @p id ("" when none). */
SV_MUST_CHECK enum sv_err scim_external_id(struct sv_db *db,
                                           const char *tenant_id,
                                           const char *resource, const char *id,
                                           char out[SCIM_EXTERNAL_ID_MAX + 1]);

/** Inside a change's transaction: set (NULL: drop) the externalId of
 *  @p resource @p id. SV_E_EXISTS ("externalId") when another has it. */
SV_MUST_CHECK enum sv_err scim_set_external_id_tx(struct sv_dbc *c,
                                                  const char *tenant_id,
                                                  const char *resource,
                                                  const char *id,
                                                  const char *external_id);

/** Whether @p id is an employee (a User) or a group of the tenant.
 *  SV_E_NOT_FOUND when neither. */
SV_MUST_CHECK enum sv_err scim_member_kind(struct sv_db *db,
                                           const char *tenant_id,
                                           const char *id,
                                           enum sv_member_kind *kind);

/** The department at @p path ("Sales/East", or a root's name), read in a
 *  transaction of its own. SV_E_NOT_FOUND; SV_E_FIELD_INVALID. */
SV_MUST_CHECK enum sv_err scim_department(struct sv_db *db,
                                          const char *tenant_id,
                                          const char *path, char out[37]);

#endif
