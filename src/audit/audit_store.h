/* audit's SQL (only here). */
#ifndef SV_AUDIT_STORE_H
#define SV_AUDIT_STORE_H

#include "audit/audit.h"
#include "db/db.h"

enum sv_qs audit_store_bump_head(struct sv_dbc *c, const char *stream,
                                 int64_t *seq, uint8_t prev[32]);
enum sv_qs audit_store_create_head(struct sv_dbc *c, const char *stream);
enum sv_qs audit_store_set_head(struct sv_dbc *c, const char *stream,
                                const uint8_t hash[32], const uint8_t sig[64]);
enum sv_qs audit_store_insert(struct sv_dbc *c,
                              const struct sv_audit_record *r);
/** @p sig is zeroed when the head has none. */
enum sv_qs audit_store_head(struct sv_dbc *c, const char *stream, int64_t *seq,
                            uint8_t hash[32], uint8_t sig[64]);
enum sv_qs audit_store_scan(struct sv_dbc *c, const char *stream,
                            sv_audit_row_fn row, void *cls);
enum sv_qs audit_store_list(struct sv_dbc *c, const struct sv_audit_query *q,
                            sv_audit_row_fn row, void *cls, int *n_rows);

#endif
