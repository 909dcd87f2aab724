/*
 * Audit (AUD-1, AUD-4): append-only event streams, one per tenant (named by
 * the tenant id) and one for the platform ("platform"). Each event stores
 * hash = SHA-256("sv-audit-v1" | previous event's hash | canonical content),
 * so changing, deleting, inserting or reordering events breaks the chain.
 * Events are written inside the transaction of the change they record.
 */
#ifndef SV_AUDIT_AUDIT_H
#define SV_AUDIT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

#define SV_AUDIT_PLATFORM "platform"
#define SV_AUDIT_HASH_LEN 32

struct sv_db;
struct sv_dbc;
struct sv_keyring;

/** Every action an event can record: see actions.def. */
enum sv_audit_action {
#define SV_AUDIT_ACTION(name, wire, category) SV_AUDIT_##name,
#include "audit/actions.def"
#undef SV_AUDIT_ACTION
    SV_AUDIT__COUNT
};

/** The AUD-2 report an action's events go to (actions.def says how). */
enum sv_audit_category {
    SV_AUDIT_CAT_LOGIN_FAILURE,
    SV_AUDIT_CAT_PRIVILEGE_CHANGE,
    SV_AUDIT_CAT_CONFIG_CHANGE,
    SV_AUDIT_CAT_DENIED_ACCESS,
    SV_AUDIT_CAT_SENSITIVE_ACCESS,
    SV_AUDIT_CAT_ACTIVITY,
    SV_AUDIT_CAT__COUNT
};

/**
 * How grave a security event is (OPS-2; alert delivery filters on it
 * later): the actions that are security events have one (audit.c,
 * severities[]), every other action NONE.
 */
enum sv_audit_severity {
    SV_AUDIT_SEV_NONE,
    SV_AUDIT_SEV_LOW,
    SV_AUDIT_SEV_MEDIUM,
    SV_AUDIT_SEV_HIGH,
    SV_AUDIT_SEV_CRITICAL,
};
/** The severity of @p a's events (NONE: not a security event). */
enum sv_audit_severity sv_audit_action_severity(enum sv_audit_action a);
/** "low", "medium", "high", "critical"; NULL for NONE. */
const char *sv_audit_severity_name(enum sv_audit_severity s);

/** Wire string of @p a, e.g. "auth.login"; NULL when out of range. */
const char *sv_audit_action_name(enum sv_audit_action a);
/** Report category of @p a (ACTIVITY when out of range). */
enum sv_audit_category sv_audit_action_category(enum sv_audit_action a);
/** The action whose wire string is @p s; false when none is. */
SV_MUST_CHECK bool sv_audit_action_parse(const char *s,
                                         enum sv_audit_action *out);
/** Name of @p cat, e.g. "login_failure"; NULL when out of range. */
const char *sv_audit_category_name(enum sv_audit_category cat);

/**
 * Give the audit module the keyring whose platform key signs stream heads.
 * Call once at start-up, before any append or verify.
 */
void sv_audit_init(const struct sv_keyring *kr);

/** Who did it, from where: copied into audit events. */
struct sv_actor {
    const char *account_id;
    const char *username;
    const char *ip;
    const char *user_agent;
};

/** What happened; strings are borrowed for the call. */
struct sv_audit_event {
    const char *tenant_id; /* NULL: platform stream */
    const char *actor_id;
    const char *actor;
    const char *action; /* sv_audit_action_name(), e.g. "auth.login" */
    const char *target_type;
    const char *target_id;
    const char *ip;
    const char *user_agent;
    const char *result; /* "success", "failure", "denied" */
    const char *reason;
    const char *details; /* compact JSON object text or NULL */
};

/** A stored event, as read back (strings borrowed from the statement). */
struct sv_audit_record {
    const char *id;
    const char *stream;
    int64_t seq;
    int64_t time_ms;
    struct sv_audit_event ev;
    uint8_t prev_hash[SV_AUDIT_HASH_LEN];
    uint8_t hash[SV_AUDIT_HASH_LEN];
};

/**
 * Append @p ev to its stream. Call inside sv_db_run_tx(); the event commits
 * or rolls back with the change it records.
 */
SV_MUST_CHECK enum sv_err sv_audit_append(struct sv_dbc *c,
                                          const struct sv_audit_event *ev);

/**
 * sv_audit_append() of one event by @p actor (NULL: the system), action
 * @p action on @p target_type / @p target_id (NULL: none).
 */
SV_MUST_CHECK enum sv_err sv_audit_by(struct sv_dbc *c, const char *tenant_id,
                                      const struct sv_actor *actor,
                                      enum sv_audit_action action,
                                      const char *target_type,
                                      const char *target_id, const char *result,
                                      const char *reason, const char *details);

/**
 * sv_audit_by() of a successful event whose details are the JSON object
 * @p details (stolen: released whatever happens), with @p reason (may be
 * NULL).
 */
struct json_t;
SV_MUST_CHECK enum sv_err
sv_audit_json(struct sv_dbc *c, const char *tenant_id,
              const struct sv_actor *actor, enum sv_audit_action action,
              const char *target_type, const char *target_id,
              const char *reason, struct json_t *details);

/**
 * Many events of one tenant's stream in one transaction (a bulk import):
 * the stream's head is read and locked once, each event chained to the
 * one before it in memory and inserted (a statement the caller may batch:
 * sv_db_batch_begin), and the head written and signed once at the end:
 * one statement per event instead of three and a signature. The chain is
 * the one sv_audit_append() makes; verification cannot tell them apart.
 *
 * WARNING: no sv_audit_append() to the same stream between begin and end
 * (its event would fork the chain), and end must run before the
 * transaction commits; a transaction that fails rolls the events back.
 */
struct sv_audit_batch {
    struct sv_dbc *c;
    char stream[40];
    int64_t seq;                     /* the last event's */
    uint8_t hash[SV_AUDIT_HASH_LEN]; /* the last event's */
    size_t n;                        /* events added */
};

/** Lock tenant @p tenant_id's stream head into @p b (scoping the
 *  transaction to the tenant). */
SV_MUST_CHECK enum sv_err sv_audit_batch_begin(struct sv_dbc *c,
                                               const char *tenant_id,
                                               struct sv_audit_batch *b);
/** One event, as sv_audit_by() would write it. */
SV_MUST_CHECK enum sv_err
sv_audit_batch_add(struct sv_audit_batch *b, const struct sv_actor *actor,
                   enum sv_audit_action action, const char *target_type,
                   const char *target_id, const char *result,
                   const char *reason, const char *details);
/** Write the head (its sequence, hash and signature) once. */
SV_MUST_CHECK enum sv_err sv_audit_batch_end(struct sv_audit_batch *b);

/** The chain hash of @p r given @p prev (exposed for tests). */
void sv_audit_hash(const uint8_t prev[SV_AUDIT_HASH_LEN],
                   const struct sv_audit_record *r,
                   uint8_t out[SV_AUDIT_HASH_LEN]);

/** Result of verifying one stream. */
struct sv_audit_verdict {
    bool ok;
    int64_t events;
    /* first bad event, when !ok */
    char bad_id[40]; /* "" when the event itself is gone */
    int64_t bad_seq;
    /* "changed", "deleted", "inserted", "reordered", or "rewritten" (the
     * events chain up but the head's signature does not verify) */
    const char *problem;
};

/** Recompute stream @p stream's chain (read-only). */
SV_MUST_CHECK enum sv_err sv_audit_verify_stream(struct sv_dbc *c,
                                                 const char *stream,
                                                 struct sv_audit_verdict *out);

/** Filter for sv_audit_list(); zero/NULL fields do not filter. */
struct sv_audit_query {
    const char *tenant_id; /* required */
    const char *action;
    const char *actor_id;
    const char *result;         /* "success", "failure", "denied"; NULL: any */
    int64_t since_ms, until_ms; /* inclusive; 0 = open */
    int64_t before_seq;         /* cursor: events with seq < this; 0 = none */
    int limit;
    /* AUD-2: with has_report, only the events of one report, as
     * actions.def says which of an action's events go to it. */
    bool has_report;
    enum sv_audit_category report;
};

/** The report named @p s ("login_failure", …; not "activity"). */
SV_MUST_CHECK bool sv_audit_report_parse(const char *s,
                                         enum sv_audit_category *out);

typedef void (*sv_audit_row_fn)(void *cls, const struct sv_audit_record *r);

/**
 * This tenant's events, newest first. @p next_seq gets the cursor for the
 * next page (0 when this page is the last).
 */
SV_MUST_CHECK enum sv_err sv_audit_list(struct sv_dbc *c,
                                        const struct sv_audit_query *q,
                                        sv_audit_row_fn row, void *cls,
                                        int64_t *next_seq);

/**
 * sv_audit_list in its own read transaction; @p start(cls) runs before the
 * rows of each attempt (a retried transaction starts over).
 */
/**
 * AUD-3: record that @p actor exported tenant @p q->tenant_id's events
 * matching @p q (its filters go in the details), in its own transaction,
 * before the export is sent.
 */
SV_MUST_CHECK enum sv_err sv_audit_export_begin(struct sv_db *db,
                                                const struct sv_audit_query *q,
                                                const struct sv_actor *actor);

SV_MUST_CHECK enum sv_err sv_audit_page(struct sv_db *db,
                                        const struct sv_audit_query *q,
                                        void (*start)(void *cls),
                                        sv_audit_row_fn row, void *cls,
                                        int64_t *next_seq);

/* ---- the security dashboard (GET /admin/security/summary) ---- */

#define SV_AUDIT_SUMMARY_DAYS 30
#define SV_AUDIT_DAY_MS (24 * 60 * 60 * 1000LL)

/** Security events of one span: failed sign-ins (auth.login whose result
 *  is not "success"), name locks (security.lock) and sources blacklisted
 *  for credential stuffing (security.blacklist). */
struct sv_security_counts {
    int64_t failed_logins, locks, blacklisted;
};

struct sv_security_summary {
    int64_t first_day; /* days[0]'s UTC day, in days since 1970-01-01 */
    struct sv_security_counts last_24h; /* now - 24 h .. now */
    struct sv_security_counts last_30d; /* the sum of days[] */
    /* oldest first; the last one is today (UTC), so far */
    struct sv_security_counts days[SV_AUDIT_SUMMARY_DAYS];
};

/**
 * Tenant @p tenant_id's security counts as of @p now_ms, from its audit
 * stream, in one read transaction: two range reads of the index on
 * (tenant_id, action, time_ms, result), nothing older than 30 days read.
 */
/**
 * Inside a transaction: how many events of @p action by account
 * @p actor_id the tenant's stream has from @p since_ms on (a quota read
 * from the log itself: one range of audit_events_tenant_action).
 */
SV_MUST_CHECK enum sv_err sv_audit_count_tx(struct sv_dbc *c,
                                            const char *tenant_id,
                                            enum sv_audit_action action,
                                            const char *actor_id,
                                            int64_t since_ms, int64_t *out);

SV_MUST_CHECK enum sv_err
sv_audit_security_summary(struct sv_db *db, const char *tenant_id,
                          int64_t now_ms, struct sv_security_summary *out);

/**
 * A root moved to another key (keys migrate-root): the head of @p stream,
 * once its signature verifies with @p from, signed anew with @p to. A
 * head already signed by @p to is left; one @p from did not sign is
 * SV_E_TAMPERED (`audit verify` says more). *resigned: it was signed now.
 * Scope: the stream's (its tenant's, or the platform's).
 */
SV_MUST_CHECK enum sv_err sv_audit_resign_head(struct sv_dbc *c,
                                               const char *stream,
                                               const struct sv_keyring *from,
                                               const struct sv_keyring *to,
                                               bool *resigned);

#endif
