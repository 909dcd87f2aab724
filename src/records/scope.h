/*
 * Data scopes of CRM records (DATA-6; docs/records.md, "Data permissions"):
 * may this reader read, write, unmask or read secrets of a record, and
 * what does it reach for a page's SQL. Pure: over the reader's grants
 * (access.h), the departments it works in and the record's owner,
 * department and place; no database.
 *
 * Per type a role has a read and a write scope among four:
 *   all            records.<type>.read / write held over the tenant;
 *   subtree        the same held over a department: its subtree;
 *   department     records.<type>.team_read / team_write: the departments
 *                  the reader works in, each alone;
 *   own            records.<type>.own: the records the reader owns.
 * unmask and read_secret are held over the tenant or a subtree.
 */
#ifndef SV_RECORDS_SCOPE_H
#define SV_RECORDS_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "access/access.h"
#include "records/classify.h"

enum sv_record_act {
    SV_RACT_READ,
    SV_RACT_WRITE,
    SV_RACT_OWN,
    SV_RACT_UNMASK,
    SV_RACT_SECRET,
    SV_RACT_TEAM_READ,
    SV_RACT_TEAM_WRITE,
    SV_RACT__N
};

/** The departments an employee works in at most: a primary and 16 more. */
#define SV_RECORD_TEAMS_MAX 17

/** Who reads: the account, its grants, the departments it works in
 *  (filled only when sv_record_viewer_needs_teams() says so). */
struct sv_record_viewer {
    const char *me;
    struct sv_grants g;
    size_t nteams;
    char teams[SV_RECORD_TEAMS_MAX][37];
};

/** The permission of action @p a on records of type @p t. */
enum sv_perm sv_record_perm(enum sv_record_type t, enum sv_record_act a);
/** Whether @p v holds a department scope of any type: its departments
 *  are then needed. */
bool sv_record_viewer_needs_teams(const struct sv_record_viewer *v);
/** Add a department @p v works in: false past SV_RECORD_TEAMS_MAX. */
bool sv_record_viewer_add_team(struct sv_record_viewer *v, const char *dept);
/** Whether @p v works in department @p dept. */
bool sv_record_in_team(const struct sv_record_viewer *v, const char *dept);

/**
 * May @p v do @p a on a record of type @p t owned by @p owner in
 * department @p dept at @p place (the department and its ancestors)?
 * Reading and writing also through one's own records and the departments
 * one works in; unmasking and secrets only through grants over the place.
 */
bool sv_record_may(const struct sv_record_viewer *v, enum sv_record_type t,
                   enum sv_record_act a, const char *owner, const char *dept,
                   const struct sv_access_place *place);
/**
 * May @p v place a record of type @p t in department @p dept at @p place
 * (create it there, move it there) through a write scope of departments:
 * write over the place, or team_write with @p dept one it works in. The
 * own scope is the caller's to add (its owner and membership checks).
 */
bool sv_record_may_place(const struct sv_record_viewer *v,
                         enum sv_record_type t, const char *dept,
                         const struct sv_access_place *place);

/** What @p a reaches, for a page's SQL: everything, or the caller's own
 *  records, and a list of ",id," (a department with its subtree) and
 *  ",=id," (one department alone) entries. */
struct sv_record_reach {
    bool all, own;
    size_t n;
    char list[(SV_ACCESS_GRANTS_MAX * 2 + 1) * 37 + SV_RECORD_TEAMS_MAX * 38 +
              2];
};
void sv_record_reach_of(const struct sv_record_viewer *v, enum sv_record_type t,
                        enum sv_record_act a, struct sv_record_reach *r);

#endif
