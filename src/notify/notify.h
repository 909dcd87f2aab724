/*
 * Message delivery (DEV-6, AUTH-7, AUTH-3): SMS and e-mail through one
 * interface with three backends, chosen by [notify] backend:
 *   outbox   JSON lines appended to [notify] outbox_file (development, tests)
 *   webhook  HTTP POST of the same JSON, HMAC-SHA256 signed, retried with
 *            exponential back-off (libcurl)
 *   smtp     e-mail over SMTP/SMTPS (libcurl); SMS goes to the webhook only
 * Sending never blocks a request on the network: webhook and SMTP messages
 * go through a bounded queue served by one delivery thread. The outbox is
 * written synchronously (append + fsync) so tests can read it at once.
 */
#ifndef SV_NOTIFY_NOTIFY_H
#define SV_NOTIFY_NOTIFY_H

#include "core/errors.h"

struct sv_config;
struct sv_notify;

struct sv_message {
    const char *channel; /* "sms" or "email" */
    const char *to;      /* phone number (E.164) or e-mail address */
    const char *subject;
    const char *text;
};

/** Start the backend named by @p cfg (the delivery thread, if any). */
SV_MUST_CHECK enum sv_err sv_notify_open(const struct sv_config *cfg,
                                         struct sv_notify **out, char *err,
                                         size_t err_len);

/**
 * Hand @p m over for delivery (copied). SV_E_OVERLOADED when the queue is
 * full; SV_E_INTERNAL when the outbox cannot be written. Secrets in @p m
 * (codes) are wiped from the queue after delivery.
 */
SV_MUST_CHECK enum sv_err sv_notify_send(struct sv_notify *n,
                                         const struct sv_message *m);

/** Stop: deliver what is queued (bounded by a few seconds), then free. */
void sv_notify_close(struct sv_notify *n);

#endif
