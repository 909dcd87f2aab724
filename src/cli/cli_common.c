#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cli/cli.h"

int
sv_cli_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("salesvault: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int
sv_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "salesvault %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'salesvault %s --help'.\n", cmd);
    return 2;
}

void
sv_cli_print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (s != NULL) {
        puts(s);
        free(s);
    }
}

bool
sv_cli_open(struct sv_app *app, const char *data_dir, unsigned pool)
{
    char err[1024] = "";
    if (sv_app_open(app, data_dir, pool, err, sizeof err) != SV_OK) {
        sv_cli_fail("%s", err[0] ? err : "cannot open the data directory");
        return false;
    }
    return true;
}

const char *
sv_cli_actor(void)
{
    static char name[96];
    struct passwd *pw = getpwuid(getuid());
    snprintf(name, sizeof name, "cli:%s", pw != NULL ? pw->pw_name : "unknown");
    return name;
}

int
sv_cli_err(enum sv_err rc, const char *what)
{
    return sv_cli_fail("%s: %s (%s)", what, sv_err_message(rc),
                       sv_err_code(rc));
}
