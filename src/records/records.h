/*
 * CRM records (issue 12; docs/records.md; DATA-1, DATA-3, DATA-6):
 * customers, contacts, opportunities, activities, with classified fields
 * (classify.h), kept by their level: plain values as they are, the
 * confidential and the secret ones sealed (one ciphertext per level and
 * record) and found by exact match through blind indexes.
 *
 * Who sees what is the permission model's (access.h): per type, read and
 * write over the tenant or a department's subtree, own (the records one
 * owns), unmask and read_secret, granted by roles like any permission. A
 * record outside the caller's read reach does not exist for it (404); a
 * record in a hidden department is hidden as the department is (DIR-3).
 *
 * The operations answer JSON the HTTP layer sends as it is: a record is
 * built for its reader here, masks and all, so that no clear value leaves
 * this module unless the policy table says it may.
 */
#ifndef SV_RECORDS_RECORDS_H
#define SV_RECORDS_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"
#include "records/classify.h"
#include "records/quota.h"

struct sv_actor;
struct sv_app;
struct sv_db;
struct sv_dbc;
struct json_t;

/** Fields a type may have: its built-in ones and the custom ones. */
#define SV_RECORD_FIELDS_MAX (16 + SV_CUSTOM_FIELDS_MAX)
/** Longest label of a custom field or a stage, in characters. */
#define SV_RECORD_LABEL_MAX 64
/** Stages of the pipeline. */
#define SV_PIPELINE_STAGES_MAX 20
/** Fields one ?unmask= may name. */
#define SV_RECORD_UNMASK_MAX 16
/** Days a record stays in the recycle bin before it is purged. */
#define SV_RECORD_BIN_DAYS 30

/** The answer of an operation refused with SV_E_VERSION_CONFLICT. */
struct sv_record_outcome {
    const char *field;       /* the field an error names, or NULL */
    int64_t current_version; /* SV_E_VERSION_CONFLICT: the stored one */
    /* SV_E_RECORDS_QUOTA_EXCEEDED (DATA-4): the quota (field names it
     * too) and the seconds until its window ends (Retry-After). */
    enum sv_quota_kind quota;
    int64_t retry_after;
    char buf[64]; /* where field points for "fields.<name>" */
};

/** A record's fields, owner and department as a create or a change
 *  gives them (the HTTP layer's body, its shape checked). */
struct sv_record_input {
    const struct json_t *fields;          /* name: string, or null to clear */
    const char *owner_id, *department_id; /* NULL: the default, or keep */
    int64_t version;                      /* a change: the version read */
};

/** A custom field to add. */
struct sv_custom_field_input {
    const char *name, *type, *level, *label; /* label NULL: the name */
    bool required, indexed;
    int64_t max; /* 0: the type's own bound */
};

/** A stage of the pipeline. */
struct sv_stage_input {
    const char *key, *label;
};

/** A type's schema for @p viewer: its fields (built-in and custom, with
 *  choices for choice fields) and what the viewer may do with the type. */
SV_MUST_CHECK enum sv_err sv_records_schema(struct sv_db *db,
                                            const char *tenant_id,
                                            enum sv_record_type type,
                                            const char *viewer,
                                            struct json_t **out);

/** Add custom field @p in to @p type (records.configure, checked by the
 *  router), audited as record.field.create. SV_E_FIELD_INVALID naming
 *  the rule's field; SV_E_EXISTS ("name"); SV_E_CONFLICT (64 fields). */
SV_MUST_CHECK enum sv_err sv_records_field_create(
    struct sv_db *db, const char *tenant_id, enum sv_record_type type,
    const struct sv_custom_field_input *in, const struct sv_actor *actor,
    struct json_t **out, struct sv_record_outcome *o);

/** The pipeline of opportunity stages ({stages: [{key, label}]}). */
SV_MUST_CHECK enum sv_err sv_records_pipeline(struct sv_db *db,
                                              const char *tenant_id,
                                              struct json_t **out);
/** Replace the pipeline with @p n stages (records.configure, checked by
 *  the router), audited as record.pipeline.update. SV_E_FIELD_INVALID
 *  ("stages": a key twice, or not a choice key); SV_E_CONFLICT ("stages":
 *  a stage removed is in use by a live opportunity). */
SV_MUST_CHECK enum sv_err
sv_records_pipeline_set(struct sv_db *db, const char *tenant_id,
                        const struct sv_stage_input *stages, size_t n,
                        const struct sv_actor *actor, struct json_t **out,
                        struct sv_record_outcome *o);

/** Create a record from @p in (its version unused), audited as
 *  record.create; @p out the record as its creator sees it. */
SV_MUST_CHECK enum sv_err
sv_records_create(struct sv_db *db, const char *tenant_id,
                  enum sv_record_type type, const struct sv_record_input *in,
                  const struct sv_actor *actor, struct json_t **out,
                  struct sv_record_outcome *o);

/**
 * Record @p id as @p actor sees it. @p unmask: comma-separated
 * confidential fields to show in clear (NULL: none), each needing the
 * type's unmask over the record (SV_E_FORBIDDEN "unmask") and audited as
 * record.reveal, as is every secret value shown.
 */
SV_MUST_CHECK enum sv_err
sv_records_get(struct sv_db *db, const char *tenant_id,
               enum sv_record_type type, const char *id, const char *unmask,
               const struct sv_actor *actor, struct json_t **out,
               struct sv_record_outcome *o);

/** Change record @p id as @p in says, audited as record.update.
 *  SV_E_VERSION_CONFLICT with the stored version for a stale one. */
SV_MUST_CHECK enum sv_err
sv_records_update(struct sv_db *db, const char *tenant_id,
                  enum sv_record_type type, const char *id,
                  const struct sv_record_input *in,
                  const struct sv_actor *actor, struct json_t **out,
                  struct sv_record_outcome *o);

/** Into the recycle bin (record.delete); SV_E_CONFLICT when live records
 *  are under it. */
SV_MUST_CHECK enum sv_err sv_records_delete(struct sv_db *db,
                                            const char *tenant_id,
                                            enum sv_record_type type,
                                            const char *id,
                                            const struct sv_actor *actor);
/** Out of the bin (record.restore); SV_E_CONFLICT when the record it
 *  belongs to is not live. */
SV_MUST_CHECK enum sv_err
sv_records_restore(struct sv_db *db, const char *tenant_id,
                   enum sv_record_type type, const char *id,
                   const struct sv_actor *actor, struct json_t **out);
/** From the bin, for good (record.purge); SV_E_CONFLICT when records are
 *  still under it. */
SV_MUST_CHECK enum sv_err sv_records_purge(struct sv_db *db,
                                           const char *tenant_id,
                                           enum sv_record_type type,
                                           const char *id,
                                           const struct sv_actor *actor);

/** A page's request (the HTTP layer's query parameters, unchecked). */
struct sv_record_page_query {
    const char *q, *where, *owner_id, *department_id, *parent_id, *sort;
    const char *cursor;
    int limit;
    bool bin; /* the recycle bin instead */
};
/** A page for @p actor: @p page a new {items, next_cursor} (null on the
 *  last page). SV_E_FIELD_INVALID names the bad parameter. */
SV_MUST_CHECK enum sv_err
sv_records_list(struct sv_db *db, const char *tenant_id,
                enum sv_record_type type, const struct sv_record_page_query *q,
                const struct sv_actor *actor, struct json_t **page,
                struct sv_record_outcome *o);

/** The offboarding hook (people/offboard.c): every record @p account_id
 *  owns goes to @p successor_id; *n how many. */
/*
 * DATA-4: a CSV export of the records a page's filters match (q->cursor,
 * q->limit and q->sort aside: name order), as the export policy of each
 * level shows them (confidential masked, secret never). Begin counts the
 * rows, takes them from the caller's export quota and records a
 * record.export event, in one transaction; then each page (at most
 * SV_RECORD_EXPORT_PAGE rows after @p cursor, NULL for the first) is read
 * with the caller's reach as it is then. @p columns: the CSV header's
 * field names (every field the export shows).
 */
#define SV_RECORD_EXPORT_PAGE 200
SV_MUST_CHECK enum sv_err sv_records_export_begin(
    struct sv_db *db, const char *tenant_id, enum sv_record_type type,
    const struct sv_record_page_query *q, const struct sv_actor *actor,
    int64_t *rows, struct json_t **columns, struct sv_record_outcome *o);
SV_MUST_CHECK enum sv_err
sv_records_export_page(struct sv_db *db, const char *tenant_id,
                       enum sv_record_type type,
                       const struct sv_record_page_query *q,
                       const struct sv_actor *actor, struct json_t **page);

/* DATA-4: the tenant's quotas (records_quota.c). */
struct sv_quota_change {
    bool set[SV_QUOTA__COUNT];
    int64_t v[SV_QUOTA__COUNT];
};
/** {"limits": {...}, "used": the caller's today, "day_ends_in"}. */
SV_MUST_CHECK enum sv_err sv_records_quotas(struct sv_db *db,
                                            const char *tenant_id,
                                            const struct sv_actor *actor,
                                            struct json_t **out);
/** Change the limits marked set (each within sv_quota_min..max: the
 *  caller checks), audited as record.quota.update; the answer as above. */
SV_MUST_CHECK enum sv_err
sv_records_quotas_set(struct sv_db *db, const char *tenant_id,
                      const struct sv_quota_change *chg,
                      const struct sv_actor *actor, struct json_t **out);
/** The ticker: this node's counted reads into the stored day totals. */
void sv_records_meter_flush(struct sv_app *app);

SV_MUST_CHECK enum sv_err sv_records_offboard_tx(struct sv_dbc *c,
                                                 const char *tenant_id,
                                                 const char *account_id,
                                                 const char *successor_id,
                                                 int64_t *n);

/** Purge what stayed in the bins past SV_RECORD_BIN_DAYS, a batch per
 *  tenant (the server's ticker, now and then). */
void sv_records_sweep(struct sv_app *app);

#endif
