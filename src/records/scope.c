/* Data scopes of CRM records: see scope.h. */
#include "records/scope.h"

#include <stdio.h>
#include <string.h>

#define PERMS(T)                                                               \
    {                                                                          \
        SV_PERM_RECORDS_##T##_READ, SV_PERM_RECORDS_##T##_WRITE,               \
            SV_PERM_RECORDS_##T##_OWN, SV_PERM_RECORDS_##T##_UNMASK,           \
            SV_PERM_RECORDS_##T##_READ_SECRET,                                 \
            SV_PERM_RECORDS_##T##_TEAM_READ, SV_PERM_RECORDS_##T##_TEAM_WRITE  \
    }
static const enum sv_perm PERM[SV_RTYPE__N][SV_RACT__N] = {
    [SV_RTYPE_CUSTOMER] = PERMS(CUSTOMER),
    [SV_RTYPE_CONTACT] = PERMS(CONTACT),
    [SV_RTYPE_OPPORTUNITY] = PERMS(OPPORTUNITY),
    [SV_RTYPE_ACTIVITY] = PERMS(ACTIVITY),
};
#undef PERMS

enum sv_perm
sv_record_perm(enum sv_record_type t, enum sv_record_act a)
{
    return PERM[t][a];
}

bool
sv_record_viewer_needs_teams(const struct sv_record_viewer *v)
{
    for (int t = 0; t < SV_RTYPE__N; t++)
        if (sv_access_holds(&v->g, PERM[t][SV_RACT_TEAM_READ]) ||
            sv_access_holds(&v->g, PERM[t][SV_RACT_TEAM_WRITE]))
            return true;
    return false;
}

bool
sv_record_viewer_add_team(struct sv_record_viewer *v, const char *dept)
{
    if (v->nteams >= SV_RECORD_TEAMS_MAX || strlen(dept) >= sizeof v->teams[0])
        return false;
    snprintf(v->teams[v->nteams++], sizeof v->teams[0], "%s", dept);
    return true;
}

bool
sv_record_in_team(const struct sv_record_viewer *v, const char *dept)
{
    for (size_t i = 0; dept != NULL && i < v->nteams; i++)
        if (strcmp(v->teams[i], dept) == 0)
            return true;
    return false;
}

/* The department scope of action @p a (read or write) over @p dept. */
static bool
team_may(const struct sv_record_viewer *v, enum sv_record_type t,
         enum sv_record_act a, const char *dept)
{
    return sv_record_in_team(v, dept) &&
           sv_access_allows(&v->g,
                            PERM[t][a == SV_RACT_READ ? SV_RACT_TEAM_READ
                                                      : SV_RACT_TEAM_WRITE],
                            NULL);
}

bool
sv_record_may(const struct sv_record_viewer *v, enum sv_record_type t,
              enum sv_record_act a, const char *owner, const char *dept,
              const struct sv_access_place *place)
{
    if (sv_access_allows(&v->g, PERM[t][a], place))
        return true;
    if (a != SV_RACT_READ && a != SV_RACT_WRITE)
        return false;
    if (owner != NULL && strcmp(owner, v->me) == 0 &&
        sv_access_allows(&v->g, PERM[t][SV_RACT_OWN], NULL))
        return true;
    return team_may(v, t, a, dept);
}

bool
sv_record_may_place(const struct sv_record_viewer *v, enum sv_record_type t,
                    const char *dept, const struct sv_access_place *place)
{
    return sv_access_allows(&v->g, PERM[t][SV_RACT_WRITE], place) ||
           team_may(v, t, SV_RACT_WRITE, dept);
}

void
sv_record_reach_of(const struct sv_record_viewer *v, enum sv_record_type t,
                   enum sv_record_act a, struct sv_record_reach *r)
{
    enum sv_perm p = PERM[t][a];
    size_t off = 1;

    memset(r, 0, sizeof *r);
    r->list[0] = ',';
    r->own = sv_access_allows(&v->g, PERM[t][SV_RACT_OWN], NULL);
    /* The departments one works in, each alone: "=id" (the page SQL's
     * test for one department without its subtree). */
    if ((a == SV_RACT_READ || a == SV_RACT_WRITE) &&
        sv_access_allows(
            &v->g,
            PERM[t][a == SV_RACT_READ ? SV_RACT_TEAM_READ : SV_RACT_TEAM_WRITE],
            NULL)) {
        for (size_t i = 0; i < v->nteams && off + 39 < sizeof r->list; i++) {
            off += (size_t)snprintf(r->list + off, sizeof r->list - off, "=%s,",
                                    v->teams[i]);
            r->n++;
        }
    }
    for (size_t i = 0; i < v->g.n; i++) {
        const struct sv_grant *gr = &v->g.at[i];
        if (!(gr->perms & SV_PERM_BIT(p)))
            continue;
        if (gr->scope == SV_SCOPE_TENANT) {
            r->all = true;
        } else if (gr->scope == SV_SCOPE_DEPARTMENT &&
                   off + 38 < sizeof r->list) {
            off += (size_t)snprintf(r->list + off, sizeof r->list - off, "%s,",
                                    gr->scope_id);
            r->n++;
        }
    }
}
