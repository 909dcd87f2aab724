/* salesvault.conf: defaults, good values, and each bad value named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"

static enum sv_err
parse(const char *text, struct sv_config *c, char *err)
{
    sv_config_defaults(c, "/data");
    return sv_config_parse(c, text, err, 256);
}

static void
test_config_template_parses(void **state)
{
    (void)state;
    struct sv_config c;
    char err[256] = "";
    assert_int_equal(parse(sv_config_template, &c, err), SV_OK);
    assert_string_equal(c.listen_addr, "127.0.0.1");
    assert_int_equal(c.listen_port, 8443);
    assert_int_equal(c.max_body, 65536);
    assert_string_equal(c.db_path, "/data/salesvault.db");
    assert_string_equal(c.tls_cert, "/data/tls/cert.pem");
    assert_int_equal(c.pw_memlimit, 64u << 20);
    assert_int_equal(c.idle_timeout_ms, 1800 * 1000);
}

static void
test_config_values(void **state)
{
    (void)state;
    struct sv_config c;
    char err[256] = "";
    assert_int_equal(parse("[server]\nlisten = [::1]:9000\n"
                           "[database]\npath = /abs/db.sqlite\n"
                           "[session]\nidle_timeout_s = 5\n",
                           &c, err),
                     SV_OK);
    assert_string_equal(c.listen_addr, "::1");
    assert_int_equal(c.listen_port, 9000);
    assert_string_equal(c.db_path, "/abs/db.sqlite");
    assert_int_equal(c.idle_timeout_ms, 5000);
}

static void
test_config_rejects_bad_values(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *want; /* substring of the error */
    } cases[] = {
        {"[server]\nlisten = localhost:8443\n", "[server] listen"},
        {"[server]\nlisten = 127.0.0.1:70000\n", "[server] listen"},
        {"[server]\nlisten = 127.0.0.1\n", "[server] listen"},
        {"[server]\nthreads = -1\n", "[server] threads"},
        {"[server]\nthreads = two\n", "[server] threads"},
        {"[server]\nmax_body = 10\n", "[server] max_body"},
        {"[server]\nmax_body = 99999999999\n", "[server] max_body"},
        {"[password]\nopslimit = 0\n", "[password] opslimit"},
        {"[password]\nmemlimit_kib = 1024\n", "[password] memlimit_kib"},
        {"[session]\nidle_timeout_s = 0\n", "[session] idle_timeout_s"},
        {"[session]\nidle_timeout_s = 100\nabsolute_lifetime_s = 10\n",
         "must not exceed"},
        {"[database]\nurl = mysql://x\n", "[database] url"},
        {"[log]\nlevel = loud\n", "[log] level"},
        {"[server]\nlisten_port = 1\n", "unknown setting"},
        {"[nonsense]\nx = 1\n", "unknown setting"},
        {"[server\nlisten = 1\n", "outside any [section]"},
        {"[server]\nlisten\n", "syntax"},
        {"[tls]\ncert =\n", "[tls] cert"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sv_config c;
        char err[256] = "";
        if (parse(cases[i].text, &c, err) == SV_OK)
            fail_msg("case %zu accepted: %s", i, cases[i].text);
        if (strstr(err, cases[i].want) == NULL)
            fail_msg("case %zu: error '%s' lacks '%s'", i, err, cases[i].want);
    }
}

static void
test_config_load_missing_file(void **state)
{
    (void)state;
    struct sv_config c;
    char err[512] = "";
    assert_int_equal(sv_config_load(&c, "/nonexistent-dir", err, sizeof err),
                     SV_E_NOT_FOUND);
    assert_non_null(strstr(err, "salesvault init"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_template_parses),
        cmocka_unit_test(test_config_values),
        cmocka_unit_test(test_config_rejects_bad_values),
        cmocka_unit_test(test_config_load_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
