#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

static enum sv_log_level threshold = SV_LOG_INFO;

static const char *const names[] = {"debug", "info", "warn", "error"};

void
sv_log_set_level(enum sv_log_level l)
{
    threshold = l;
}

void
sv_log_json(enum sv_log_level l, const char *msg, json_t *fields)
{
    char ts[SV_RFC3339_LEN + 1];
    json_t *o;
    char *line;

    if (l < threshold) {
        json_decref(fields);
        return;
    }
    o = json_object();
    sv_rfc3339(sv_now_ms(), ts);
    json_object_set_new(o, "time", json_string(ts));
    json_object_set_new(o, "level", json_string(names[l]));
    json_object_set_new(o, "msg", json_string(msg));
    if (fields != NULL) {
        json_object_update(o, fields);
        json_decref(fields);
    }
    line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
                             JSON_REAL_PRECISION(6));
    json_decref(o);
    if (line == NULL)
        return;
    size_t n = strlen(line);
    line[n] = '\n'; /* replace the NUL: one write() keeps lines whole */
    ssize_t w = write(STDERR_FILENO, line, n + 1);
    (void)w;
    free(line);
}

void
sv_log(enum sv_log_level l, const char *msg, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (l < threshold)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sv_log_json(l, msg, json_pack("{s:s}", "detail", buf));
}
