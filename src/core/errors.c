#include "core/errors.h"

#include <stdio.h>
#include <stdlib.h>

static const struct {
    unsigned status;
    const char *code;
    const char *msg;
} catalogue[] = {
#define SV_ERR(name, status, code, msg) {status, code, msg},
#include "core/errors.def"
#undef SV_ERR
};

unsigned
sv_err_status(enum sv_err e)
{
    if ((unsigned)e >= SV_E__COUNT)
        return 500;
    return catalogue[e].status;
}

const char *
sv_err_code(enum sv_err e)
{
    if ((unsigned)e >= SV_E__COUNT)
        return "internal";
    return catalogue[e].code;
}

const char *
sv_err_message(enum sv_err e)
{
    if ((unsigned)e >= SV_E__COUNT)
        return "Internal server error";
    return catalogue[e].msg;
}

/* Source text may hold quotes: keep the line valid JSON without jansson. */
static void
put_escaped(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', stderr);
        fputc((unsigned char)*s < 0x20 ? ' ' : *s, stderr);
    }
}

void
sv_abort_at(const char *file, int line, const char *what)
{
    fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"assertion failed\","
                    "\"where\":\"");
    put_escaped(file);
    fprintf(stderr, ":%d\",\"what\":\"", line);
    put_escaped(what);
    fputs("\"}\n", stderr);
    abort();
}
