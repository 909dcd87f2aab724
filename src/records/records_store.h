/*
 * The SQL of CRM records (migration 014): records, their exact-match
 * terms, custom fields and the pipeline. Every statement filters on the
 * tenant. No rule lives here: records.c decides, this reads and writes.
 */
#ifndef SV_RECORDS_RECORDS_STORE_H
#define SV_RECORDS_RECORDS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "directory/field.h"

/* Largest sealed JSON object of one level. */
#define SV_RECORDS_SEALED_MAX (64 * 1024)
extern const struct sv_field_desc records_store_sealed_field;
extern const struct sv_field_desc records_store_secret_field;

/** A stored record; strings and blobs borrowed from the statement (valid
 *  during the callback), "" and NULL for NULL. */
struct records_row {
    const char *id, *type, *parent_id, *owner_id, *department_id;
    int64_t version, created_at, updated_at, deleted_at; /* 0: NULL */
    const char *name_key;
    const char *plain; /* JSON object text */
    const uint8_t *sealed, *secret;
    size_t sealed_len, secret_len;
};
/** Return false to stop (the walk then answers SV_QS_HARD). */
typedef bool (*records_row_fn)(void *cls, const struct records_row *r);

/** What an insert or an update writes. */
struct records_put {
    const char *id, *type, *parent_id; /* parent_id "" or NULL: none */
    const char *owner_id, *department_id;
    int64_t version;
    const char *name_key, *plain;
    const uint8_t *sealed, *secret; /* NULL: none */
    size_t sealed_len, secret_len;
    int64_t created_at, updated_at;
};

enum sv_qs records_store_find(struct sv_dbc *c, const char *tenant_id,
                              const char *id, records_row_fn fn, void *cls);
enum sv_qs records_store_insert(struct sv_dbc *c, const char *tenant_id,
                                const struct records_put *p);
/** Only if the stored version is still @p old_version: SV_QS_NONE when
 *  another change came first. */
enum sv_qs records_store_update(struct sv_dbc *c, const char *tenant_id,
                                const struct records_put *p,
                                int64_t old_version);
/** Into the recycle bin at @p at, from version @p version, live: SV_QS_NONE
 *  when it is no longer so (a change came first). The version grows. */
enum sv_qs records_store_bin_put(struct sv_dbc *c, const char *tenant_id,
                                 const char *id, int64_t version, int64_t at);
/** Out of the bin, from version @p version: SV_QS_NONE as above. */
enum sv_qs records_store_bin_take(struct sv_dbc *c, const char *tenant_id,
                                  const char *id, int64_t version);
/** Hold live record @p id until the transaction ends (a record is being
 *  put under it): SV_QS_NONE when it is not live. */
enum sv_qs records_store_hold_live(struct sv_dbc *c, const char *tenant_id,
                                   const char *id);
/** A record in the bin, for good: SV_QS_NONE when it is not there. */
enum sv_qs records_store_purge(struct sv_dbc *c, const char *tenant_id,
                               const char *id);
enum sv_qs records_store_terms_clear(struct sv_dbc *c, const char *tenant_id,
                                     const char *id);
enum sv_qs records_store_term_add(struct sv_dbc *c, const char *tenant_id,
                                  const char *type, const char *field,
                                  const char *term, const char *id);
/** Whether record @p id has a record under it (live ones only, or any). */
enum sv_qs records_store_has_children(struct sv_dbc *c, const char *tenant_id,
                                      const char *id, bool live_only);
/** The primary department of account @p account_id into @p out. */
enum sv_qs records_store_primary_department(struct sv_dbc *c,
                                            const char *tenant_id,
                                            const char *account_id,
                                            char out[37]);
/** Whether @p account_id works in department @p department_id. */
/** The departments account @p account_id works in (at most 17). */
typedef void (*records_team_fn)(void *cls, const char *department_id);
enum sv_qs records_store_teams(struct sv_dbc *c, const char *tenant_id,
                               const char *account_id, records_team_fn fn,
                               void *cls);
enum sv_qs records_store_member_of(struct sv_dbc *c, const char *tenant_id,
                                   const char *account_id,
                                   const char *department_id);
/** Whether @p account_id is an enabled account of the tenant. */
enum sv_qs records_store_account_enabled(struct sv_dbc *c,
                                         const char *tenant_id,
                                         const char *account_id);
/** Whether department @p id exists. */
enum sv_qs records_store_department(struct sv_dbc *c, const char *tenant_id,
                                    const char *id);

/** A custom field as stored. */
struct records_field_row {
    const char *name, *ftype, *level, *label;
    int64_t flags, max_len;
};
typedef void (*records_field_fn)(void *cls, const struct records_field_row *f);
enum sv_qs records_store_fields(struct sv_dbc *c, const char *tenant_id,
                                const char *type, records_field_fn fn,
                                void *cls);
enum sv_qs records_store_field_insert(struct sv_dbc *c, const char *tenant_id,
                                      const char *type,
                                      const struct records_field_row *f,
                                      int64_t now);

typedef void (*records_stage_fn)(void *cls, const char *key, const char *label);
enum sv_qs records_store_stages(struct sv_dbc *c, const char *tenant_id,
                                records_stage_fn fn, void *cls);
/** Hold the tenant's row until commit: one configuration change at a
 *  time (custom fields, the pipeline). */
enum sv_qs records_store_config_lock(struct sv_dbc *c, const char *tenant_id);
enum sv_qs records_store_stages_clear(struct sv_dbc *c, const char *tenant_id);
enum sv_qs records_store_stage_add(struct sv_dbc *c, const char *tenant_id,
                                   const char *key, const char *label,
                                   int64_t position);
/** Whether a live opportunity is at stage @p key. */
enum sv_qs records_store_stage_used(struct sv_dbc *c, const char *tenant_id,
                                    const char *key);

/** Offboarding: every record of @p from (the bin's too) to @p to; *n the
 *  records handed over. */
enum sv_qs records_store_hand_over(struct sv_dbc *c, const char *tenant_id,
                                   const char *from, const char *to,
                                   int64_t now, int64_t *n);

/* ---- quotas (DATA-4, quota.h) ---- */

/** The tenant's limits into @p v (4, in enum sv_quota_kind order);
 *  SV_QS_NONE: the tenant keeps the defaults. */
enum sv_qs records_store_quotas(struct sv_dbc *c, const char *tenant_id,
                                int64_t v[4]);
enum sv_qs records_store_quotas_set(struct sv_dbc *c, const char *tenant_id,
                                    const int64_t v[4], int64_t now);
/** An account's use on @p day: reads, unmasks, export rows, alert bits
 *  into @p out (zeros and SV_QS_NONE when nothing yet). */
enum sv_qs records_store_usage(struct sv_dbc *c, const char *tenant_id,
                               const char *account_id, int64_t day,
                               int64_t out[4]);
/** Add @p add (reads, unmasks, export rows) to the account's use on
 *  @p day; @p total gets the sums as they are now. */
enum sv_qs records_store_usage_add(struct sv_dbc *c, const char *tenant_id,
                                   const char *account_id, int64_t day,
                                   const int64_t add[3], int64_t total[3]);
/** Set alert bit @p bit of the account's day (the row must exist):
 *  SV_QS_ONE when it was not set before (this caller reports). */
enum sv_qs records_store_usage_alert(struct sv_dbc *c, const char *tenant_id,
                                     const char *account_id, int64_t day,
                                     int64_t bit);
/** Forget the use of the days before @p before_day. */
enum sv_qs records_store_usage_prune(struct sv_dbc *c, const char *tenant_id,
                                     int64_t before_day);
typedef void (*records_id_fn)(void *cls, const char *id);
/** The enabled accounts that hold the tenant admin role over the tenant
 *  directly (at most 100). */
enum sv_qs records_store_admins(struct sv_dbc *c, const char *tenant_id,
                                records_id_fn fn, void *cls);

/** A page's query: the reach (records.c) as parameters, the filters, the
 *  cursor. NULL: no such filter. */
struct records_query {
    const char *type;
    const char *me;    /* the owner the caller reaches its own records as,
                          "" when it has no own scope */
    bool all;          /* the whole tenant */
    const char *roots; /* ",id,id,": subtrees reached, or NULL */
    const char *veil;  /* DIR-3 (access/veil_sql.h), or NULL */
    const char *parent_id, *owner_id, *department_id;
    const char *prefix_low, *prefix_high; /* name_key range, or NULL */
    const char *term_field, *term;        /* exact match, or NULL */
    bool recent;                          /* updated_at descending, else name */
    bool own_only;                        /* the reach is own records alone */
    const char *after_id;                 /* NULL: the first page */
    const char *after_key;                /* name order */
    int64_t after_time;                   /* recent order, the bin */
    int limit;                            /* rows to read (a page and one) */
};
enum sv_qs records_store_list(struct sv_dbc *c, const char *tenant_id,
                              const struct records_query *q, records_row_fn fn,
                              void *cls);
/** The recycle bin: deleted records the reach covers, newest first. */
/** How many records the page's filters match (cursor and order aside),
 *  counting at most q->limit. */
enum sv_qs records_store_count(struct sv_dbc *c, const char *tenant_id,
                               const struct records_query *q, int64_t *n);
enum sv_qs records_store_bin(struct sv_dbc *c, const char *tenant_id,
                             const struct records_query *q, records_row_fn fn,
                             void *cls);
/** Records in the bin since before @p before with nothing under them, at
 *  most @p limit. */
enum sv_qs records_store_expired(struct sv_dbc *c, const char *tenant_id,
                                 int64_t before, int limit, records_row_fn fn,
                                 void *cls);

#endif
