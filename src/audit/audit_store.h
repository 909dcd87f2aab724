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
/** Lock the head of @p stream (until the transaction ends) and read it. */
enum sv_qs audit_store_lock_head(struct sv_dbc *c, const char *stream,
                                 int64_t *seq, uint8_t hash[32]);
/** Set the head's sequence, hash and signature at once. */
enum sv_qs audit_store_set_head_seq(struct sv_dbc *c, const char *stream,
                                    int64_t seq, const uint8_t hash[32],
                                    const uint8_t sig[64]);
enum sv_qs audit_store_insert(struct sv_dbc *c,
                              const struct sv_audit_record *r);
/** @p sig is zeroed when the head has none. */
enum sv_qs audit_store_head(struct sv_dbc *c, const char *stream, int64_t *seq,
                            uint8_t hash[32], uint8_t sig[64]);
enum sv_qs audit_store_scan(struct sv_dbc *c, const char *stream,
                            sv_audit_row_fn row, void *cls);
enum sv_qs audit_store_count(struct sv_dbc *c, const char *tenant_id,
                             const char *action, const char *actor_id,
                             int64_t since_ms, int64_t *out);
enum sv_qs audit_store_list(struct sv_dbc *c, const struct sv_audit_query *q,
                            sv_audit_row_fn row, void *cls, int *n_rows);
/** One row per action (and UTC day, when @p by_day) of tenant
 *  @p tenant_id's security events in [since, until): @p row gets the
 *  action, the day (days since 1970-01-01; 0 when not @p by_day) and the
 *  count. */
enum sv_qs audit_store_security_counts(
    struct sv_dbc *c, const char *tenant_id, int64_t since, int64_t until,
    bool by_day,
    void (*row)(void *cls, const char *action, int64_t day, int64_t n),
    void *cls);

#endif
