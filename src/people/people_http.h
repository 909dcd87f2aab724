/*
 * The employees of the directory (issue 11, parts 1, 2, 5 and 6):
 * GET and POST /directory/employees, GET and PATCH
 * /directory/employees/{id} (PATCH takes "state": "active" | "disabled",
 * a temporary disable), POST …/{id}/offboard and …/{id}/rehire. See
 * people/people.h for who may do what.
 *
 * A phone is typed as people type it ("+86 138 0013 8000", or a national
 * number read in the tenant's phone_region) and kept as E.164; an ID
 * number upper-cased, a mainland resident ID's check character verified.
 * Both are found by exact match (?phone=, ?id_number=) through their blind
 * indexes. While the tenant masks phones (DIR-5), every view shows them
 * masked ("138****8000"); POST …/{id}/phone/reveal shows one in clear to
 * a viewer with directory.view_phone over one of its departments,
 * audited, within the tenant's daily quota per viewer.
 */
#ifndef SV_PEOPLE_PEOPLE_HTTP_H
#define SV_PEOPLE_PEOPLE_HTTP_H

#include "http/http.h"

void people_http_list(struct sv_request *rq);
void people_http_create(struct sv_request *rq);
void people_http_get(struct sv_request *rq);
void people_http_update(struct sv_request *rq);
/** DIR-5: one phone in clear, audited and counted (people.h). */
void people_http_reveal_phone(struct sv_request *rq);
/** DIR-6: offboard with a successor ({"successor_id"}): the employee and
 *  "offboarding", what each step and hook did (people.h). */
void people_http_offboard(struct sv_request *rq);
/** DIR-6: rehire an offboarded or disabled employee: the employee and its
 *  new "temporary_password", shown once. */
void people_http_rehire(struct sv_request *rq);

#endif
