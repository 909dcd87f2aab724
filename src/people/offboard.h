/*
 * Offboarding hooks (DIR-6; issue 11, part 6; docs/permissions.md,
 * "Offboarding: what passes on").
 *
 * An offboarding (sv_people_offboard) does the same steps for every
 * employee in one transaction: the employee's state becomes offboarded,
 * its account is disabled, every session and trusted device revoked,
 * every role assignment removed. Then, in the same transaction, every
 * hook of sv_offboard_hooks[] runs in table order: each later capability
 * that holds something of an employee's (group memberships and owned
 * groups, API tokens, records, files) adds one line that takes it away or
 * passes it on to the successor.
 *
 * A hook
 *   - runs inside the offboarding's transaction, tenant scope set: its
 *     writes and its audit events commit with the rest or not at all;
 *   - writes its own audit events (one per thing passed on, or one with
 *     counts: what its auditors read), by x->actor;
 *   - fills @p report, an empty JSON object it owns no reference to, with
 *     counts of what it did ({"left": 3, "passed_on": 1}): the answer of
 *     POST …/offboard and the employee.offboard event show it under
 *     "hooks" → its name;
 *   - returns SV_OK, or an error that rolls the whole offboarding back
 *     (SV_E_CONFLICT when something must not pass on; never a partial
 *     success);
 *   - never checks permissions of its own: the offboarding asked for
 *     directory.manage over the employee's and the successor's
 *     departments (and access.manage when the employee holds a role).
 */
#ifndef SV_PEOPLE_OFFBOARD_H
#define SV_PEOPLE_OFFBOARD_H

#include <jansson.h>

#include "core/errors.h"

struct sv_actor;
struct sv_dbc;

/** What an offboarding hook is told. Borrowed for the call. */
struct sv_offboard_ctx {
    const char *tenant_id;
    const char *account_id;   /* the employee leaving (disabled already) */
    const char *successor_id; /* an active employee of the tenant */
    const struct sv_actor *actor;
};

/** One capability's part of an offboarding (see above). */
typedef enum sv_err (*sv_offboard_fn)(struct sv_dbc *c,
                                      const struct sv_offboard_ctx *x,
                                      json_t *report);

struct sv_offboard_hook {
    const char *name; /* [a-z_]+, unique: the key of its report */
    sv_offboard_fn fn;
};

/** The hooks, one line per capability, ended by {NULL, NULL}. */
extern const struct sv_offboard_hook sv_offboard_hooks[];

/**
 * Run @p hooks (ended by {NULL, NULL}) in order inside the caller's
 * transaction; each hook's report goes into @p report under its name.
 * Stops at the first error and returns it.
 */
SV_MUST_CHECK enum sv_err
sv_offboard_run_tx(struct sv_dbc *c, const struct sv_offboard_hook *hooks,
                   const struct sv_offboard_ctx *x, json_t *report);

#endif
