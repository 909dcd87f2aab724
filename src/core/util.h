/* Small shared helpers: time, ids, encodings, request arenas. */
#ifndef SV_CORE_UTIL_H
#define SV_CORE_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

struct sv_arena;

#define SV_UUID_LEN 36    /* text form, without the NUL */
#define SV_RFC3339_LEN 24 /* 2026-11-25T13:01:11.123Z */

/** Wall clock, UTC milliseconds since the epoch. */
int64_t sv_now_ms(void);
/** Monotonic clock in nanoseconds, for durations. */
uint64_t sv_mono_ns(void);

/** Write a new UUIDv7 (time-ordered, 74 random bits) into @p out[37]. */
void sv_uuid7(char out[SV_UUID_LEN + 1]);
/** True when @p s is a canonical lower-case UUID string. */
bool sv_check_uuid(const char *s);
/** sv_check_uuid() as a JSON field check (struct sv_field's check). */
bool sv_check_uuid_field(const char *s, size_t len);

/** @p s, or NULL when it is NULL or empty (an optional SQL parameter). */
static inline const char *
sv_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}
/** True when @p s is exactly @p n ASCII digits (a one-time code). */
bool sv_check_digits(const char *s, size_t n);

/** Format @p ms as RFC 3339 UTC with milliseconds into @p out[25]. */
void sv_rfc3339(int64_t ms, char out[SV_RFC3339_LEN + 1]);
/** Parse RFC 3339 (Z or ±hh:mm offset, optional fraction) into UTC ms. */
SV_MUST_CHECK bool sv_rfc3339_parse(const char *s, int64_t *ms_out);

/** Lower-case hex of @p len bytes into @p out (2*len+1 bytes). */
void sv_hex(const uint8_t *in, size_t len, char *out);

/** True when @p len bytes are well-formed UTF-8 (no overlongs, surrogates). */
bool sv_utf8_valid(const char *s, size_t len);

/**
 * A printable copy of untrusted text (headers, method tokens) for storage
 * and logs: ill-formed UTF-8 and control characters become '?', and the
 * copy is cut on a character boundary to at most @p max_bytes.
 */
char *sv_sanitize_text(struct sv_arena *a, const char *s, size_t max_bytes);

/** Number of UTF-8 code points in a valid UTF-8 string. */
size_t sv_utf8_len(const char *s, size_t len);

/**
 * The key names are compared by: @p s with ASCII letters in lower case
 * (the same on both engines; other scripts as typed) into @p out, which
 * holds strlen(@p s) + 1 bytes (@p out may be @p s).
 */
void sv_ascii_lower(const char *s, char *out);

/**
 * Plain text: @p len bytes of valid UTF-8, @p min..@p max characters, no
 * control character (C0, DEL). Names and descriptions of roles, groups,
 * tokens.
 */
bool sv_check_plain_text(const char *s, size_t len, size_t min, size_t max);

/** Case-insensitive (ASCII) substring test; needle of length 0 → false. */
bool sv_contains_ci(const char *hay, const char *needle);

/** Parse a decimal integer within [min, max]; whole string must match. */
SV_MUST_CHECK bool sv_parse_i64(const char *s, int64_t min, int64_t max,
                                int64_t *out);

/*
 * Arena: request-scoped memory released once. Allocation failure aborts:
 * requests are small and bounded by the body limit.
 */
struct sv_arena;
struct sv_arena *sv_arena_new(void);
void sv_arena_free(struct sv_arena *a);
void *sv_arena_alloc(struct sv_arena *a, size_t n);
void *sv_arena_zalloc(struct sv_arena *a, size_t n);
char *sv_arena_strdup(struct sv_arena *a, const char *s);
char *sv_arena_printf(struct sv_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** malloc that aborts on failure (for small bookkeeping allocations). */
void *sv_xmalloc(size_t n);
/**
 * Make room in the growing buffer *@p buf (capacity *@p cap, @p len bytes
 * used) for @p need bytes in all: the capacity doubles from @p first and is
 * capped at @p max (the caller checks @p need against it). The old memory
 * is wiped before it is freed: buffers that may hold secrets (request and
 * response bodies). False when memory runs out (*buf unchanged).
 */
SV_MUST_CHECK bool sv_wipe_grow(char **buf, size_t *cap, size_t len,
                                size_t need, size_t first, size_t max);
void *sv_xcalloc(size_t n, size_t size);
char *sv_xstrdup(const char *s);

/**
 * Opaque page cursors: base64url of "kind:value". Decoding checks the kind
 * and returns the value (arena memory) or NULL when malformed.
 */
/**
 * A LIKE pattern (ESCAPE '\\') for @p text: ASCII letters folded to lower
 * case (as name keys are), its wildcards and the escape escaped, then "%"
 * after it, and before it too when @p anywhere. @p out holds at least
 * 2 * strlen(@p text) + 3 bytes; false when it does not.
 */
bool sv_like_pattern(const char *text, bool anywhere, char *out, size_t cap);

/**
 * A cursor of a page in (key, id) order: the row's id (a UUID) and its
 * sort key, under @p kind. Decode: false when @p cursor is not one of
 * ours (kind, UUID, a key of 1..@p key_max bytes of valid UTF-8); else the
 * id and key (arena memory).
 */
char *sv_cursor_key_encode(struct sv_arena *a, const char *kind, const char *id,
                           const char *key);
bool sv_cursor_key_decode(struct sv_arena *a, const char *kind,
                          const char *cursor, size_t key_max, const char **id,
                          const char **key);

char *sv_cursor_encode(struct sv_arena *a, const char *kind, const char *value);
const char *sv_cursor_decode(struct sv_arena *a, const char *kind,
                             const char *cursor);

/*
 * A token bucket, in memory, for a node's global limits (e.g. requests
 * that write rows before anyone is signed in). Define one with
 * SV_BUCKET_INIT(per_second, burst); it starts full.
 */
struct sv_bucket {
    pthread_mutex_t mu;
    double rate, burst, tokens;
    uint64_t at_ns;
};
#define SV_BUCKET_INIT(rate, burst)                                            \
    {                                                                          \
        PTHREAD_MUTEX_INITIALIZER, (rate), (burst), (burst), 0                 \
    }
/** Take one token; false when the bucket is empty (nothing taken). */
bool sv_bucket_take(struct sv_bucket *b);

#endif
