#include <getopt.h>
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

void
sv_cli_longopts(const struct sv_cli_opt *opts, struct option *lo)
{
    int n = 0;

    for (; opts[n].name != NULL; n++) {
        sv_assert(n < SV_CLI_OPTS_MAX);
        lo[n] = (struct option){opts[n].name,
                                opts[n].value != NULL ? required_argument
                                                      : no_argument,
                                NULL, SV_CLI_OPT + n};
    }
    lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n] = (struct option){NULL, 0, NULL, 0};
}

int
sv_cli_parse(int argc, char **argv, const char *cmd, const char *bad,
             const char *help, const struct sv_cli_opt *opts, int *args)
{
    struct option lo[SV_CLI_OPTS_MAX + 2];
    int c;

    sv_cli_longopts(opts, lo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return 0;
        }
        if (c < SV_CLI_OPT)
            return sv_cli_usage(cmd, "%s", bad);
        if (opts[c - SV_CLI_OPT].value != NULL)
            *opts[c - SV_CLI_OPT].value = optarg;
        else
            *opts[c - SV_CLI_OPT].flag = true;
    }
    if (args != NULL)
        *args = optind;
    else if (optind != argc)
        return sv_cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    return SV_CLI_GO;
}
