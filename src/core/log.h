/*
 * Structured logging: one JSON object per line on stderr. Never pass a
 * secret, a token, a password or a request body to these functions.
 */
#ifndef SV_CORE_LOG_H
#define SV_CORE_LOG_H

#include <jansson.h>

enum sv_log_level { SV_LOG_DEBUG, SV_LOG_INFO, SV_LOG_WARN, SV_LOG_ERROR };

void sv_log_set_level(enum sv_log_level l);
/** Log @p msg with extra @p fields (stolen; may be NULL). */
void sv_log_json(enum sv_log_level l, const char *msg, json_t *fields);
/** Log @p msg with a printf-formatted "detail" field. */
void sv_log(enum sv_log_level l, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Our bug: ERROR with file:line. */
#define SV_BREAK(detail)                                                       \
    sv_log(SV_LOG_ERROR, "internal error", "%s:%d: %s", __FILE__, __LINE__,    \
           (detail))
/** A client sent something it should not have: INFO, no stack. */
#define SV_BREAK_OP(detail) sv_log(SV_LOG_INFO, "client error", "%s", (detail))

#endif
