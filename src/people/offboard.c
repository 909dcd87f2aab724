/* Offboarding hooks: see offboard.h. */
#include "people/offboard.h"

#include "apitoken/apitoken.h"
#include "core/log.h"
#include "directory/group.h"
#include "records/records.h"

/*
 * What passes on when an employee leaves, one line per capability, in the
 * order they run. A capability adds its line here (and its header above);
 * docs/permissions.md says how.
 */

/* Groups: the employee leaves every group it is a direct member of (a
 * privileged group's change is also an access.revoke); the groups it owns
 * pass to the successor. */
static enum sv_err
groups_hook(struct sv_dbc *c, const struct sv_offboard_ctx *x, json_t *report)
{
    return sv_group_offboard_tx(c, x->tenant_id, x->account_id, x->successor_id,
                                x->actor, report);
}

/* API tokens: every live token the employee made is revoked. */
static enum sv_err
api_tokens_hook(struct sv_dbc *c, const struct sv_offboard_ctx *x,
                json_t *report)
{
    return sv_api_token_offboard_tx(c, x->tenant_id, x->account_id, x->actor,
                                    report);
}

/* CRM records (DATA-6): every record the employee owns, the recycle
 * bin's too, passes to the successor. */
static enum sv_err
records_hook(struct sv_dbc *c, const struct sv_offboard_ctx *x, json_t *report)
{
    int64_t n = 0;
    enum sv_err rc = sv_records_offboard_tx(c, x->tenant_id, x->account_id,
                                            x->successor_id, &n);
    if (rc == SV_OK)
        json_object_set_new(report, "handed_over", json_integer(n));
    return rc;
}

const struct sv_offboard_hook sv_offboard_hooks[] = {
    {"groups", groups_hook},
    {"api_tokens", api_tokens_hook},
    {"records", records_hook},
    {NULL, NULL},
};

enum sv_err
sv_offboard_run_tx(struct sv_dbc *c, const struct sv_offboard_hook *hooks,
                   const struct sv_offboard_ctx *x, json_t *report)
{
    for (const struct sv_offboard_hook *h = hooks; h->name != NULL; h++) {
        json_t *r = json_object();
        enum sv_err rc;

        if (r == NULL)
            return SV_E_INTERNAL;
        rc = h->fn(c, x, r);
        if (rc != SV_OK) {
            json_decref(r);
            sv_log(SV_LOG_INFO, "offboarding hook refused", "%s: %s", h->name,
                   sv_err_code(rc));
            return rc;
        }
        if (json_object_set_new(report, h->name, r) != 0)
            return SV_E_INTERNAL;
    }
    return SV_OK;
}
