/* Anti-scraping quotas and this node's read meter: see quota.h. */
#include "records/quota.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct sv_quota_limits sv_quota_defaults = {{
    [SV_QUOTA_READS_MINUTE] = 600,
    [SV_QUOTA_READS_DAY] = 20000,
    [SV_QUOTA_UNMASKS_DAY] = 200,
    [SV_QUOTA_EXPORT_ROWS_DAY] = 20000,
}};

const int64_t sv_quota_min[SV_QUOTA__COUNT] = {1, 1, 0, 0};
const int64_t sv_quota_max[SV_QUOTA__COUNT] = {100000000, 100000000, 1000000,
                                               100000000};

static const char *const names[SV_QUOTA__COUNT] = {
    [SV_QUOTA_READS_MINUTE] = "reads_per_minute",
    [SV_QUOTA_READS_DAY] = "reads_per_day",
    [SV_QUOTA_UNMASKS_DAY] = "unmasks_per_day",
    [SV_QUOTA_EXPORT_ROWS_DAY] = "export_rows_per_day",
};

#define MINUTE_MS 60000LL
#define DAY_MS (24 * 3600 * 1000LL)

const char *
sv_quota_name(enum sv_quota_kind k)
{
    return (unsigned)k < SV_QUOTA__COUNT ? names[k] : NULL;
}

int64_t
sv_quota_day(int64_t now_ms)
{
    return now_ms / DAY_MS;
}

int64_t
sv_quota_retry_after(enum sv_quota_kind k, int64_t now_ms)
{
    int64_t window = k == SV_QUOTA_READS_MINUTE ? MINUTE_MS : DAY_MS;
    int64_t left = window - now_ms % window;

    return (left + 999) / 1000;
}

/* ---- the read meter ---- */

/*
 * One account's reads on this node. used() = base (the stored total when
 * last loaded or written) + inflight (being written) + pending (not yet).
 */
struct slot {
    struct slot *next;
    char tenant_id[37], account_id[37];
    int64_t minute, minute_reads; /* this node's, this calendar minute */
    int64_t day, base, inflight, pending;
    int64_t rpm, rpd; /* the limits, as of loaded_ms */
    int64_t loaded_ms, seen_ms;
    unsigned refused; /* bits of the kinds refused already on `day` */
};

#define BUCKETS 4096
/* Past this many accounts the meter counts no new one (each needs a live
 * session of a real account: a tenant of this size is 4x the benchmark). */
#define SLOTS_MAX 400000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *table[BUCKETS];
static size_t n_slots;

static unsigned
bucket(const char *tenant_id, const char *account_id)
{
    uint32_t h = 2166136261u; /* FNV-1a over both ids */

    for (const char *p = tenant_id; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    for (const char *p = account_id; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return h % BUCKETS;
}

static struct slot *
find(const char *tenant_id, const char *account_id, bool make)
{
    unsigned b = bucket(tenant_id, account_id);
    struct slot *s;

    for (s = table[b]; s != NULL; s = s->next)
        if (strcmp(s->account_id, account_id) == 0 &&
            strcmp(s->tenant_id, tenant_id) == 0)
            return s;
    if (!make || n_slots >= SLOTS_MAX || strlen(tenant_id) > 36 ||
        strlen(account_id) > 36 || (s = calloc(1, sizeof *s)) == NULL)
        return NULL;
    snprintf(s->tenant_id, sizeof s->tenant_id, "%s", tenant_id);
    snprintf(s->account_id, sizeof s->account_id, "%s", account_id);
    s->next = table[b];
    table[b] = s;
    n_slots++;
    return s;
}

/* The slot as of @p now_ms: a new minute or day starts from zero. */
static void
roll(struct slot *s, int64_t now_ms)
{
    int64_t minute = now_ms / MINUTE_MS, day = sv_quota_day(now_ms);

    if (s->minute != minute) {
        s->minute = minute;
        s->minute_reads = 0;
    }
    if (s->day != day) {
        /* Yesterday's unwritten reads stay with yesterday: the flush
         * writes them under the day they were counted in. A new day's
         * total is unknown until loaded. */
        if (s->pending == 0 && s->inflight == 0) {
            s->day = day;
            s->base = 0;
            s->refused = 0;
            s->loaded_ms = 0;
        }
    }
}

void
sv_meter_fini(void)
{
    pthread_mutex_lock(&lock);
    for (unsigned b = 0; b < BUCKETS; b++) {
        struct slot *s = table[b], *next;
        for (; s != NULL; s = next) {
            next = s->next;
            free(s);
        }
        table[b] = NULL;
    }
    n_slots = 0;
    pthread_mutex_unlock(&lock);
}

enum sv_quota_kind
sv_meter_check(const char *tenant_id, const char *account_id, int64_t now_ms,
               bool *stale)
{
    enum sv_quota_kind k = SV_QUOTA__COUNT;
    struct slot *s;

    pthread_mutex_lock(&lock);
    s = find(tenant_id, account_id, false);
    if (s != NULL)
        roll(s, now_ms);
    *stale = s == NULL || s->loaded_ms == 0 ||
             now_ms - s->loaded_ms >= SV_METER_RELOAD_MS ||
             s->day != sv_quota_day(now_ms);
    /* Refused from memory only while what the meter knows is fresh: a
     * raised limit, or another day, is read again first. */
    if (!*stale) {
        s->seen_ms = now_ms;
        if (s->minute_reads >= s->rpm)
            k = SV_QUOTA_READS_MINUTE;
        else if (s->base + s->inflight + s->pending >= s->rpd)
            k = SV_QUOTA_READS_DAY;
    }
    pthread_mutex_unlock(&lock);
    return k;
}

bool
sv_meter_load(const char *tenant_id, const char *account_id, int64_t now_ms,
              const struct sv_quota_limits *limits, int64_t day_total)
{
    struct slot *s;

    pthread_mutex_lock(&lock);
    s = find(tenant_id, account_id, true);
    if (s != NULL) {
        roll(s, now_ms);
        if (s->day == sv_quota_day(now_ms)) {
            /* The stored total holds what this node wrote; what it is
             * writing now may or may not be in it yet: counted once more
             * until the write ends (a moment's over-count, never under). */
            s->base = day_total;
            s->rpm = limits->v[SV_QUOTA_READS_MINUTE];
            s->rpd = limits->v[SV_QUOTA_READS_DAY];
            s->loaded_ms = now_ms;
            s->seen_ms = now_ms;
        }
    }
    pthread_mutex_unlock(&lock);
    return s != NULL;
}

void
sv_meter_add(const char *tenant_id, const char *account_id, int64_t now_ms,
             int64_t n)
{
    struct slot *s;

    if (n <= 0)
        return;
    pthread_mutex_lock(&lock);
    s = find(tenant_id, account_id, false);
    if (s != NULL) {
        roll(s, now_ms);
        s->minute_reads += n;
        s->pending += n;
        s->seen_ms = now_ms;
    }
    pthread_mutex_unlock(&lock);
}

bool
sv_meter_first_refusal(const char *tenant_id, const char *account_id,
                       enum sv_quota_kind k, int64_t now_ms)
{
    bool first = false;
    struct slot *s;

    pthread_mutex_lock(&lock);
    s = find(tenant_id, account_id, false);
    if (s != NULL && s->day == sv_quota_day(now_ms)) {
        first = !(s->refused & (1u << k));
        s->refused |= 1u << k;
    }
    pthread_mutex_unlock(&lock);
    return first;
}

struct due {
    char tenant_id[37], account_id[37];
    int64_t day, n;
};

/* Take every slot's pending reads into @p out (at most @p cap), as in
 * flight; forget idle slots with nothing to write. */
static size_t
take_due(int64_t now_ms, struct due *out, size_t cap)
{
    size_t n = 0;

    for (unsigned b = 0; b < BUCKETS; b++) {
        struct slot **pp = &table[b], *s;
        while ((s = *pp) != NULL) {
            if (s->pending > 0 && s->inflight == 0 && n < cap) {
                snprintf(out[n].tenant_id, 37, "%s", s->tenant_id);
                snprintf(out[n].account_id, 37, "%s", s->account_id);
                out[n].day = s->day;
                out[n].n = s->pending;
                s->inflight = s->pending;
                s->pending = 0;
                n++;
            } else if (s->pending == 0 && s->inflight == 0 &&
                       now_ms - s->seen_ms > 5 * MINUTE_MS) {
                *pp = s->next;
                free(s);
                n_slots--;
                continue;
            }
            pp = &s->next;
        }
    }
    return n;
}

int
sv_meter_flush(int64_t now_ms, sv_meter_add_fn add, void *cls)
{
    enum { BATCH = 512 };
    struct due *due = malloc(BATCH * sizeof *due);
    size_t n;
    int written = 0;

    if (due == NULL)
        return 0;
    pthread_mutex_lock(&lock);
    n = take_due(now_ms, due, BATCH);
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < n; i++) {
        int64_t total = 0;
        bool ok = add(cls, due[i].tenant_id, due[i].account_id, due[i].day,
                      due[i].n, &total);
        struct slot *s;

        pthread_mutex_lock(&lock);
        s = find(due[i].tenant_id, due[i].account_id, false);
        if (s != NULL) {
            s->inflight = 0;
            if (!ok)
                s->pending += due[i].n; /* the next flush tries again */
            else if (s->day == due[i].day)
                s->base = total; /* every node's, this one's included */
            /* A written day that has ended: the slot starts the new one. */
            roll(s, now_ms);
        }
        pthread_mutex_unlock(&lock);
        written += ok;
    }
    free(due);
    return written;
}

size_t
sv_meter_size(void)
{
    size_t n;

    pthread_mutex_lock(&lock);
    n = n_slots;
    pthread_mutex_unlock(&lock);
    return n;
}
