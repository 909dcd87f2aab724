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

#endif
