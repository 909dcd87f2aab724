/*
 * Anti-scraping quotas on CRM records (DATA-4; docs/records.md, "Quotas").
 *
 * Four limits per tenant, each per account (every session of an account
 * counts together): records read per minute and per day, values unmasked
 * per day, rows exported per day. Days are UTC calendar days, minutes
 * calendar minutes: a refusal says when the window ends (Retry-After).
 *
 * Reads are the hot path: they are counted in this node's memory (the read
 * meter below) and added to the database's day total every few seconds by
 * the ticker; a node learns the others' reads when it adds its own, or
 * reloads an account's total at most every SV_METER_RELOAD_MS. So the
 * per-minute limit holds per node, the per-day limit across nodes within
 * a few seconds of reads. An account over a limit is refused from memory,
 * before any database work. Unmasks and exports are counted exactly, in
 * the transaction that shows them.
 */
#ifndef SV_RECORDS_QUOTA_H
#define SV_RECORDS_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sv_quota_kind {
    SV_QUOTA_READS_MINUTE,
    SV_QUOTA_READS_DAY,
    SV_QUOTA_UNMASKS_DAY,
    SV_QUOTA_EXPORT_ROWS_DAY,
    SV_QUOTA__COUNT
};

/** A tenant's limits, by kind. */
struct sv_quota_limits {
    int64_t v[SV_QUOTA__COUNT];
};

/** What a tenant without its own limits has. */
extern const struct sv_quota_limits sv_quota_defaults;
/** The bounds a limit may be set within, by kind. */
extern const int64_t sv_quota_min[SV_QUOTA__COUNT];
extern const int64_t sv_quota_max[SV_QUOTA__COUNT];

/** "reads_per_minute", "reads_per_day", "unmasks_per_day",
 *  "export_rows_per_day": the setting's name and the field a 429 names. */
const char *sv_quota_name(enum sv_quota_kind k);
/** The day (days since 1970-01-01 UTC) of @p now_ms. */
int64_t sv_quota_day(int64_t now_ms);
/** Whole seconds (at least 1) until the window of @p k that holds
 *  @p now_ms ends. */
int64_t sv_quota_retry_after(enum sv_quota_kind k, int64_t now_ms);

/* ---- the read meter: this node's count of records read ---- */

/** How old an account's limits and day total may get before the meter
 *  asks for them again. */
#define SV_METER_RELOAD_MS 10000

/** Forget every count (the server's end; tests). */
void sv_meter_fini(void);

/**
 * Before any database work: whether account @p account_id of @p tenant_id
 * is over a read limit by what this node knows (SV_QUOTA_READS_MINUTE or
 * SV_QUOTA_READS_DAY), else SV_QUOTA__COUNT. @p stale: the meter has no
 * limits for the account, or they are older than SV_METER_RELOAD_MS, or of
 * another day: call sv_meter_load() (from the transaction) first.
 */
enum sv_quota_kind sv_meter_check(const char *tenant_id, const char *account_id,
                                  int64_t now_ms, bool *stale);
/**
 * The account's limits and the day's total of reads as stored (every
 * node's, as added so far) for day sv_quota_day(@p now_ms). False when
 * the meter is out of memory (the read is then not counted by this node).
 */
bool sv_meter_load(const char *tenant_id, const char *account_id,
                   int64_t now_ms, const struct sv_quota_limits *limits,
                   int64_t day_total);
/** Count @p n records read by the account (after they were read). */
void sv_meter_add(const char *tenant_id, const char *account_id, int64_t now_ms,
                  int64_t n);
/**
 * Whether the first refusal of kind @p k today is this node's to report
 * (true once per account, kind and day on this node; the database's alert
 * bits make it once across nodes).
 */
bool sv_meter_first_refusal(const char *tenant_id, const char *account_id,
                            enum sv_quota_kind k, int64_t now_ms);

/**
 * Write what the meter counted: @p add is called, without the meter's
 * lock, once per account with reads not yet added, with the day and the
 * count; it adds them to the stored total and returns true and the new
 * total in @p total, or false (they are kept for the next flush).
 * Accounts idle since before @p now_ms - 5 minutes with nothing to add are
 * forgotten. Returns how many accounts were written.
 */
typedef bool (*sv_meter_add_fn)(void *cls, const char *tenant_id,
                                const char *account_id, int64_t day, int64_t n,
                                int64_t *total);
int sv_meter_flush(int64_t now_ms, sv_meter_add_fn add, void *cls);

/** Accounts the meter holds (tests). */
size_t sv_meter_size(void);

#endif
