/* Subcommands: one file each. Return the process exit code. */
#ifndef SV_CLI_CLI_H
#define SV_CLI_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include "core/errors.h"

struct sv_app;

int sv_cli_init(int argc, char **argv);
int sv_cli_serve(int argc, char **argv);
int sv_cli_tenant(int argc, char **argv);
int sv_cli_user(int argc, char **argv);
int sv_cli_audit(int argc, char **argv);
int sv_cli_backup(int argc, char **argv);
int sv_cli_restore(int argc, char **argv);
int sv_cli_device(int argc, char **argv);
int sv_cli_blacklist(int argc, char **argv);
int sv_cli_directory(int argc, char **argv);
int sv_cli_keys(int argc, char **argv);

/* ---- shared helpers (cli_common.c) ---- */

/** Print "salesvault: <msg>" to stderr; returns 1. */
int sv_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Usage error: message and a pointer to --help; returns 2. */
int sv_cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Print @p j (stolen) as one JSON document on stdout. */
void sv_cli_print_json(json_t *j);
/** Open the data directory (config, key, database); prints the error. */
bool sv_cli_open(struct sv_app *app, const char *data_dir, unsigned pool);
/** Audit actor name for CLI actions: "cli:<login user>". */
const char *sv_cli_actor(void);
/** Exit code and message for a capability error. */
int sv_cli_err(enum sv_err rc, const char *what);

/** One --option of a subcommand: a value (--name VALUE) or a flag (--name). */
struct sv_cli_opt {
    const char *name;
    const char **value; /* --name VALUE, or NULL */
    bool *flag;         /* --name, or NULL */
};

/** sv_cli_parse(): parsing went through, carry on. */
#define SV_CLI_GO (-1)

struct option;
/* At most SV_CLI_OPTS_MAX options; getopt_long returns SV_CLI_OPT + i for
 * opts[i] (above every character it returns itself). */
enum { SV_CLI_OPTS_MAX = 16, SV_CLI_OPT = 0x100 };
/** Fill @p lo (SV_CLI_OPTS_MAX + 2 entries) for getopt_long: @p opts
 * (terminated by {NULL}), then --help, returned as 'h'. */
void sv_cli_longopts(const struct sv_cli_opt *opts, struct option *lo);

/**
 * Parse the options in argv[1..argc) against @p opts (terminated by {NULL})
 * and --help, which prints @p help to stdout. Returns SV_CLI_GO to go on,
 * else the exit code to return at once: 0 after --help, 2 after a usage
 * error naming @p cmd: @p bad for an unknown option or a missing value
 * (getopt has said which), "unexpected argument" for a positional argument
 * when @p args is NULL. Otherwise *@p args is the index of the first
 * positional argument: getopt moves them to argv[*args..argc), for the
 * caller to check. Resets optind: argv may be a shifted one.
 */
int sv_cli_parse(int argc, char **argv, const char *cmd, const char *bad,
                 const char *help, const struct sv_cli_opt *opts, int *args);

#endif
