/* salesvault: one binary, subcommands. */
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <sodium.h>

#include "cli/cli.h"
#include "core/json.h"

static const char usage[] =
    "Usage: salesvault COMMAND [OPTIONS]\n"
    "\n"
    "Salesvault " SV_VERSION ": a security-first, multi-tenant CRM server.\n"
    "\n"
    "Commands:\n"
    "  init      create a data directory: config, root key, TLS "
    "certificate, database\n"
    "  serve     run the HTTPS server\n"
    "  tenant    create and list tenants\n"
    "  user      add accounts, reset passwords (rescue)\n"
    "  audit     verify the tamper-evident audit chains\n"
    "  backup    encrypted online backup; `backup verify FILE` checks one\n"
    "  restore   restore a backup into an empty database (either engine)\n"
    "  device    act as the user's trusted phone: enrol, approve, scan QR\n"
    "  blacklist platform-wide IP/device blacklist: list, add, remove\n"
    "  directory import departments and employees from a CSV file\n"
    "  keys      the key centre: rotate a tenant's key, re-sealing status\n"
    "  version   print the version\n"
    "\n"
    "Every command takes --data DIR (default ./var) and --help.\n";

int
main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"init", sv_cli_init},           {"serve", sv_cli_serve},
        {"tenant", sv_cli_tenant},       {"user", sv_cli_user},
        {"audit", sv_cli_audit},         {"backup", sv_cli_backup},
        {"restore", sv_cli_restore},     {"device", sv_cli_device},
        {"blacklist", sv_cli_blacklist}, {"directory", sv_cli_directory},
        {"keys", sv_cli_keys},
    };

    if (sodium_init() < 0) {
        fputs("salesvault: libsodium failed to initialise\n", stderr);
        return 1;
    }
    sv_json_init();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("salesvault %s\n", SV_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[1], cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "salesvault: unknown command '%s'\n\n%s", argv[1], usage);
    return 2;
}
