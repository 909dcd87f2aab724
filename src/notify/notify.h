/*
 * Message delivery (DEV-6, AUTH-7, AUTH-3): SMS and e-mail through one
 * interface with three backends, chosen by [notify] backend:
 *   outbox   JSON lines appended to [notify] outbox_file (development, tests)
 *   webhook  HTTP POST of the same JSON, HMAC-SHA256 signed, retried with
 *            exponential back-off (libcurl)
 *   smtp     e-mail over SMTP/SMTPS (libcurl); SMS needs the webhook
 *            backend: an SMS handed to the smtp backend is refused
 * Sending never blocks a request on the network: webhook and SMTP messages
 * go through a bounded queue served by one delivery thread. The outbox is
 * written synchronously (append + fsync) so tests can read it at once.
 */
#ifndef SV_NOTIFY_NOTIFY_H
#define SV_NOTIFY_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"

/* Input bounds checked by sv_notify_send(), in bytes. */
#define SV_NOTIFY_TO_MAX 254
#define SV_NOTIFY_SUBJECT_MAX 200
#define SV_NOTIFY_TEXT_MAX 4000
/* Messages waiting for the delivery thread (webhook, smtp). */
#define SV_NOTIFY_QUEUE_MAX 1024

struct sv_config;
struct sv_notify;

struct sv_message {
    const char *channel; /* "sms" or "email" */
    const char *to;      /* phone number (E.164) or e-mail address */
    const char *subject;
    const char *text;
};

/**
 * Start the backend named by @p cfg (the delivery thread, if any).
 *
 * The webhook secret and the SMTP password are read here from their files;
 * a file that is empty, or readable or writable by group or others
 * (mode & 077), is refused with a message naming the file.
 *
 * @param[in]  cfg      Borrowed; only read during the call.
 * @param[out] out      The handle. Caller frees with sv_notify_close().
 * @param[out] err      A message for the operator on failure (no secrets).
 * @return SV_OK; SV_E_INTERNAL when a file cannot be opened or read, a
 *         secret file is refused, or the thread cannot start.
 */
SV_MUST_CHECK enum sv_err sv_notify_open(const struct sv_config *cfg,
                                         struct sv_notify **out, char *err,
                                         size_t err_len);

/**
 * Hand @p m over for delivery (copied).
 *
 * The message gets an id (UUIDv7) and a time (RFC 3339) and is written as
 * the JSON object {"id","time","channel","to","subject","text"}
 * (docs/auth-flow.md section 7).
 *
 * @param[in] n  The handle.
 * @param[in] m  Borrowed; only read during the call. channel is "sms" or
 *               "email"; to (1..254 bytes), subject (0..200) and text
 *               (0..4000) are non-NULL valid UTF-8; to and subject carry no
 *               control characters (no header injection); an e-mail
 *               address holds one '@' and no spaces, quotes, commas, or
 *               angle brackets.
 * @return SV_OK once written (outbox) or queued (webhook, smtp);
 *         SV_E_FIELD_INVALID for input outside the rules above;
 *         SV_E_UNAVAILABLE for an SMS with the smtp backend (SMS needs the
 *         webhook backend) or after sv_notify_close() began;
 *         SV_E_OVERLOADED when the queue is full;
 *         SV_E_INTERNAL when the outbox cannot be written.
 * Secrets in @p m (codes) are wiped from the queue after delivery. The
 * text is never logged; a dropped message is logged by id and channel.
 */
SV_MUST_CHECK enum sv_err sv_notify_send(struct sv_notify *n,
                                         const struct sv_message *m);

/**
 * Stop: deliver what is queued (bounded by about 5 s, including retries and
 * transfers in flight; what is left is logged as dropped), then free.
 * NULL is a no-op.
 */
void sv_notify_close(struct sv_notify *n);

/**
 * Tests only: the delivery back-off starts at @p base_ms and doubles per
 * failed attempt up to @p max_ms (defaults 1000 and 60000). Call before the
 * first sv_notify_send().
 */
void sv_notify_set_backoff_for_tests(struct sv_notify *n, unsigned base_ms,
                                     unsigned max_ms);

/**
 * Tests only: allow smtp:// without STARTTLS (CURLUSESSL_TRY instead of
 * CURLUSESSL_ALL), for a local fake SMTP server. Call before the first
 * sv_notify_send().
 */
void sv_notify_smtp_allow_plain_for_tests(struct sv_notify *n, bool allow);

#endif
