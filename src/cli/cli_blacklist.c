/* placeholder: being written */
#include "cli/cli.h"

int
sv_cli_blacklist(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return sv_cli_fail("blacklist: not built yet");
}
