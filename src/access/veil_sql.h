/*
 * DIR-3 in SQL: the filters that leave out what hidden departments keep
 * from a viewer (access.h, struct sv_veil). The veil is one text
 * parameter, ",id,id," (ids are UUIDs: no LIKE wildcard in them), or NULL
 * when nothing is hidden from the viewer, which costs nothing per row.
 * P is the parameter's number as text ("$5").
 */
#ifndef SV_ACCESS_VEIL_SQL_H
#define SV_ACCESS_VEIL_SQL_H

/* Department D (an expression) is not inside a veiled subtree. */
#define SV_VEIL_DEPARTMENT(D, P)                                               \
    "(CAST(" P " AS TEXT) IS NULL OR NOT EXISTS (SELECT 1 "                    \
    "FROM department_paths vp WHERE vp.tenant_id = $1 "                        \
    "AND vp.descendant_id = " D " "                                            \
    "AND " P " LIKE '%,' || vp.ancestor_id || ',%')) "

/* Employee A (an account id expression) is in no veiled department. */
#define SV_VEIL_EMPLOYEE(A, P)                                                 \
    "(CAST(" P " AS TEXT) IS NULL OR NOT EXISTS (SELECT 1 "                    \
    "FROM employee_departments xd JOIN department_paths vp "                   \
    "ON vp.tenant_id = xd.tenant_id AND vp.descendant_id = xd.department_id "  \
    "WHERE xd.tenant_id = $1 AND xd.account_id = " A " "                       \
    "AND " P " LIKE '%,' || vp.ancestor_id || ',%')) "

#endif
