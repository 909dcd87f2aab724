/*
 * Message delivery (DEV-6, AUTH-7): outbox lines, input bounds, the signed
 * webhook with retries against a local libmicrohttpd receiver, secret file
 * permissions, and e-mail through a fake SMTP server thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "notify/notify.h"

#define SECRET "webhook-secret-for-tests"
/* The code inside a text: must reach the receiver, never the log. */
#define CODE_TEXT "Your login code is 482913"

/* ---- fixtures -------------------------------------------------------------
 */

struct fx {
    char dir[64];
    struct sv_config cfg;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sv_notify_XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    sv_config_defaults(&f->cfg, f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    (void)rc;
    free(f);
    return 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, mode), 0); /* umask-proof */
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static char *
read_all(const char *path)
{
    FILE *fp = fopen(path, "rb");
    static char buf[65536];
    size_t n;
    assert_non_null(fp);
    n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static void
hmac_hex(const char *key, const char *ts, const char *body, size_t body_len,
         char out[65])
{
    crypto_auth_hmacsha256_state st;
    uint8_t mac[32];
    crypto_auth_hmacsha256_init(&st, (const uint8_t *)key, strlen(key));
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sv_hex(mac, 32, out);
}

/* ---- outbox ---------------------------------------------------------------
 */

static void
check_line(const char *line, const char *channel, const char *to,
           const char *subject, const char *text)
{
    json_error_t jerr;
    json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    int64_t ms;

    assert_non_null(o);
    assert_int_equal(json_object_size(o), 6);
    assert_true(sv_check_uuid(json_string_value(json_object_get(o, "id"))));
    assert_true(
        sv_rfc3339_parse(json_string_value(json_object_get(o, "time")), &ms));
    assert_true(ms > sv_now_ms() - 60000 && ms <= sv_now_ms());
    assert_string_equal(json_string_value(json_object_get(o, "channel")),
                        channel);
    assert_string_equal(json_string_value(json_object_get(o, "to")), to);
    assert_string_equal(json_string_value(json_object_get(o, "subject")),
                        subject);
    assert_string_equal(json_string_value(json_object_get(o, "text")), text);
    json_decref(o);
}

static void
test_notify_outbox_writes_json_lines(void **state)
{
    struct fx *f = *state;
    struct sv_notify *n = NULL;
    char err[256];
    struct stat st;
    const char *odd = "Code: 123456\n\"quoted\" \\ Grüße 你好";

    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err), SV_OK);
    struct sv_message sms = {"sms", "+8613800000000", "", CODE_TEXT};
    struct sv_message mail = {"email", "a@example.com", "Reset — Zurücksetzen",
                              odd};
    assert_int_equal(sv_notify_send(n, &sms), SV_OK);
    assert_int_equal(sv_notify_send(n, &mail), SV_OK);

    /* Synchronous: readable before close. */
    char *all = read_all(f->cfg.outbox);
    char *nl = strchr(all, '\n');
    assert_non_null(nl);
    *nl = '\0';
    check_line(all, "sms", "+8613800000000", "", CODE_TEXT);
    char *second = nl + 1;
    nl = strchr(second, '\n');
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0'); /* exactly two lines */
    *nl = '\0';
    check_line(second, "email", "a@example.com", "Reset — Zurücksetzen", odd);

    assert_int_equal(stat(f->cfg.outbox, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    sv_notify_close(n);
}

static void
test_notify_outbox_tightens_mode(void **state)
{
    struct fx *f = *state;
    struct sv_notify *n = NULL;
    char err[256];
    struct stat st;

    write_file(f->cfg.outbox, "", 0644);
    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err), SV_OK);
    assert_int_equal(stat(f->cfg.outbox, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    sv_notify_close(n);
}

static void
test_notify_send_rejects_bad_input(void **state)
{
    struct fx *f = *state;
    struct sv_notify *n = NULL;
    char err[256];
    char to255[256], to254[255], subj201[202], text4001[4002];
    struct stat st;

    memset(to255, '1', 255);
    to255[255] = '\0';
    memset(to254, '1', 254);
    to254[254] = '\0';
    memset(subj201, 's', 201);
    subj201[201] = '\0';
    memset(text4001, 't', 4001);
    text4001[4001] = '\0';

    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err), SV_OK);
    const struct sv_message bad[] = {
        {NULL, "+1555", "s", "t"},
        {"fax", "+1555", "s", "t"},
        {"SMS", "+1555", "s", "t"},
        {"sms", NULL, "s", "t"},
        {"sms", "+1555", NULL, "t"},
        {"sms", "+1555", "s", NULL},
        {"sms", "", "s", "t"},
        {"sms", to255, "s", "t"},
        {"sms", "+1555", subj201, "t"},
        {"sms", "+1555", "s", text4001},
        {"sms", "+1555", "s", "bad \xc3\x28 utf-8"},
        {"sms", "+1555", "s", "nul-ish \x01 control"},
        {"email", "a@example.com", "x\r\nBcc: victim@example.com", "t"},
        {"email", "a@example.com\r\nBcc: v@example.com", "s", "t"},
        {"email", "no-at-sign", "s", "t"},
        {"email", "a@b@c", "s", "t"},
        {"email", "Eve <eve@example.com>", "s", "t"},
        {"email", "a@example.com,b@example.com", "s", "t"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sv_notify_send(n, &bad[i]), SV_E_FIELD_INVALID);
    assert_int_equal(stat(f->cfg.outbox, &st), 0);
    assert_int_equal(st.st_size, 0); /* nothing written */

    /* The bounds themselves are accepted. */
    subj201[200] = '\0';
    text4001[4000] = '\0';
    struct sv_message edge = {"sms", to254, subj201, text4001};
    assert_int_equal(sv_notify_send(n, &edge), SV_OK);
    struct sv_message tabs = {"email", "a@example.com", "", "a\tb\r\nc"};
    assert_int_equal(sv_notify_send(n, &tabs), SV_OK);
    sv_notify_close(n);
}

/* ---- webhook receiver (libmicrohttpd, plain HTTP on 127.0.0.1) ------------
 */

enum rx_mode { RX_FAIL_FIRST, RX_FAIL_ALWAYS };

struct rx {
    pthread_mutex_t mu;
    enum rx_mode mode;
    unsigned attempts;
    unsigned good_sigs;
    bool json_type;
    char body[8192];
    size_t body_len;
    struct MHD_Daemon *d;
    uint16_t port;
};

struct rx_conn {
    char buf[8192];
    size_t len;
    bool overflow;
};

static enum MHD_Result
rx_handler(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
    struct rx *rx = cls;
    struct rx_conn *cc = *con_cls;
    const char *ts, *sig, *ctype;
    char want[65];
    struct MHD_Response *resp;
    unsigned status;
    enum MHD_Result ret;
    bool good = false;

    (void)url, (void)version;
    if (cc == NULL) {
        *con_cls = cc = calloc(1, sizeof *cc);
        return cc != NULL ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size > 0) {
        if (cc->len + *upload_data_size >= sizeof cc->buf)
            cc->overflow = true;
        else {
            memcpy(cc->buf + cc->len, upload_data, *upload_data_size);
            cc->len += *upload_data_size;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-SV-Timestamp");
    sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-SV-Signature");
    ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (ts != NULL && sig != NULL && !cc->overflow &&
        strcmp(method, "POST") == 0) {
        long long t = atoll(ts);
        long long now = (long long)(sv_now_ms() / 1000);
        hmac_hex(SECRET, ts, cc->buf, cc->len, want);
        good = strcmp(sig, want) == 0 && t > now - 60 && t <= now + 1;
    }
    pthread_mutex_lock(&rx->mu);
    rx->attempts++;
    if (good)
        rx->good_sigs++;
    rx->json_type = ctype != NULL && strcmp(ctype, "application/json") == 0;
    memcpy(rx->body, cc->buf, cc->len);
    rx->body[cc->len] = '\0';
    rx->body_len = cc->len;
    status = (rx->mode == RX_FAIL_ALWAYS ||
              (rx->mode == RX_FAIL_FIRST && rx->attempts == 1))
                 ? MHD_HTTP_INTERNAL_SERVER_ERROR
                 : MHD_HTTP_OK;
    pthread_mutex_unlock(&rx->mu);
    resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void
rx_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void
rx_start(struct rx *rx, enum rx_mode mode)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    const union MHD_DaemonInfo *info;

    memset(rx, 0, sizeof *rx);
    pthread_mutex_init(&rx->mu, NULL);
    rx->mode = mode;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rx->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        rx_handler, rx, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
        MHD_OPTION_NOTIFY_COMPLETED, rx_completed, NULL, MHD_OPTION_END);
    assert_non_null(rx->d);
    info = MHD_get_daemon_info(rx->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    rx->port = info->port;
    assert_true(rx->port != 0);
}

static void
rx_stop(struct rx *rx)
{
    MHD_stop_daemon(rx->d);
    pthread_mutex_destroy(&rx->mu);
}

static void
webhook_config(struct fx *f, uint16_t port, mode_t secret_mode)
{
    f->cfg.notify_backend = SV_NOTIFY_WEBHOOK;
    snprintf(f->cfg.webhook_url, sizeof f->cfg.webhook_url,
             "http://127.0.0.1:%u/hook", (unsigned)port);
    snprintf(f->cfg.webhook_secret_file, sizeof f->cfg.webhook_secret_file,
             "%s/webhook.secret", f->dir);
    write_file(f->cfg.webhook_secret_file, SECRET "\n", secret_mode);
}

/* Our receiver's check is HMAC-SHA256 itself: RFC 4231 test case 2. */
static void
test_notify_hmac_known_answer(void **state)
{
    (void)state;
    crypto_auth_hmacsha256_state st;
    uint8_t mac[32];
    char hex[65];
    const char *data = "what do ya want for nothing?";
    crypto_auth_hmacsha256_init(&st, (const uint8_t *)"Jefe", 4);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)data, strlen(data));
    crypto_auth_hmacsha256_final(&st, mac);
    sv_hex(mac, 32, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c7"
                             "5a003f089d2739839dec58b964ec3843");
}

static void
test_notify_webhook_signed_and_retried(void **state)
{
    struct fx *f = *state;
    struct sv_notify *n = NULL;
    struct rx rx;
    char err[256] = "";
    uint64_t t0;

    rx_start(&rx, RX_FAIL_FIRST);
    webhook_config(f, rx.port, 0600);
    f->cfg.notify_retries = 3;
    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err), SV_OK);
    sv_notify_set_backoff_for_tests(n, 20, 100);
    struct sv_message m = {"sms", "+8613800000000", "Login", CODE_TEXT " — ü"};
    t0 = sv_mono_ns();
    assert_int_equal(sv_notify_send(n, &m), SV_OK);
    /* Sending does not wait for the network: nothing may have arrived yet,
     * and closing drains the queue. */
    sv_notify_close(n);
    assert_true(sv_mono_ns() - t0 < 4000000000ull);

    pthread_mutex_lock(&rx.mu);
    assert_int_equal(rx.attempts, 2); /* 500, then 200 */
    assert_int_equal(rx.good_sigs, 2);
    assert_true(rx.json_type);
    check_line(rx.body, "sms", "+8613800000000", "Login", CODE_TEXT " — ü");
    pthread_mutex_unlock(&rx.mu);
    rx_stop(&rx);
}

static void
test_notify_webhook_gives_up_and_never_logs_text(void **state)
{
    struct fx *f = *state;
    struct sv_notify *n = NULL;
    struct rx rx;
    char err[256] = "", log_path[128];
    int saved, lfd;

    rx_start(&rx, RX_FAIL_ALWAYS);
    webhook_config(f, rx.port, 0600);
    f->cfg.notify_retries = 3;
    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err), SV_OK);
    sv_notify_set_backoff_for_tests(n, 5, 10);

    /* Capture our log lines (stderr). */
    snprintf(log_path, sizeof log_path, "%s/log", f->dir);
    lfd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(lfd >= 0);
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    dup2(lfd, STDERR_FILENO);
    struct sv_message m = {"email", "bob@example.com", "Code", CODE_TEXT};
    assert_int_equal(sv_notify_send(n, &m), SV_OK);
    sv_notify_close(n);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(lfd);

    pthread_mutex_lock(&rx.mu);
    assert_int_equal(rx.attempts, 3); /* notify_retries attempts, no more */
    assert_int_equal(rx.good_sigs, 3);
    pthread_mutex_unlock(&rx.mu);
    rx_stop(&rx);

    char *log = read_all(log_path);
    assert_non_null(strstr(log, "notify: message dropped"));
    assert_non_null(strstr(log, "\"channel\":\"email\""));
    assert_null(strstr(log, "482913"));
    assert_null(strstr(log, SECRET));
}

static void
test_notify_webhook_refuses_open_secret_file(void **state)
{
    struct fx *f = *state;
    struct sv_notify *n = NULL;
    char err[256] = "";

    webhook_config(f, 9, 0644);
    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err),
                     SV_E_INTERNAL);
    assert_null(n);
    assert_non_null(strstr(err, f->cfg.webhook_secret_file));
    assert_null(strstr(err, SECRET));

    write_file(f->cfg.webhook_secret_file, SECRET, 0640);
    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err),
                     SV_E_INTERNAL);

    write_file(f->cfg.webhook_secret_file, "\n", 0600); /* empty */
    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err),
                     SV_E_INTERNAL);
    assert_non_null(strstr(err, "empty"));

    snprintf(f->cfg.webhook_secret_file, sizeof f->cfg.webhook_secret_file,
             "%s/missing.secret", f->dir);
    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err),
                     SV_E_INTERNAL);
    assert_non_null(strstr(err, "missing.secret"));
}

static void
test_notify_queue_full_and_close_bounded(void **state)
{
    struct fx *f = *state;
    struct sv_notify *n = NULL;
    char err[256] = "";
    struct sv_message m = {"sms", "+15550000", "", "t"};
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t sl = sizeof sin;
    unsigned ok = 0;
    enum sv_err rc = SV_OK;
    uint64_t t0;
    int lfd;

    /* A receiver that accepts connections (backlog) but never answers:
     * the first delivery hangs, so the queue fills deterministically. */
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(lfd, 16), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);

    webhook_config(f, ntohs(sin.sin_port), 0600);
    f->cfg.notify_retries = 1;
    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err), SV_OK);
    for (unsigned i = 0; i < SV_NOTIFY_QUEUE_MAX + 2 && rc == SV_OK; i++) {
        rc = sv_notify_send(n, &m);
        if (rc == SV_OK)
            ok++;
    }
    assert_int_equal(rc, SV_E_OVERLOADED);
    assert_true(ok >= SV_NOTIFY_QUEUE_MAX);
    assert_true(ok <= SV_NOTIFY_QUEUE_MAX + 1); /* + the one in flight */

    /* Draining is bounded: the hung transfer is cut off and the rest
     * dropped (logged by id; quiet here). */
    sv_log_set_level(SV_LOG_ERROR);
    t0 = sv_mono_ns();
    sv_notify_close(n);
    sv_log_set_level(SV_LOG_INFO);
    assert_true(sv_mono_ns() - t0 < 7000000000ull);
    close(lfd);
}

/* ---- SMTP: a fake server thread on 127.0.0.1 ------------------------------
 */

struct smtp_fake {
    int lfd;
    uint16_t port;
    pthread_t th;
    char mail_from[256];
    char rcpt_to[256];
    char auth[256]; /* decoded "\0user\0pass" as "user:pass" */
    char data[32768];
    size_t data_len;
    bool quit;
};

static void
say(int fd, const char *s)
{
    ssize_t w = write(fd, s, strlen(s));
    (void)w;
}

static void
rstrip(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static void
decode_plain(struct smtp_fake *sf, const char *b64)
{
    unsigned char raw[256];
    size_t len = 0;
    if (sodium_base642bin(raw, sizeof raw - 1, b64, strlen(b64), NULL, &len,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
        return;
    raw[len] = '\0';
    /* authzid \0 authcid \0 passwd */
    const char *user = (const char *)raw + strlen((const char *)raw) + 1;
    const char *pass = user + strlen(user) + 1;
    if ((size_t)(pass - (const char *)raw) <= len)
        snprintf(sf->auth, sizeof sf->auth, "%s:%s", user, pass);
}

static void *
smtp_fake_main(void *cls)
{
    struct smtp_fake *sf = cls;
    struct pollfd pfd = {.fd = sf->lfd, .events = POLLIN};
    struct timeval tv = {.tv_sec = 10};
    char line[2048];
    FILE *in;
    int fd;

    if (poll(&pfd, 1, 10000) != 1)
        return NULL;
    fd = accept(sf->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    in = fdopen(dup(fd), "r");
    say(fd, "220 fake.test ESMTP\r\n");
    while (fgets(line, sizeof line, in) != NULL) {
        rstrip(line);
        if (strncasecmp(line, "EHLO", 4) == 0) {
            /* No STARTTLS offered: only CURLUSESSL_TRY goes on. */
            say(fd, "250-fake.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n");
        } else if (strncasecmp(line, "AUTH PLAIN", 10) == 0) {
            if (line[10] == ' ' && line[11] != '\0') {
                decode_plain(sf, line + 11);
            } else {
                say(fd, "334 \r\n");
                if (fgets(line, sizeof line, in) == NULL)
                    break;
                rstrip(line);
                decode_plain(sf, line);
            }
            say(fd, "235 ok\r\n");
        } else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
            snprintf(sf->mail_from, sizeof sf->mail_from, "%s", line + 10);
            say(fd, "250 ok\r\n");
        } else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
            snprintf(sf->rcpt_to, sizeof sf->rcpt_to, "%s", line + 8);
            say(fd, "250 ok\r\n");
        } else if (strcasecmp(line, "DATA") == 0) {
            say(fd, "354 go ahead\r\n");
            while (fgets(line, sizeof line, in) != NULL) {
                if (strcmp(line, ".\r\n") == 0)
                    break;
                size_t l = strlen(line);
                if (sf->data_len + l < sizeof sf->data) {
                    memcpy(sf->data + sf->data_len, line, l);
                    sf->data_len += l;
                    sf->data[sf->data_len] = '\0';
                }
            }
            say(fd, "250 queued\r\n");
        } else if (strcasecmp(line, "QUIT") == 0) {
            sf->quit = true;
            say(fd, "221 bye\r\n");
            break;
        } else {
            say(fd, "502 unknown\r\n");
        }
    }
    fclose(in);
    close(fd);
    return NULL;
}

static void
smtp_fake_start(struct smtp_fake *sf)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t sl = sizeof sin;

    memset(sf, 0, sizeof *sf);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sf->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(sf->lfd >= 0);
    assert_int_equal(bind(sf->lfd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(sf->lfd, 4), 0);
    assert_int_equal(getsockname(sf->lfd, (struct sockaddr *)&sin, &sl), 0);
    sf->port = ntohs(sin.sin_port);
    assert_int_equal(pthread_create(&sf->th, NULL, smtp_fake_main, sf), 0);
}

/* The value of header @p name (unfolded), copied into @p out. */
static bool
header_value(const char *msg, const char *name, char *out, size_t out_len)
{
    size_t nl = strlen(name), o = 0;
    const char *p = msg;

    while (*p != '\0' && strncmp(p, "\r\n", 2) != 0) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ')
                p++;
            for (;;) {
                if (strncmp(p, "\r\n", 2) == 0 &&
                    (p[2] == ' ' || p[2] == '\t')) {
                    p += 3; /* folded */
                    continue;
                }
                if (strncmp(p, "\r\n", 2) == 0 || *p == '\0')
                    break;
                if (o + 1 < out_len)
                    out[o++] = *p;
                p++;
            }
            out[o] = '\0';
            return true;
        }
        p = strstr(p, "\r\n");
        if (p == NULL)
            return false;
        p += 2;
    }
    return false;
}

/* Decode a header made of RFC 2047 B words separated by spaces. */
static void
decode_words(const char *v, char *out, size_t out_len)
{
    size_t o = 0;
    while (*v != '\0') {
        const char *start, *end;
        size_t len = 0;
        while (*v == ' ')
            v++;
        assert_int_equal(strncmp(v, "=?UTF-8?B?", 10), 0);
        start = v + 10;
        end = strstr(start, "?=");
        assert_non_null(end);
        assert_true(end + 2 - v <= 75);
        assert_int_equal(
            sodium_base642bin((unsigned char *)out + o, out_len - o - 1, start,
                              (size_t)(end - start), NULL, &len, NULL,
                              sodium_base64_VARIANT_ORIGINAL),
            0);
        /* Each word holds whole characters. */
        assert_true(sv_utf8_valid(out + o, len));
        o += len;
        v = end + 2;
    }
    out[o] = '\0';
}

static void
test_notify_smtp_sends_mail(void **state)
{
    struct fx *f = *state;
    struct sv_notify *n = NULL;
    struct smtp_fake sf;
    char err[256] = "", v[1024], subj[512];
    const char *subject = "Ihr Anmeldecode — 您的登录验证码，请勿泄露给任何人 "
                          "(gültig für 10 Minuten)";
    const char *text = "Hello,\nyour code is 482913.\n.\nBye";

    smtp_fake_start(&sf);
    f->cfg.notify_backend = SV_NOTIFY_SMTP;
    snprintf(f->cfg.smtp_url, sizeof f->cfg.smtp_url, "smtp://127.0.0.1:%u",
             sf.port);
    snprintf(f->cfg.smtp_from, sizeof f->cfg.smtp_from,
             "salesvault@example.com");
    snprintf(f->cfg.smtp_user, sizeof f->cfg.smtp_user, "svuser");
    snprintf(f->cfg.smtp_password_file, sizeof f->cfg.smtp_password_file,
             "%s/smtp.secret", f->dir);
    write_file(f->cfg.smtp_password_file, "smtp-pass\n", 0600);
    f->cfg.notify_retries = 1;
    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err), SV_OK);
    sv_notify_smtp_allow_plain_for_tests(n, true);

    /* SMS needs the webhook backend. */
    struct sv_message sms = {"sms", "+15550000", "", "t"};
    assert_int_equal(sv_notify_send(n, &sms), SV_E_UNAVAILABLE);

    struct sv_message m = {"email", "alice@example.org", subject, text};
    assert_int_equal(sv_notify_send(n, &m), SV_OK);
    sv_notify_close(n);
    pthread_join(sf.th, NULL);
    close(sf.lfd);

    assert_true(sf.quit);
    assert_string_equal(sf.mail_from, "<salesvault@example.com>");
    assert_string_equal(sf.rcpt_to, "<alice@example.org>");
    assert_string_equal(sf.auth, "svuser:smtp-pass");

    assert_true(header_value(sf.data, "From", v, sizeof v));
    assert_string_equal(v, "salesvault@example.com");
    assert_true(header_value(sf.data, "To", v, sizeof v));
    assert_string_equal(v, "alice@example.org");
    assert_true(header_value(sf.data, "MIME-Version", v, sizeof v));
    assert_string_equal(v, "1.0");
    assert_true(header_value(sf.data, "Content-Type", v, sizeof v));
    assert_string_equal(v, "text/plain; charset=utf-8");
    assert_true(header_value(sf.data, "Message-ID", v, sizeof v));
    assert_int_equal(v[0], '<');
    assert_non_null(strstr(v, "@example.com>"));
    assert_true(header_value(sf.data, "Date", v, sizeof v));
    assert_int_equal(strlen(v), strlen("Tue, 25 Nov 2026 13:01:11 +0000"));
    assert_string_equal(v + strlen(v) - 5, "+0000");
    assert_true(header_value(sf.data, "Subject", v, sizeof v));
    decode_words(v, subj, sizeof subj);
    assert_string_equal(subj, subject);
    /* No raw 8-bit bytes anywhere in the message. */
    for (size_t i = 0; i < sf.data_len; i++)
        assert_true((unsigned char)sf.data[i] < 0x80);

    /* Body: base64 of the text with CRLF line breaks. */
    const char *body = strstr(sf.data, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    char b64[4096];
    size_t bl = 0;
    for (const char *p = body; *p; p++)
        if (*p != '\r' && *p != '\n')
            b64[bl++] = *p;
    b64[bl] = '\0';
    unsigned char dec[4096];
    size_t dl = 0;
    assert_int_equal(sodium_base642bin(dec, sizeof dec - 1, b64, bl, NULL, &dl,
                                       NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    dec[dl] = '\0';
    assert_string_equal((char *)dec,
                        "Hello,\r\nyour code is 482913.\r\n.\r\nBye");
}

static void
test_notify_smtp_refuses_open_password_file(void **state)
{
    struct fx *f = *state;
    struct sv_notify *n = NULL;
    char err[256] = "";

    f->cfg.notify_backend = SV_NOTIFY_SMTP;
    snprintf(f->cfg.smtp_url, sizeof f->cfg.smtp_url, "smtps://127.0.0.1:9");
    snprintf(f->cfg.smtp_from, sizeof f->cfg.smtp_from, "sv@example.com");
    snprintf(f->cfg.smtp_user, sizeof f->cfg.smtp_user, "svuser");
    snprintf(f->cfg.smtp_password_file, sizeof f->cfg.smtp_password_file,
             "%s/smtp.secret", f->dir);
    write_file(f->cfg.smtp_password_file, "pw", 0604);
    assert_int_equal(sv_notify_open(&f->cfg, &n, err, sizeof err),
                     SV_E_INTERNAL);
    assert_null(n);
    assert_non_null(strstr(err, f->cfg.smtp_password_file));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_notify_outbox_writes_json_lines,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_notify_outbox_tightens_mode, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_notify_send_rejects_bad_input,
                                        setup, teardown),
        cmocka_unit_test(test_notify_hmac_known_answer),
        cmocka_unit_test_setup_teardown(test_notify_webhook_signed_and_retried,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_notify_webhook_gives_up_and_never_logs_text, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_notify_webhook_refuses_open_secret_file, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_notify_queue_full_and_close_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notify_smtp_sends_mail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_notify_smtp_refuses_open_password_file, setup, teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
