/* placeholder: being written */
#include "cli/cli.h"

int
sv_cli_device(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return sv_cli_fail("device: not built yet");
}
