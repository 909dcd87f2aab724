/* salesvault serve: the HTTPS server. */
#include <stdio.h>
#include <unistd.h>

#include "app.h"
#include "cli/cli.h"

static const char help[] =
    "Usage: salesvault serve [--data DIR] [--listen ADDR:PORT]\n"
    "\n"
    "Serve the HTTPS API until SIGTERM or SIGINT, then finish in-flight\n"
    "requests and stop. --listen overrides [server] listen; port 0 lets the\n"
    "kernel choose (the 'listening' log line says which).\n";

int
sv_cli_serve(int argc, char **argv)
{
    const char *data = "var", *listen = NULL;
    const struct sv_cli_opt opts[] = {
        {"data", &data, NULL}, {"listen", &listen, NULL}, {NULL}};
    struct sv_app app;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned pool;
    int code;

    code = sv_cli_parse(argc, argv, "serve", "bad option", help, opts, NULL);
    if (code != SV_CLI_GO)
        return code;
    char err[1024];
    if (sv_config_load(&app.cfg, data, err, sizeof err) != SV_OK)
        return sv_cli_fail("%s", err);
    /*
     * Only the I/O threads touch the database (hashing workers never do),
     * so one connection each, and one spare, is enough.
     */
    pool =
        (app.cfg.threads ? app.cfg.threads : (unsigned)(ncpu > 0 ? ncpu : 1)) +
        1;
    if (!sv_cli_open(&app, data, pool))
        return 1;
    if (listen != NULL && !sv_config_set_listen(&app.cfg, listen)) {
        sv_app_close(&app);
        return sv_cli_usage("serve", "--listen: must be ADDRESS:PORT");
    }
    enum sv_err rc = sv_app_serve(&app);
    sv_app_close(&app);
    return rc == SV_OK ? 0 : 1;
}
