/*
 * salesvault blacklist: platform-wide IP/device blacklist (AUTH-5).
 * Tenant admins manage their tenant's entries over the API; entries for
 * every tenant are the operator's, here.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cli/cli.h"
#include "core/util.h"
#include "identity/identity.h"
#include "risk/risk.h"

static const char help[] =
    "Usage: salesvault blacklist list [--data DIR] [--json]\n"
    "       salesvault blacklist add --ip ADDR|IPV6/64 | --device ID\n"
    "                                [--reason TEXT] [--hours N] [--data DIR]\n"
    "       salesvault blacklist remove ID [--data DIR]\n"
    "\n"
    "list:   every active entry, platform-wide and of each tenant\n"
    "add:    a platform-wide entry: sign-ins from this IP or device are\n"
    "        refused in every tenant (for --hours, default until removed)\n"
    "remove: lift an entry (platform-wide or a tenant's)\n";

static void
row(void *cls, const struct sv_blacklist_entry *e)
{
    char created[SV_RFC3339_LEN + 1], expires[SV_RFC3339_LEN + 1];
    sv_rfc3339(e->created_at, created);
    if (e->expires_at)
        sv_rfc3339(e->expires_at, expires);
    json_array_append_new(
        cls, json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s, s:s?}", "id", e->id,
                       "tenant_id", e->tenant_id, "kind", e->kind, "value",
                       e->value, "reason", e->reason, "created_at", created,
                       "expires_at", e->expires_at ? expires : NULL));
}

static void
start(void *cls)
{
    json_array_clear(cls);
}

int
sv_cli_blacklist(int argc, char **argv)
{
    const char *data = "./var", *ip = NULL, *device = NULL,
               *reason = "operator", *hours_s = NULL;
    int64_t hours = 0;
    bool as_json = false;
    const struct sv_cli_opt opts[] = {{"data", &data, NULL},
                                      {"ip", &ip, NULL},
                                      {"device", &device, NULL},
                                      {"reason", &reason, NULL},
                                      {"hours", &hours_s, NULL},
                                      {"json", NULL, &as_json},
                                      {NULL}};
    struct sv_app app;
    int code, first;

    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    argc--;
    argv++;
    code = sv_cli_parse(argc, argv, "blacklist", "unknown option", help, opts,
                        &first);
    if (code != SV_CLI_GO)
        return code;
    if (hours_s != NULL && !sv_parse_i64(hours_s, 1, 24 * 3650, &hours))
        return sv_cli_usage("blacklist", "--hours must be 1 to 87600");
    if (strcmp(sub, "list") == 0) {
        if (first != argc)
            return sv_cli_usage("blacklist", "list takes no arguments");
    } else if (strcmp(sub, "add") == 0) {
        unsigned char tmp[16];
        if ((ip == NULL) == (device == NULL) || first != argc)
            return sv_cli_usage("blacklist",
                                "add needs exactly one of --ip, --device");
        if (ip != NULL) {
            /* Stored as the server writes sources: 0:0::1 is ::1, and an
             * IPv6 /64 as its network (which is how the counters see it). */
            static char canon[64];
            const char *slash = strchr(ip, '/');
            char addr[INET6_ADDRSTRLEN];
            int af;

            if (slash != NULL) {
                size_t n = (size_t)(slash - ip);
                if (strcmp(slash, "/64") != 0 || n >= sizeof addr)
                    return sv_cli_usage("blacklist",
                                        "--ip: an address, or an IPv6 /64");
                memcpy(addr, ip, n);
                addr[n] = '\0';
                if (inet_pton(AF_INET6, addr, tmp) != 1)
                    return sv_cli_usage("blacklist",
                                        "--ip: an address, or an IPv6 /64");
                sv_guard_source(addr, canon);
            } else {
                af = inet_pton(AF_INET, ip, tmp) == 1    ? AF_INET
                     : inet_pton(AF_INET6, ip, tmp) == 1 ? AF_INET6
                                                         : 0;
                if (af == 0 || inet_ntop(af, tmp, canon, sizeof canon) == NULL)
                    return sv_cli_usage("blacklist", "--ip: not an IP address");
            }
            ip = canon;
        }
        if (device != NULL && !sv_check_uuid(device))
            return sv_cli_usage("blacklist", "--device: not a device id");
        if (strlen(reason) > 200)
            return sv_cli_usage("blacklist", "--reason: at most 200 bytes");
    } else if (strcmp(sub, "remove") == 0) {
        if (first + 1 != argc || !sv_check_uuid(argv[first]))
            return sv_cli_usage("blacklist", "remove takes one entry ID");
    } else {
        return sv_cli_usage("blacklist", "unknown subcommand '%s'", sub);
    }
    if (!sv_cli_open(&app, data, 1))
        return 1;
    if (strcmp(sub, "list") == 0) {
        json_t *items = json_array();
        enum sv_err rc = sv_blacklist_list(&app, NULL, start, row, items);
        if (rc != SV_OK) {
            json_decref(items);
            code = sv_cli_err(rc, "blacklist list");
        } else if (as_json) {
            sv_cli_print_json(json_pack("{s:o}", "items", items));
            code = 0;
        } else {
            size_t i;
            json_t *e;
            json_array_foreach(items, i, e)
            {
                const char *t =
                    json_string_value(json_object_get(e, "tenant_id"));
                printf("%s  %-6s %-40s %-20s %s%s\n",
                       json_string_value(json_object_get(e, "id")),
                       json_string_value(json_object_get(e, "kind")),
                       json_string_value(json_object_get(e, "value")),
                       json_string_value(json_object_get(e, "reason")),
                       t ? "tenant " : "platform", t ? t : "");
            }
            json_decref(items);
            code = 0;
        }
    } else if (strcmp(sub, "add") == 0) {
        char id[37];
        enum sv_err rc = sv_blacklist_add_platform(
            &app, ip ? "ip" : "device", ip ? ip : device, reason,
            hours * 3600 * 1000, sv_cli_actor(), id);
        code = rc == SV_OK ? 0 : sv_cli_err(rc, "blacklist add");
        if (rc == SV_OK)
            printf("%s\n", id);
    } else {
        struct sv_actor actor = {NULL, sv_cli_actor(), NULL, NULL};
        enum sv_err rc = sv_blacklist_lift(&app, NULL, argv[first], &actor);
        code = rc == SV_OK ? 0 : sv_cli_err(rc, "blacklist remove");
    }
    sv_app_close(&app);
    return code;
}
