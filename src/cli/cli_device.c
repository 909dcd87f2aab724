/*
 * salesvault device: the CLI as the user's trusted device (DEV-1…5).
 *
 * It enrols with a password and a second step, keeps an Ed25519 key and a
 * session token in a 0600 key file, and signs every HTTPS request it makes
 * (docs/auth-flow.md sections 1–5). Everything the server says is untrusted
 * text: it is size-capped on the way in and stripped of control characters
 * before it reaches the terminal (a sign-in's "browser" is whatever User-Agent
 * the requester sent).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>
#ifdef SV_HAVE_ZBAR
#include <gd.h>
#include <zbar.h>
#endif

#include "auth/devsig.h"
#include "cli/cli.h"
#include "core/util.h"
#include "directory/tenant.h"
#include "identity/identity.h"

#define API "/api/v1"
#define RESPONSE_MAX (1024 * 1024) /* bytes read back from the server */
#define KEY_FILE_MAX (64 * 1024)
#define PNG_MAX (8 * 1024 * 1024)
#define PNG_SIDE_MAX 4096
#define LINE_MAX_LEN 1024 /* passwords and codes read from stdin */
#define ID_MAX 128
#define QR_MAX 512
#define NAME_MAX_LEN 64
#define SERVER_MAX 256
#define TOKEN_MAX 512
#define SK_B64_LEN 86 /* base64url, no padding, of 64 bytes */
#define STEPS_MAX 8   /* challenge rounds before we give up */
#define WAIT_TIMEOUT_S 60L
#define REQUEST_TIMEOUT_S 30L
#define WAIT_MAX_MS (15 * 60 * 1000)

static const char help[] =
    "Usage: salesvault device enrol --server https://HOST:PORT --tenant SLUG\n"
    "                               --username NAME [--name NAME]\n"
    "                               [--via sms|approval|totp] [--force]\n"
    "       salesvault device approvals [--json]\n"
    "       salesvault device approve ID [--number N]\n"
    "       salesvault device deny ID\n"
    "       salesvault device scan QR-PAYLOAD | --png FILE [--number N] "
    "[--deny]\n"
    "       salesvault device devices [--json]\n"
    "       salesvault device revoke ID\n"
    "       (all take [--key FILE] [--cacert FILE])\n"
    "\n"
    "Act as the user's trusted device: every request is signed with this\n"
    "device's Ed25519 key (X-SV-Signature) and carries its session token.\n"
    "\n"
    "enrol:     sign in and register this CLI as a device. The password is\n"
    "           the first line of stdin (not echoed on a terminal); codes are\n"
    "           read from the next lines. --via picks the second step "
    "(default:\n"
    "           sms when offered). Writes the key file; --force replaces one.\n"
    "approvals: list sign-in requests waiting for this device\n"
    "approve:   approve a sign-in request; without --number, shows the "
    "request\n"
    "           and reads the number shown on the sign-in screen from stdin\n"
    "deny:      deny a sign-in request\n"
    "scan:      approve (or --deny) a web sign-in from its QR code text, or\n"
    "           from a PNG of the QR code (--png)\n"
    "devices:   list this account's devices\n"
    "revoke:    revoke one of this account's devices; its sessions end at "
    "once\n"
    "\n"
    "--key FILE     key file (default ~/.config/salesvault/device.json, 0600)\n"
    "--cacert FILE  CA or server certificate to trust instead of the system\n"
    "               store (remembered by enrol); verification is never off\n"
    "Exit status: 0 success, 1 server or network error, 2 usage error.\n";

/* ---- options ---- */

/* The options, in the order of parse_opts' table; O(x) is x's bit. */
enum opt {
    OPT_KEY,
    OPT_CACERT,
    OPT_SERVER,
    OPT_TENANT,
    OPT_USERNAME,
    OPT_NAME,
    OPT_VIA,
    OPT_FORCE,
    OPT_JSON,
    OPT_NUMBER,
    OPT_PNG,
    OPT_DENY,
    OPT_COUNT
};
#define O(x) (1u << OPT_##x)
#define O_COMMON (O(KEY) | O(CACERT))

enum sub {
    SUB_ENROL,
    SUB_APPROVALS,
    SUB_APPROVE,
    SUB_DENY,
    SUB_SCAN,
    SUB_DEVICES,
    SUB_REVOKE,
};

static const struct {
    const char *name;
    enum sub sub;
    unsigned allowed; /* option bits besides O_COMMON */
    int n_args;       /* positional arguments; -1: 0 or 1 (scan) */
} subs[] = {
    {"enrol", SUB_ENROL,
     O(SERVER) | O(TENANT) | O(USERNAME) | O(NAME) | O(VIA) | O(FORCE), 0},
    {"enroll", SUB_ENROL,
     O(SERVER) | O(TENANT) | O(USERNAME) | O(NAME) | O(VIA) | O(FORCE), 0},
    {"approvals", SUB_APPROVALS, O(JSON), 0},
    {"approve", SUB_APPROVE, O(NUMBER), 1},
    {"deny", SUB_DENY, 0, 1},
    {"scan", SUB_SCAN, O(PNG) | O(NUMBER) | O(DENY), -1},
    {"devices", SUB_DEVICES, O(JSON), 0},
    {"revoke", SUB_REVOKE, 0, 1},
};

struct opts {
    enum sub sub;
    const char *sub_name;
    const char *key_path, *cacert, *server, *tenant, *username, *name, *via;
    const char *png, *arg;
    bool json, force, deny, has_number;
    int number;
    char key_buf[PATH_MAX];
};

/* ---- safe output of untrusted text ---- */

/*
 * Copy @p s into @p out (cap bytes) for a terminal: control characters, C1
 * controls and bidi overrides become '?', invalid UTF-8 bytes too, and the
 * copy is cut on a character boundary. Returns @p out.
 */
static const char *
safe_text(const char *s, char *out, size_t cap)
{
    size_t i = 0, o = 0, len;
    bool utf8;

    if (s == NULL)
        s = "-";
    len = strnlen(s, 4096);
    utf8 = sv_utf8_valid(s, len);
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n = 1;
        uint32_t cp = c;
        bool bad = false;

        if (c >= 0x80 && utf8) {
            n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            cp = c & (0x3f >> (n - 1));
            for (size_t k = 1; k < n; k++)
                cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
            bad = (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
                  (cp >= 0x202a && cp <= 0x202e) ||
                  (cp >= 0x2066 && cp <= 0x2069);
        } else {
            bad = c < 0x20 || c >= 0x7f;
        }
        if (bad) {
            if (o + 2 > cap)
                break;
            out[o++] = '?';
        } else {
            if (o + n + 1 > cap)
                break;
            memcpy(out + o, s + i, n);
            o += n;
        }
        i += n;
    }
    out[o] = '\0';
    return out;
}

/* String member @p name of @p obj, or NULL. Borrowed from @p obj. */
static const char *
jstr(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

/* An id we put into a URL path: 1–128 of [A-Za-z0-9_-], nothing to escape. */
static bool
check_id(const char *s)
{
    size_t n;

    if (s == NULL)
        return false;
    for (n = 0; s[n] != '\0'; n++) {
        char c = s[n];
        if (n >= ID_MAX || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return n > 0;
}

/* QR payload text: "svqr1." then base64url-ish characters and dots. */
static bool
check_qr(const char *s)
{
    size_t n;

    if (s == NULL || strncmp(s, "svqr1.", 6) != 0)
        return false;
    for (n = 6; s[n] != '\0'; n++) {
        char c = s[n];
        if (n >= QR_MAX ||
            !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return false;
    }
    return n > 6;
}

/* ---- reading stdin (passwords without echo) ---- */

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void
restore_tty_and_die(int sig)
{
    if (tio_saved)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
    signal(sig, SIG_DFL);
    raise(sig);
}

enum line_rc { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_ERROR };

/*
 * Read one line of stdin into @p buf (cap bytes, NUL-terminated, without the
 * line end). Reads a byte at a time so that nothing is left in a stdio
 * buffer: secrets stay in @p buf only, and later lines stay readable.
 * @p prompt goes to stderr when stdin is a terminal; @p secret turns echo off.
 */
static enum line_rc
read_line(const char *prompt, bool secret, char *buf, size_t cap)
{
    bool tty = isatty(STDIN_FILENO), echo_off = false, too_long = false;
    struct sigaction sa, old_int = {0}, old_term = {0}, old_hup = {0};
    enum line_rc rc = LINE_OK;
    size_t n = 0;

    if (tty && prompt != NULL) {
        fputs(prompt, stderr);
        fflush(stderr);
    }
    if (tty && secret && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
        struct termios tio = saved_tio;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = restore_tty_and_die;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGHUP, &sa, &old_hup);
        tio_saved = 1;
        tio.c_lflag &= ~(tcflag_t)ECHO;
        tio.c_lflag |= ECHONL;
        echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio) == 0;
    }
    for (;;) {
        char ch;
        ssize_t got = read(STDIN_FILENO, &ch, 1);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            rc = LINE_ERROR;
            break;
        }
        if (got == 0) {
            if (n == 0)
                rc = LINE_EOF;
            break;
        }
        if (ch == '\n')
            break;
        if (n + 1 >= cap) {
            too_long = true; /* keep reading to the end of the line */
            continue;
        }
        buf[n++] = ch;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
        tio_saved = 0;
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
        if (!echo_off)
            fputc('\n', stderr);
    }
    if (rc == LINE_OK && too_long)
        rc = LINE_TOO_LONG;
    if (rc != LINE_OK)
        sodium_memzero(buf, cap);
    return rc;
}

/*
 * A code or number typed by the user; prints why on failure. @p prompt ends
 * in ": ", which the messages leave out.
 */
static bool
read_answer(const char *what, const char *prompt, char *buf, size_t cap)
{
    int label = (int)strlen(prompt);

    if (label >= 2 && strcmp(prompt + label - 2, ": ") == 0)
        label -= 2;
    switch (read_line(prompt, false, buf, cap)) {
    case LINE_OK:
        return true;
    case LINE_EOF:
        sv_cli_fail("device: %s: end of input (expected: %.*s)", what, label,
                    prompt);
        return false;
    case LINE_TOO_LONG:
        sv_cli_fail("device: %s: line too long (expected: %.*s)", what, label,
                    prompt);
        return false;
    default:
        sv_cli_fail("device: %s: cannot read stdin: %s", what, strerror(errno));
        return false;
    }
}

/* ---- the key file ---- */

struct devkey {
    char *server, *tenant, *username, *device_id, *name, *cacert, *expires_at;
    char *token; /* sodium_malloc'd, TOKEN_MAX + 1 */
    uint8_t pk[SV_DEVSIG_PK_LEN];
    char pk_b64[48];
    uint8_t *sk; /* sodium_malloc'd, SV_DEVSIG_SK_LEN */
};

static void
devkey_init(struct devkey *k)
{
    memset(k, 0, sizeof *k);
}

static bool
devkey_alloc_secrets(struct devkey *k)
{
    k->sk = sodium_malloc(SV_DEVSIG_SK_LEN);
    k->token = sodium_malloc(TOKEN_MAX + 1);
    if (k->sk == NULL || k->token == NULL)
        return false;
    k->token[0] = '\0';
    return true;
}

static void
devkey_fini(struct devkey *k)
{
    free(k->server);
    free(k->tenant);
    free(k->username);
    free(k->device_id);
    free(k->name);
    free(k->cacert);
    free(k->expires_at);
    sodium_free(k->token); /* sodium_free wipes */
    sodium_free(k->sk);
    memset(k, 0, sizeof *k);
}

static bool
default_key_path(char *out, size_t cap)
{
    const char *home = getenv("HOME");
    int n;

    if (home == NULL || home[0] != '/') {
        struct passwd *pw = getpwuid(getuid());
        home = pw != NULL ? pw->pw_dir : NULL;
    }
    if (home == NULL || home[0] == '\0')
        return false;
    n = snprintf(out, cap, "%s/.config/salesvault/device.json", home);
    return n > 0 && (size_t)n < cap;
}

/* mkdir -p of the directories above @p path, new ones 0700. */
static bool
make_parents(const char *path)
{
    char dir[PATH_MAX];
    size_t len = strlen(path);
    struct stat st;

    if (len >= sizeof dir)
        return false;
    memcpy(dir, path, len + 1);
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    /* The last directory exists and is a directory. */
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return true;
    *slash = '\0';
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Server base URL: https://HOST[:PORT] with nothing after it. */
static bool
check_server(const char *url)
{
    CURLU *u;
    char *scheme = NULL, *path = NULL, *query = NULL, *frag = NULL,
         *user = NULL, *host = NULL;
    bool ok = false;
    size_t len;

    if (url == NULL || strncmp(url, "https://", 8) != 0)
        return false;
    len = strlen(url);
    if (len > SERVER_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return false;
    u = curl_url();
    if (u == NULL)
        return false;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto cleanup;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        strcmp(scheme, "https") != 0 ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        host[0] == '\0')
        goto cleanup;
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK)
        goto cleanup;
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
        strcmp(path, "/") != 0 && path[0] != '\0')
        goto cleanup;
    ok = true;
cleanup:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(query);
    curl_free(frag);
    curl_free(path);
    curl_url_cleanup(u);
    return ok;
}

/* A copy of @p url without trailing '/'. */
static char *
server_base(const char *url)
{
    char *s = sv_xstrdup(url);
    size_t n = strlen(s);
    while (n > 8 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

/*
 * Write the key file atomically: a new 0600 temp file (O_EXCL, no symlink
 * follow) in the same directory, fsync, rename over the target, fsync dir.
 */
static int
key_save(const char *path, const struct devkey *k)
{
    char tmp[PATH_MAX + 32], rnd[9];
    char *sk_b64 = NULL, *text = NULL;
    json_t *root = NULL;
    uint8_t r[4];
    int fd = -1, rc = 1;
    size_t len = 0, off = 0;

    if (!make_parents(path))
        return sv_cli_fail("device: enrol: cannot create the directory of "
                           "%s: %s",
                           path, strerror(errno));
    sk_b64 = sodium_malloc(SK_B64_LEN + 1);
    if (sk_b64 == NULL)
        return sv_cli_fail("device: enrol: out of memory");
    sodium_bin2base64(sk_b64, SK_B64_LEN + 1, k->sk, SV_DEVSIG_SK_LEN,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    /* jansson memory is wiped on free (sv_json_init). */
    root = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "server",
                     k->server, "tenant", k->tenant, "username", k->username,
                     "device_id", k->device_id, "name", k->name, "public_key",
                     k->pk_b64, "secret_key", sk_b64, "token", k->token);
    sodium_free(sk_b64);
    if (root == NULL)
        return sv_cli_fail("device: enrol: cannot build the key file");
    if (k->expires_at != NULL)
        json_object_set_new(root, "expires_at", json_string(k->expires_at));
    if (k->cacert != NULL)
        json_object_set_new(root, "cacert", json_string(k->cacert));
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (text == NULL)
        return sv_cli_fail("device: enrol: cannot build the key file");
    len = strlen(text);

    randombytes_buf(r, sizeof r);
    sodium_bin2hex(rnd, sizeof rnd, r, sizeof r);
    snprintf(tmp, sizeof tmp, "%s.tmp-%s", path, rnd);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        sv_cli_fail("device: enrol: cannot create %s: %s", tmp,
                    strerror(errno));
        goto cleanup;
    }
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto write_failed;
        off += (size_t)w;
    }
    if (write(fd, "\n", 1) != 1 || fsync(fd) != 0)
        goto write_failed;
    if (close(fd) != 0) {
        fd = -1;
        goto write_failed;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto write_failed;
    {
        /* Make the rename itself durable. */
        char dir[PATH_MAX];
        char *slash;
        snprintf(dir, sizeof dir, "%s", path);
        slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else if (slash != NULL)
            *slash = '\0';
        else
            snprintf(dir, sizeof dir, ".");
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    rc = 0;
    goto cleanup;

write_failed:
    sv_cli_fail("device: enrol: cannot write %s: %s", tmp, strerror(errno));
    unlink(tmp);
cleanup:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    sodium_memzero(text, len);
    free(text);
    return rc;
}

/* A required string member of the key file, copied. */
static bool
key_str(const json_t *root, const char *name, size_t max, char **out)
{
    const char *s = jstr(root, name);
    if (s == NULL || s[0] == '\0' || strlen(s) > max)
        return false;
    *out = sv_xstrdup(s);
    return true;
}

/*
 * Load and check the key file: a regular file of ours, not readable by
 * group or other, with a key pair that matches itself.
 */
static int
key_load(const char *path, struct devkey *k, const char *what)
{
    struct stat st;
    char *buf = NULL;
    json_t *root = NULL;
    json_error_t jerr;
    const char *s, *bad = NULL;
    uint8_t pk_of_sk[SV_DEVSIG_PK_LEN];
    size_t off = 0, sk_len = 0;
    const char *end = NULL;
    int fd, rc = 1;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return sv_cli_fail("device: %s: no key file %s: enrol this "
                               "device first ('salesvault device enrol')",
                               what, path);
        if (errno == ELOOP)
            return sv_cli_fail("device: %s: %s is a symbolic link; refusing "
                               "to use it",
                               what, path);
        return sv_cli_fail("device: %s: cannot open %s: %s", what, path,
                           strerror(errno));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        sv_cli_fail("device: %s: %s is not a regular file", what, path);
        goto cleanup;
    }
    if (st.st_uid != geteuid()) {
        sv_cli_fail("device: %s: %s is not owned by you; refusing to use it",
                    what, path);
        goto cleanup;
    }
    if ((st.st_mode & 077) != 0) {
        sv_cli_fail("device: %s: %s is accessible by group or others (mode "
                    "%04o); refusing to use it (chmod 600 it, and consider "
                    "the key exposed)",
                    what, path, (unsigned)(st.st_mode & 07777));
        goto cleanup;
    }
    if (st.st_size <= 0 || st.st_size > KEY_FILE_MAX) {
        sv_cli_fail("device: %s: %s has an implausible size", what, path);
        goto cleanup;
    }
    buf = sodium_malloc((size_t)st.st_size);
    if (buf == NULL || !devkey_alloc_secrets(k)) {
        sv_cli_fail("device: %s: out of memory", what);
        goto cleanup;
    }
    while (off < (size_t)st.st_size) {
        ssize_t got = read(fd, buf + off, (size_t)st.st_size - off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        off += (size_t)got;
    }
    if (off != (size_t)st.st_size) {
        sv_cli_fail("device: %s: cannot read %s", what, path);
        goto cleanup;
    }
    root = json_loadb(buf, off, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        sv_cli_fail("device: %s: %s is not a key file (%s)", what, path,
                    root == NULL ? "not JSON" : "not an object");
        goto cleanup;
    }
    if (!key_str(root, "server", SERVER_MAX, &k->server) ||
        !check_server(k->server))
        bad = "server";
    else if (!key_str(root, "tenant", 64, &k->tenant))
        bad = "tenant";
    else if (!key_str(root, "username", 64, &k->username))
        bad = "username";
    else if (!key_str(root, "device_id", ID_MAX, &k->device_id) ||
             !check_id(k->device_id))
        bad = "device_id";
    else if (!sv_devsig_parse_pk(jstr(root, "public_key"), k->pk))
        bad = "public_key";
    if (bad == NULL) {
        s = jstr(root, "secret_key");
        if (s == NULL || strlen(s) != SK_B64_LEN ||
            sodium_base642bin(k->sk, SV_DEVSIG_SK_LEN, s, SK_B64_LEN, NULL,
                              &sk_len, &end,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
            sk_len != SV_DEVSIG_SK_LEN || end != s + SK_B64_LEN)
            bad = "secret_key";
    }
    if (bad == NULL) {
        crypto_sign_ed25519_sk_to_pk(pk_of_sk, k->sk);
        if (sodium_memcmp(pk_of_sk, k->pk, sizeof pk_of_sk) != 0)
            bad = "secret_key\" does not match \"public_key";
    }
    if (bad == NULL) {
        s = jstr(root, "token");
        if (s == NULL || s[0] == '\0' || strlen(s) > TOKEN_MAX ||
            strpbrk(s, "\r\n") != NULL)
            bad = "token";
        else
            memcpy(k->token, s, strlen(s) + 1);
    }
    if (bad != NULL) {
        sv_cli_fail("device: %s: %s: \"%s\" is missing or malformed", what,
                    path, bad);
        goto cleanup;
    }
    sv_devsig_pk_b64(k->pk, k->pk_b64);
    if ((s = jstr(root, "name")) != NULL)
        k->name = sv_xstrdup(s);
    if ((s = jstr(root, "cacert")) != NULL && s[0] != '\0')
        k->cacert = sv_xstrdup(s);
    if ((s = jstr(root, "expires_at")) != NULL)
        k->expires_at = sv_xstrdup(s);
    rc = 0;
cleanup:
    close(fd);
    json_decref(root); /* wiping allocator: the secret strings go too */
    sodium_free(buf);
    return rc;
}

/* ---- the signed HTTPS client ---- */

struct resp {
    long status;
    char *body; /* NUL-terminated; wiped on free (may hold a token) */
    size_t len, cap;
    bool too_large;
    json_t *json; /* the body parsed as JSON, or NULL */
    char retry_after[16];
};

struct client {
    CURL *h;
    const struct devkey *k;
    const char *cacert;
    const char *what; /* subcommand name, for messages */
    char errbuf[CURL_ERROR_SIZE];
};

static void
resp_free(struct resp *r)
{
    if (r->body != NULL) {
        sodium_memzero(r->body, r->cap);
        free(r->body);
    }
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

static size_t
on_body(char *p, size_t size, size_t n, void *cls)
{
    struct resp *r = cls;
    size_t add = size * n;

    if (add > RESPONSE_MAX - r->len) {
        r->too_large = true;
        return 0; /* abort the transfer */
    }
    if (!sv_wipe_grow(&r->body, &r->cap, r->len, r->len + add + 1, 4096,
                      RESPONSE_MAX + 1))
        return 0;
    memcpy(r->body + r->len, p, add);
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

static size_t
on_header(char *p, size_t size, size_t n, void *cls)
{
    struct resp *r = cls;
    size_t len = size * n, i = 12, o = 0;

    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        while (i < len && p[i] == ' ')
            i++;
        while (i < len && p[i] >= '0' && p[i] <= '9' &&
               o + 1 < sizeof r->retry_after)
            r->retry_after[o++] = p[i++];
        r->retry_after[o] = '\0';
    }
    return len;
}

static void
slist_wipe_free(struct curl_slist *l)
{
    for (struct curl_slist *i = l; i != NULL; i = i->next)
        sodium_memzero(i->data, strlen(i->data));
    curl_slist_free_all(l);
}

/*
 * "Name: PREFIXvalue"; an empty value removes a header curl would add.
 * The copy curl keeps is wiped by slist_wipe_free() (tokens).
 */
static bool
add_header(struct curl_slist **l, const char *name, const char *prefix,
           const char *value)
{
    char line[TOKEN_MAX + 64];
    struct curl_slist *n;
    int len = value[0] != '\0'
                  ? snprintf(line, sizeof line, "%s: %s%s", name, prefix, value)
                  : snprintf(line, sizeof line, "%s:", name);

    if (len < 0 || (size_t)len >= sizeof line)
        return false;
    n = curl_slist_append(*l, line);
    sodium_memzero(line, sizeof line);
    if (n == NULL)
        return false;
    *l = n;
    return true;
}

/*
 * One signed request. @p path is the path and query exactly as sent (and
 * signed); @p body (borrowed) is sent as JSON, or nothing when NULL.
 * @p challenge adds X-Challenge-Token. Returns 0 when an HTTP answer came
 * back (any status; see @p r, which the caller frees with resp_free()), or
 * 1 after printing why the request failed.
 */
static int
http_call(struct client *c, const char *method, const char *path,
          const json_t *body, const char *challenge, long timeout_s,
          struct resp *r)
{
    char url[SERVER_MAX + 1024], ts[24], nonce[48], sig[SV_DEVSIG_B64_MAX + 1];
    char ua[64];
    uint8_t raw_nonce[24];
    struct curl_slist *hl = NULL;
    char *text = NULL;
    size_t text_len = 0;
    int64_t now;
    CURLcode cc;
    int rc = 1;

    memset(r, 0, sizeof *r);
    if ((size_t)snprintf(url, sizeof url, "%s%s", c->k->server, path) >=
        sizeof url)
        return sv_cli_fail("device: %s: URL too long", c->what);
    if (body != NULL) {
        text = json_dumps(body, JSON_COMPACT);
        if (text == NULL)
            return sv_cli_fail("device: %s: out of memory", c->what);
        text_len = strlen(text);
    }

    /* DEV-1: sign method, path, time, a fresh nonce and the body. */
    now = sv_now_ms();
    randombytes_buf(raw_nonce, sizeof raw_nonce);
    sodium_bin2base64(nonce, sizeof nonce, raw_nonce, sizeof raw_nonce,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(ts, sizeof ts, "%" PRId64, now);
    if (sv_devsig_sign(c->k->sk, method, path, now, nonce, text, text_len,
                       sig) != SV_OK) {
        sv_cli_fail("device: %s: cannot sign the request", c->what);
        goto cleanup;
    }
    if (!add_header(&hl, "X-SV-Device", "", c->k->device_id) ||
        !add_header(&hl, "X-SV-Timestamp", "", ts) ||
        !add_header(&hl, "X-SV-Nonce", "", nonce) ||
        !add_header(&hl, "X-SV-Signature", "", sig) ||
        !add_header(&hl, "Accept", "", "application/json") ||
        !add_header(&hl, "Expect", "", "") ||
        (body != NULL &&
         !add_header(&hl, "Content-Type", "", "application/json")) ||
        (c->k->token != NULL && c->k->token[0] != '\0' &&
         !add_header(&hl, "Authorization", "Bearer ", c->k->token)) ||
        (challenge != NULL &&
         !add_header(&hl, "X-Challenge-Token", "", challenge))) {
        sv_cli_fail("device: %s: cannot build the request headers", c->what);
        goto cleanup;
    }

    curl_easy_reset(c->h); /* keeps the connection for the next request */
    c->errbuf[0] = '\0';
    snprintf(ua, sizeof ua, "salesvault-cli/%s", SV_VERSION);
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_PATH_AS_IS, 1L); /* the signed path */
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "https");
#else
    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
    curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (c->cacert != NULL)
        curl_easy_setopt(c->h, CURLOPT_CAINFO, c->cacert);
    curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->h, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c->h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c->h, CURLOPT_USERAGENT, ua);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(c->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)RESPONSE_MAX);
    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->h, CURLOPT_HEADERDATA, r);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c->h, CURLOPT_POST, 1L);
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, text != NULL ? text : "");
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)text_len);
    } else {
        curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
    }

    cc = curl_easy_perform(c->h);
    if (cc != CURLE_OK) {
        if (r->too_large || cc == CURLE_FILESIZE_EXCEEDED)
            sv_cli_fail("device: %s: the server's answer is larger than "
                        "%d bytes",
                        c->what, RESPONSE_MAX);
        else
            sv_cli_fail("device: %s: request to %s failed: %s", c->what,
                        c->k->server,
                        c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
        resp_free(r);
        goto cleanup;
    }
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->len > 0) {
        json_error_t jerr;
        r->json = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr);
    }
    rc = 0;
cleanup:
    slist_wipe_free(hl);
    if (text != NULL) {
        sodium_memzero(text, text_len); /* may hold the password */
        free(text);
    }
    return rc;
}

static bool
status_ok(const struct resp *r)
{
    return r->status >= 200 && r->status < 300;
}

/* Print the server's error: "device: approve: code: message (field: f)". */
static int
server_error(const struct client *c, const struct resp *r)
{
    char code[64], msg[256], field[64];
    const json_t *e = json_object_get(r->json, "error");
    const char *raw = jstr(e, "code"), *hint = "";

    if (raw == NULL)
        return sv_cli_fail("device: %s: the server answered HTTP %ld", c->what,
                           r->status);
    if (strcmp(raw, "unauthenticated") == 0 ||
        strcmp(raw, "device_revoked") == 0)
        hint = " (this device's session has ended: enrol it again)";
    else if (strcmp(raw, "signature_invalid") == 0)
        hint = " (check that this computer's clock is right)";
    safe_text(raw, code, sizeof code);
    safe_text(jstr(e, "message"), msg, sizeof msg);
    if (jstr(e, "field") != NULL)
        return sv_cli_fail(
            "device: %s: %s: %s (field: %s)%s", c->what, code, msg,
            safe_text(jstr(e, "field"), field, sizeof field), hint);
    if (r->retry_after[0] != '\0')
        return sv_cli_fail("device: %s: %s: %s (retry after %s s)", c->what,
                           code, msg, r->retry_after);
    return sv_cli_fail("device: %s: %s: %s%s", c->what, code, msg, hint);
}

/* A request whose answer must be 2xx; 0 or 1 (error printed). */
static int
call_ok(struct client *c, const char *method, const char *path,
        const json_t *body, struct resp *r)
{
    if (http_call(c, method, path, body, NULL, REQUEST_TIMEOUT_S, r) != 0)
        return 1;
    if (!status_ok(r)) {
        server_error(c, r);
        resp_free(r);
        return 1;
    }
    return 0;
}

static bool
client_open(struct client *c, const struct devkey *k, const char *cacert,
            const char *what)
{
    memset(c, 0, sizeof *c);
    c->k = k;
    c->cacert = cacert;
    c->what = what;
    c->h = curl_easy_init();
    if (c->h == NULL)
        sv_cli_fail("device: %s: cannot start the HTTP client", what);
    return c->h != NULL;
}

static void
client_close(struct client *c)
{
    if (c->h != NULL)
        curl_easy_cleanup(c->h);
    c->h = NULL;
}

/* ---- approvals ---- */

/* "12 47 83" from the "choices" array; false when it is malformed. */
static bool
choices_text(const json_t *a, char *out, size_t cap)
{
    const json_t *ch = json_object_get(a, "choices");
    size_t i, o = 0;
    json_t *v;

    out[0] = '\0';
    if (!json_is_array(ch) || json_array_size(ch) == 0 ||
        json_array_size(ch) > 10)
        return false;
    json_array_foreach(ch, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > 999)
            return false;
        int n = snprintf(out + o, cap - o, "%s%" JSON_INTEGER_FORMAT,
                         i ? " " : "", json_integer_value(v));
        if (n < 0 || (size_t)n >= cap - o)
            return false;
        o += (size_t)n;
    }
    return true;
}

static bool
choices_has(const json_t *a, long n)
{
    size_t i;
    json_t *v;

    json_array_foreach(json_object_get(a, "choices"), i, v)
    {
        if (json_is_integer(v) && json_integer_value(v) == n)
            return true;
    }
    return false;
}

static void
print_approval_line(const json_t *a)
{
    char id[ID_MAX + 1], kind[16], browser[160], ip[64], at[40], ch[64];

    choices_text(a, ch, sizeof ch);
    printf("%s  %s  \"%s\"  %s  %s  choices: %s\n",
           safe_text(jstr(a, "id"), id, sizeof id),
           safe_text(jstr(a, "kind"), kind, sizeof kind),
           safe_text(jstr(a, "browser"), browser, sizeof browser),
           safe_text(jstr(a, "ip"), ip, sizeof ip),
           safe_text(jstr(a, "created_at"), at, sizeof at), ch);
}

static void
print_approval(const json_t *a)
{
    char id[ID_MAX + 1], kind[16], browser[256], ip[64], at[40], exp[40],
        ch[64];

    choices_text(a, ch, sizeof ch);
    printf("Sign-in request %s (%s)\n"
           "  Browser: %s\n"
           "  IP:      %s\n"
           "  Time:    %s\n"
           "  Expires: %s\n"
           "Choices: %s\n",
           safe_text(jstr(a, "id"), id, sizeof id),
           safe_text(jstr(a, "kind"), kind, sizeof kind),
           safe_text(jstr(a, "browser"), browser, sizeof browser),
           safe_text(jstr(a, "ip"), ip, sizeof ip),
           safe_text(jstr(a, "created_at"), at, sizeof at),
           safe_text(jstr(a, "expires_at"), exp, sizeof exp), ch);
    fflush(stdout);
}

/* Check that an approval object from the server is usable. */
static int
check_approval(const struct client *c, const json_t *a)
{
    char ch[64];

    if (!json_is_object(a) || !check_id(jstr(a, "id")) ||
        !choices_text(a, ch, sizeof ch))
        return sv_cli_fail("device: %s: the server sent a malformed sign-in "
                           "request",
                           c->what);
    return 0;
}

/*
 * Read the number shown on the sign-in screen. A number that is not one of
 * the choices is a typo (the server would deny the sign-in for it): ask
 * again, up to three times.
 */
static int
ask_number(const struct client *c, const json_t *a, int *number)
{
    char line[32];
    int64_t v;

    for (int tries = 0; tries < 3; tries++) {
        if (!read_answer(c->what, "Number shown on the sign-in screen: ", line,
                         sizeof line))
            return 1;
        if (sv_parse_i64(line, 10, 99, &v) && choices_has(a, (long)v)) {
            *number = (int)v;
            return 0;
        }
        fprintf(stderr, "salesvault: device: %s: pick one of the choices\n",
                c->what);
    }
    return sv_cli_fail("device: %s: no valid number given; nothing was sent",
                       c->what);
}

static int
post_decision(struct client *c, const char *id, bool approve, int number)
{
    char path[128 + ID_MAX];
    struct resp r;
    json_t *body;
    int rc;

    snprintf(path, sizeof path, API "/devices/self/approvals/%s", id);
    body = approve ? json_pack("{s:s, s:i}", "decision", "approve", "number",
                               number)
                   : json_pack("{s:s}", "decision", "deny");
    if (body == NULL)
        return sv_cli_fail("device: %s: out of memory", c->what);
    rc = call_ok(c, "POST", path, body, &r);
    json_decref(body);
    if (rc != 0)
        return 1;
    resp_free(&r);
    printf("%s sign-in request %s.\n", approve ? "Approved" : "Denied", id);
    return 0;
}

/*
 * A list subcommand: GET @p path, {"items": [...]} (or where @p bare also a
 * bare [...]); print the answer with --json, else @p line for each item, or
 * @p none for no items.
 */
static int
show_list(struct client *c, const struct opts *o, const char *path, bool bare,
          const char *none, void (*line)(const json_t *))
{
    struct resp r;
    const json_t *items;
    json_t *it;
    size_t i;

    if (call_ok(c, "GET", path, NULL, &r) != 0)
        return 1;
    items = bare && json_is_array(r.json) ? r.json
                                          : json_object_get(r.json, "items");
    if (!json_is_array(items)) {
        resp_free(&r);
        return sv_cli_fail("device: %s: the server sent a malformed list",
                           c->what);
    }
    if (o->json) {
        sv_cli_print_json(json_incref(r.json));
    } else if (json_array_size(items) == 0 && none != NULL) {
        fputs(none, stdout);
    } else {
        json_array_foreach(items, i, it)
        {
            line(it);
        }
    }
    resp_free(&r);
    return 0;
}

static int
cmd_approvals(struct client *c, const struct opts *o)
{
    return show_list(c, o, API "/devices/self/approvals", false,
                     "No sign-in requests are waiting.\n", print_approval_line);
}

static int
cmd_approve(struct client *c, const struct opts *o, bool approve)
{
    const char *id = o->arg;
    struct resp r;
    const json_t *items, *found = NULL;
    json_t *a;
    size_t i;
    int number = o->number, rc;

    if (!approve || o->has_number)
        return post_decision(c, id, approve, number);
    /* Show what is being approved and ask which number the browser shows. */
    if (call_ok(c, "GET", API "/devices/self/approvals", NULL, &r) != 0)
        return 1;
    items = json_object_get(r.json, "items");
    json_array_foreach(items, i, a)
    {
        if (json_is_string(json_object_get(a, "id")) &&
            strcmp(jstr(a, "id"), id) == 0)
            found = a;
    }
    if (found == NULL) {
        resp_free(&r);
        return sv_cli_fail("device: %s: no sign-in request %s is waiting for "
                           "this device",
                           c->what, id);
    }
    rc = check_approval(c, found);
    if (rc == 0) {
        print_approval(found);
        rc = ask_number(c, found, &number);
    }
    resp_free(&r);
    return rc != 0 ? rc : post_decision(c, id, true, number);
}

#ifdef SV_HAVE_ZBAR
/* Scan @p grey (w × h, 8-bit) for a QR code starting with "svqr1.". */
static bool
zbar_find(const uint8_t *grey, unsigned w, unsigned h, char *out, size_t cap)
{
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    bool found = false;

    if (sc == NULL || img == NULL)
        goto cleanup;
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, w, h);
    zbar_image_set_data(img, grey, (unsigned long)w * h, NULL);
    if (zbar_scan_image(sc, img) <= 0)
        goto cleanup;
    for (const zbar_symbol_t *s = zbar_image_first_symbol(img);
         s != NULL && !found; s = zbar_symbol_next(s)) {
        const char *d = zbar_symbol_get_data(s);
        unsigned len = zbar_symbol_get_data_length(s);
        if (zbar_symbol_get_type(s) != ZBAR_QRCODE || d == NULL || len >= cap ||
            memchr(d, '\0', len) != NULL)
            continue;
        memcpy(out, d, len);
        out[len] = '\0';
        found = check_qr(out);
    }
cleanup:
    if (img != NULL)
        zbar_image_destroy(img);
    if (sc != NULL)
        zbar_image_scanner_destroy(sc);
    return found;
}
#endif

/* Decode the QR payload from a PNG file. 0, 1 (error) or 2 (usage). */
static int
qr_from_png(const char *file, char *out, size_t cap)
{
#ifdef SV_HAVE_ZBAR
    FILE *f = NULL;
    uint8_t *png = NULL, *grey = NULL, *big = NULL;
    gdImagePtr im = NULL;
    size_t len = 0;
    unsigned w, h;
    int rc = 1;
    long size;

    f = fopen(file, "rb");
    if (f == NULL)
        return sv_cli_fail("device: scan: cannot open %s: %s", file,
                           strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || size == 0 || size > PNG_MAX) {
        sv_cli_fail("device: scan: %s: empty, unreadable or larger than "
                    "%d bytes",
                    file, PNG_MAX);
        goto cleanup;
    }
    png = sv_xmalloc((size_t)size);
    len = fread(png, 1, (size_t)size, f);
    if (len != (size_t)size) {
        sv_cli_fail("device: scan: cannot read %s", file);
        goto cleanup;
    }
    im = gdImageCreateFromPngPtr((int)len, png);
    if (im == NULL) {
        sv_cli_fail("device: scan: %s is not a PNG image", file);
        goto cleanup;
    }
    if (gdImageSX(im) <= 0 || gdImageSY(im) <= 0 ||
        gdImageSX(im) > PNG_SIDE_MAX || gdImageSY(im) > PNG_SIDE_MAX) {
        sv_cli_fail("device: scan: %s: image too large", file);
        goto cleanup;
    }
    w = (unsigned)gdImageSX(im);
    h = (unsigned)gdImageSY(im);
    /* 8-bit grey ('Y800'), transparent pixels over white. */
    grey = sv_xmalloc((size_t)w * h);
    for (unsigned y = 0; y < h; y++) {
        for (unsigned x = 0; x < w; x++) {
            int px = gdImageGetPixel(im, (int)x, (int)y);
            unsigned r = (unsigned)gdImageRed(im, px),
                     g = (unsigned)gdImageGreen(im, px),
                     b = (unsigned)gdImageBlue(im, px),
                     a = (unsigned)gdImageAlpha(im, px); /* 0 opaque–127 */
            unsigned lum = (299 * r + 587 * g + 114 * b) / 1000;
            if (a > 127)
                a = 127;
            grey[(size_t)y * w + x] =
                (uint8_t)((lum * (127 - a) + 255 * a) / 127);
        }
    }
    if (zbar_find(grey, w, h, out, cap)) {
        rc = 0;
    } else if (w <= PNG_SIDE_MAX / 4 && h <= PNG_SIDE_MAX / 4) {
        /* One pixel per module is too small for zbar: try 4× bigger. */
        unsigned bw = w * 4, bh = h * 4;
        big = sv_xmalloc((size_t)bw * bh);
        for (unsigned y = 0; y < bh; y++)
            for (unsigned x = 0; x < bw; x++)
                big[(size_t)y * bw + x] = grey[(size_t)(y / 4) * w + x / 4];
        if (zbar_find(big, bw, bh, out, cap))
            rc = 0;
    }
    if (rc != 0)
        sv_cli_fail("device: scan: no Salesvault QR code found in %s", file);
cleanup:
    if (im != NULL)
        gdImageDestroy(im);
    free(big);
    free(grey);
    free(png);
    fclose(f);
    return rc;
#else
    (void)file;
    (void)out;
    (void)cap;
    return sv_cli_fail("device: scan: --png needs QR decoding (libzbar), "
                       "which this build does not have; pass the QR text "
                       "instead");
#endif
}

static int
cmd_scan(struct client *c, const struct opts *o, const char *qr)
{
    struct resp r;
    json_t *body;
    char id[ID_MAX + 1];
    int number = o->number, rc;

    body = json_pack("{s:s}", "qr", qr);
    if (body == NULL)
        return sv_cli_fail("device: scan: out of memory");
    rc = call_ok(c, "POST", API "/devices/self/approvals/scan", body, &r);
    json_decref(body);
    if (rc != 0)
        return 1;
    rc = check_approval(c, r.json);
    if (rc == 0) {
        snprintf(id, sizeof id, "%s", jstr(r.json, "id"));
        print_approval(r.json);
        if (!o->deny && o->has_number && !choices_has(r.json, o->number))
            rc = sv_cli_fail("device: scan: %d is not one of the choices; "
                             "nothing was sent",
                             o->number);
        else if (!o->deny && !o->has_number)
            rc = ask_number(c, r.json, &number);
    }
    resp_free(&r);
    if (rc != 0)
        return rc;
    return post_decision(c, id, !o->deny, number);
}

/* ---- devices ---- */

static void
print_device_line(const json_t *d)
{
    char id[ID_MAX + 1], kind[16], state[16], name[128], model[64], plat[32],
        seen[40];
    printf("%s %s  %s  %s  \"%s\"  %s/%s  last seen %s\n",
           json_is_true(json_object_get(d, "current")) ? "*" : " ",
           safe_text(jstr(d, "id"), id, sizeof id),
           safe_text(jstr(d, "kind"), kind, sizeof kind),
           safe_text(jstr(d, "state"), state, sizeof state),
           safe_text(jstr(d, "name"), name, sizeof name),
           safe_text(jstr(d, "model"), model, sizeof model),
           safe_text(jstr(d, "platform"), plat, sizeof plat),
           safe_text(jstr(d, "last_seen_at"), seen, sizeof seen));
}

static int
cmd_devices(struct client *c, const struct opts *o)
{
    return show_list(c, o, API "/me/devices", true, NULL, print_device_line);
}

static int
cmd_revoke(struct client *c, const struct opts *o)
{
    char path[64 + ID_MAX];
    struct resp r;

    snprintf(path, sizeof path, API "/me/devices/%s", o->arg);
    if (call_ok(c, "DELETE", path, NULL, &r) != 0)
        return 1;
    resp_free(&r);
    printf("Revoked device %s.\n", o->arg);
    if (strcmp(o->arg, c->k->device_id) == 0)
        printf("That was this device: its key file no longer works.\n");
    return 0;
}

/* ---- enrol ---- */

enum step { STEP_NONE, STEP_SMS, STEP_APPROVAL, STEP_TOTP };

static bool
next_has(const json_t *next, const char *step)
{
    size_t i;
    json_t *v;

    json_array_foreach(next, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), step) == 0)
            return true;
    }
    return false;
}

static const char *
step_name(enum step s)
{
    return s == STEP_SMS        ? "sms_code"
           : s == STEP_APPROVAL ? "device_approval"
           : s == STEP_TOTP     ? "totp"
                                : "";
}

/* The step to take: --via when offered, else sms, approval, totp. */
static enum step
pick_step(const json_t *next, const char *via)
{
    static const enum step order[] = {STEP_SMS, STEP_APPROVAL, STEP_TOTP};
    enum step want = STEP_NONE;

    if (via != NULL)
        want = strcmp(via, "sms") == 0        ? STEP_SMS
               : strcmp(via, "approval") == 0 ? STEP_APPROVAL
                                              : STEP_TOTP;
    if (want != STEP_NONE && next_has(next, step_name(want)))
        return want;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (next_has(next, step_name(order[i]))) {
            if (want != STEP_NONE)
                fprintf(stderr,
                        "salesvault: device: enrol: --via %s is not "
                        "offered for this step; using %s\n",
                        via, step_name(order[i]));
            return order[i];
        }
    }
    return STEP_NONE;
}

struct challenge {
    char id[ID_MAX + 1];
    char token[TOKEN_MAX + 1];
};

/* POST /auth/challenges/{id}/{step} with the challenge token. */
static int
challenge_call(struct client *c, const struct challenge *ch, const char *step,
               const json_t *body, long timeout_s, struct resp *r)
{
    char path[96 + ID_MAX];

    snprintf(path, sizeof path, API "/auth/challenges/%s/%s", ch->id, step);
    return http_call(c, "POST", path, body, ch->token, timeout_s, r);
}

/* Send a code (sms/verify or totp); the answer is a login answer. */
static int
send_code(struct client *c, const struct challenge *ch, const char *step,
          const char *prompt, struct resp *r)
{
    char code[64];
    json_t *body;
    int rc;

    if (!read_answer(c->what, prompt, code, sizeof code))
        return 1;
    if (code[0] == '\0' || strlen(code) > 32) {
        sodium_memzero(code, sizeof code);
        return sv_cli_fail("device: enrol: the code is empty or too long");
    }
    body = json_pack("{s:s}", "code", code);
    sodium_memzero(code, sizeof code);
    if (body == NULL)
        return sv_cli_fail("device: enrol: out of memory");
    rc = challenge_call(c, ch, step, body, REQUEST_TIMEOUT_S, r);
    json_decref(body);
    return rc;
}

static int
step_sms(struct client *c, const struct challenge *ch, struct resp *r)
{
    char to[64];
    json_t *empty = json_object();
    int rc = challenge_call(c, ch, "sms/send", empty, REQUEST_TIMEOUT_S, r);

    json_decref(empty);
    if (rc != 0)
        return 1;
    if (!status_ok(r))
        return 0; /* the caller prints the server's error */
    fprintf(stderr, "A code was sent by SMS to %s.\n",
            safe_text(jstr(r->json, "sent_to"), to, sizeof to));
    resp_free(r);
    return send_code(c, ch, "sms/verify", "SMS code: ", r);
}

static int
step_approval(struct client *c, const struct challenge *ch, struct resp *r)
{
    json_t *empty = json_object();
    json_int_t number;
    int64_t deadline;
    int rc = challenge_call(c, ch, "approval", empty, REQUEST_TIMEOUT_S, r);

    if (rc != 0 || !status_ok(r))
        goto cleanup;
    number = json_integer_value(json_object_get(r->json, "number"));
    if (number < 10 || number > 99) {
        resp_free(r);
        rc = sv_cli_fail("device: enrol: the server sent no number to pick");
        goto cleanup;
    }
    resp_free(r);
    fprintf(stderr, "Pick %" JSON_INTEGER_FORMAT " on your trusted device.\n",
            number);
    fprintf(stderr, "Waiting for the approval...\n");
    /*
     * Long poll until decided. The server ends it with 410 when the
     * challenge expires (5 minutes); the local bound only guards against a
     * server that never does, and does not trust either clock's agreement.
     */
    deadline = sv_now_ms() + WAIT_MAX_MS;
    for (;;) {
        int64_t started = sv_now_ms();
        rc = challenge_call(c, ch, "wait", empty, WAIT_TIMEOUT_S, r);
        if (rc != 0 || !status_ok(r))
            goto cleanup;
        const char *st = jstr(r->json, "status");
        if (st == NULL || strcmp(st, "pending") != 0)
            goto cleanup; /* a login answer */
        resp_free(r);
        if (sv_now_ms() - started < 1000)
            sleep(1); /* the server did not hold the poll: do not spin */
        if (sv_now_ms() > deadline) {
            rc = sv_cli_fail("device: enrol: the approval was not given in "
                             "time");
            goto cleanup;
        }
    }
cleanup:
    json_decref(empty);
    return rc;
}

/* Fill @p ch from a login answer's "challenge"; false when malformed. */
static bool
parse_challenge(const json_t *obj, struct challenge *ch)
{
    const char *id = jstr(obj, "id"), *tok = jstr(obj, "token");

    if (!check_id(id) || tok == NULL || tok[0] == '\0' ||
        strlen(tok) > TOKEN_MAX || strpbrk(tok, "\r\n") != NULL ||
        !json_is_array(json_object_get(obj, "next")))
        return false;
    snprintf(ch->id, sizeof ch->id, "%s", id);
    snprintf(ch->token, sizeof ch->token, "%s", tok);
    return true;
}

static int
read_password(char *pw, size_t cap)
{
    switch (read_line("Password: ", true, pw, cap)) {
    case LINE_OK:
        if (pw[0] != '\0')
            return 0;
        return sv_cli_usage("device", "enrol: the password (first line of "
                                      "stdin) is empty");
    case LINE_EOF:
        return sv_cli_usage("device", "enrol: the password is read from "
                                      "stdin, which is empty");
    case LINE_TOO_LONG:
        return sv_cli_usage("device", "enrol: the password is too long");
    default:
        return sv_cli_fail("device: enrol: cannot read stdin: %s",
                           strerror(errno));
    }
}

static int
cmd_enrol(const struct opts *o)
{
    struct devkey k;
    struct client c = {0};
    struct challenge *ch = NULL;
    struct resp r = {0};
    char *pw = NULL, host[64], name[NAME_MAX_LEN + 1], id[SV_UUID_LEN + 1];
    char cacert_abs[PATH_MAX];
    json_t *body = NULL;
    struct stat st;
    int rc = 1, steps = 0;

    devkey_init(&k);
    if (!o->force && lstat(o->key_path, &st) == 0)
        return sv_cli_fail("device: enrol: %s already exists (this device is "
                           "enrolled); pass --force to replace it, and "
                           "revoke the old device",
                           o->key_path);
    if (o->cacert != NULL && realpath(o->cacert, cacert_abs) == NULL)
        return sv_cli_usage("device", "--cacert: %s: %s", o->cacert,
                            strerror(errno));

    if (o->name != NULL) {
        snprintf(name, sizeof name, "%s", o->name);
    } else {
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "unknown");
        host[sizeof host - 1] = '\0';
        snprintf(name, sizeof name, "salesvault CLI on %s", host);
    }

    pw = sodium_malloc(LINE_MAX_LEN);
    ch = sodium_malloc(sizeof *ch);
    if (pw == NULL || ch == NULL || !devkey_alloc_secrets(&k)) {
        sv_cli_fail("device: enrol: out of memory");
        goto cleanup;
    }
    if ((rc = read_password(pw, LINE_MAX_LEN)) != 0)
        goto cleanup;
    rc = 1;

    /* A new key pair and device id; the login is signed with the new key. */
    crypto_sign_keypair(k.pk, k.sk);
    sv_devsig_pk_b64(k.pk, k.pk_b64);
    sv_uuid7(id);
    k.device_id = sv_xstrdup(id);
    k.server = server_base(o->server);
    k.tenant = sv_xstrdup(o->tenant);
    k.username = sv_xstrdup(o->username);
    k.name = sv_xstrdup(name);
    if (o->cacert != NULL)
        k.cacert = sv_xstrdup(cacert_abs);
    if (!client_open(&c, &k, k.cacert, "enrol"))
        goto cleanup;

    body = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}",
                     "tenant", k.tenant, "username", k.username, "password", pw,
                     "device", "kind", "cli", "id", k.device_id, "name", k.name,
                     "model", "salesvault-cli", "platform", "linux",
                     "public_key", k.pk_b64);
    sodium_memzero(pw, LINE_MAX_LEN);
    if (body == NULL) {
        sv_cli_fail("device: enrol: the password is not valid UTF-8");
        goto cleanup;
    }
    rc = http_call(&c, "POST", API "/auth/login", body, NULL, REQUEST_TIMEOUT_S,
                   &r);
    json_decref(body); /* wiping allocator: the password goes */
    body = NULL;
    if (rc != 0)
        goto cleanup;

    for (;;) {
        const json_t *chal;
        const char *tok;
        enum step step;

        rc = 1;
        if (!status_ok(&r)) {
            server_error(&c, &r);
            goto cleanup;
        }
        if ((tok = jstr(r.json, "token")) != NULL) {
            const char *dev = jstr(r.json, "device_id"), *exp;
            if (tok[0] == '\0' || strlen(tok) > TOKEN_MAX ||
                strpbrk(tok, "\r\n") != NULL) {
                sv_cli_fail("device: enrol: the server sent a malformed "
                            "session token");
                goto cleanup;
            }
            memcpy(k.token, tok, strlen(tok) + 1);
            if (dev != NULL && check_id(dev) && strcmp(dev, k.device_id)) {
                free(k.device_id); /* the id the server knows us by */
                k.device_id = sv_xstrdup(dev);
            }
            if ((exp = jstr(r.json, "expires_at")) != NULL)
                k.expires_at = sv_xstrdup(exp);
            if (json_is_true(json_object_get(r.json, "must_change_password")))
                fprintf(stderr, "salesvault: device: enrol: note: the "
                                "password must be changed (sign in on the "
                                "web) before this session can do anything "
                                "else\n");
            break;
        }
        chal = json_object_get(r.json, "challenge");
        if (!json_is_object(chal) || !parse_challenge(chal, ch)) {
            sv_cli_fail("device: enrol: the server sent neither a session "
                        "nor a challenge");
            goto cleanup;
        }
        if (++steps > STEPS_MAX) {
            sv_cli_fail("device: enrol: too many sign-in steps");
            goto cleanup;
        }
        step = pick_step(json_object_get(chal, "next"), o->via);
        if (step == STEP_NONE) {
            if (next_has(json_object_get(chal, "next"), "captcha"))
                sv_cli_fail("device: enrol: the server asks for a CAPTCHA "
                            "(too many failed sign-ins for this account, "
                            "address or device), which cannot be solved "
                            "here; sign in once on the web page, or ask an "
                            "administrator to unlock the account, then try "
                            "again");
            else
                sv_cli_fail("device: enrol: the server asks for a step this "
                            "CLI cannot do (it offers none of sms_code, "
                            "device_approval, totp)");
            goto cleanup;
        }
        resp_free(&r);
        rc = step == STEP_SMS        ? step_sms(&c, ch, &r)
             : step == STEP_APPROVAL ? step_approval(&c, ch, &r)
                                     : send_code(&c, ch, "totp",
                                                 "Authenticator code (or "
                                                 "recovery code): ",
                                                 &r);
        if (rc != 0)
            goto cleanup;
    }

    rc = key_save(o->key_path, &k);
    if (rc == 0)
        printf("Enrolled device %s (\"%s\") for %s in tenant %s.\n"
               "Key file: %s\n",
               k.device_id, k.name, k.username, k.tenant, o->key_path);
cleanup:
    resp_free(&r);
    json_decref(body);
    client_close(&c);
    sodium_free(pw);
    sodium_free(ch);
    devkey_fini(&k);
    return rc;
}

/* ---- entry ---- */

static int
parse_opts(int argc, char **argv, struct opts *o)
{
    unsigned seen = 0, allowed = 0;
    const char *number = NULL;
    const struct sv_cli_opt opts[] = {
        [OPT_KEY] = {"key", &o->key_path, NULL},
        [OPT_CACERT] = {"cacert", &o->cacert, NULL},
        [OPT_SERVER] = {"server", &o->server, NULL},
        [OPT_TENANT] = {"tenant", &o->tenant, NULL},
        [OPT_USERNAME] = {"username", &o->username, NULL},
        [OPT_NAME] = {"name", &o->name, NULL},
        [OPT_VIA] = {"via", &o->via, NULL},
        [OPT_FORCE] = {"force", NULL, &o->force},
        [OPT_JSON] = {"json", NULL, &o->json},
        [OPT_NUMBER] = {"number", &number, NULL},
        [OPT_PNG] = {"png", &o->png, NULL},
        [OPT_DENY] = {"deny", NULL, &o->deny},
        [OPT_COUNT] = {NULL}};
    struct option lo[SV_CLI_OPTS_MAX + 2];
    int n_args = 0, c, nargs;
    int64_t v;

    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name) == 0) {
            o->sub = subs[i].sub;
            o->sub_name = subs[i].name;
            allowed = subs[i].allowed | O_COMMON;
            n_args = subs[i].n_args;
        }
    }
    if (o->sub_name == NULL)
        return sv_cli_usage("device", "unknown subcommand '%s'", argv[1]);
    argc--;
    argv++;
    sv_cli_longopts(opts, lo);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        const struct sv_cli_opt *opt;
        unsigned bit;

        if (c == 'h') {
            fputs(help, stdout);
            return -1;
        }
        if (c == ':')
            return sv_cli_usage("device", "%s: option '%s' needs a value",
                                o->sub_name, argv[optind - 1]);
        if (c < SV_CLI_OPT)
            return sv_cli_usage("device", "%s: unknown option '%s'",
                                o->sub_name, argv[optind - 1]);
        opt = &opts[c - SV_CLI_OPT];
        bit = 1u << (c - SV_CLI_OPT);
        if ((bit & allowed) == 0)
            return sv_cli_usage("device", "%s does not take --%s", o->sub_name,
                                opt->name);
        if (seen & bit)
            return sv_cli_usage("device", "%s: --%s given twice", o->sub_name,
                                opt->name);
        seen |= bit;
        if (opt->value != NULL)
            *opt->value = optarg;
        else
            *opt->flag = true;
    }
    nargs = argc - optind;
    if (n_args >= 0 && nargs != n_args) {
        if (nargs > n_args)
            return sv_cli_usage("device", "%s: unexpected argument '%s'",
                                o->sub_name, argv[optind + n_args]);
        return sv_cli_usage("device", "%s: an ID is required", o->sub_name);
    }
    if (nargs > 0)
        o->arg = argv[optind];

    if (number != NULL) {
        if (!sv_parse_i64(number, 10, 99, &v))
            return sv_cli_usage("device", "--number: the two-digit number "
                                          "shown on the sign-in screen");
        o->number = (int)v;
        o->has_number = true;
    }
    switch (o->sub) {
    case SUB_ENROL:
        if (o->server == NULL || !check_server(o->server))
            return sv_cli_usage("device", "enrol: --server: https://HOST[:PORT]"
                                          " is required (https only, no path)");
        if (o->tenant == NULL || !sv_check_slug(o->tenant, strlen(o->tenant)))
            return sv_cli_usage("device", "enrol: --tenant: a tenant slug is "
                                          "required");
        if (o->username == NULL ||
            !sv_check_username(o->username, strlen(o->username)))
            return sv_cli_usage("device", "enrol: --username: 3-64 of a-z, "
                                          "0-9, '.', '_', '-'");
        if (o->name != NULL) {
            char clean[NAME_MAX_LEN * 4 + 1];
            size_t len = strlen(o->name);
            if (len == 0 || len > NAME_MAX_LEN * 4 ||
                !sv_utf8_valid(o->name, len) ||
                sv_utf8_len(o->name, len) > NAME_MAX_LEN ||
                strcmp(safe_text(o->name, clean, sizeof clean), o->name) != 0)
                return sv_cli_usage("device", "--name: 1-64 characters, no "
                                              "control characters");
        }
        if (o->via != NULL && strcmp(o->via, "sms") != 0 &&
            strcmp(o->via, "approval") != 0 && strcmp(o->via, "totp") != 0)
            return sv_cli_usage("device", "--via: sms, approval or totp");
        break;
    case SUB_APPROVE:
    case SUB_DENY:
    case SUB_REVOKE:
        if (!check_id(o->arg))
            return sv_cli_usage("device", "%s: '%s' is not an id", o->sub_name,
                                o->arg);
        break;
    case SUB_SCAN:
        if ((o->arg == NULL) == (o->png == NULL))
            return sv_cli_usage("device", "scan: give either the QR text or "
                                          "--png FILE");
        if (o->arg != NULL && !check_qr(o->arg))
            return sv_cli_usage("device",
                                "scan: '%.40s' is not a Salesvault "
                                "QR code (svqr1.…)",
                                o->arg);
        if (o->deny && o->has_number)
            return sv_cli_usage("device", "scan: --deny takes no --number");
        break;
    default:
        break;
    }
    if (o->key_path == NULL) {
        if (!default_key_path(o->key_buf, sizeof o->key_buf))
            return sv_cli_usage("device", "--key: no home directory; give "
                                          "the key file path");
        o->key_path = o->key_buf;
    }
    return 0;
}

int
sv_cli_device(int argc, char **argv)
{
    struct opts o;
    struct devkey k;
    struct client c = {0};
    char qr[QR_MAX + 1];
    int rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    memset(&o, 0, sizeof o);
    rc = parse_opts(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return sv_cli_fail("device: cannot initialise libcurl");
    if (o.sub == SUB_ENROL) {
        rc = cmd_enrol(&o);
        curl_global_cleanup();
        return rc;
    }

    devkey_init(&k);
    if (o.png != NULL) { /* decode before touching the key or the network */
        rc = qr_from_png(o.png, qr, sizeof qr);
        if (rc != 0)
            goto cleanup;
    } else if (o.sub == SUB_SCAN) {
        snprintf(qr, sizeof qr, "%s", o.arg);
    }
    rc = key_load(o.key_path, &k, o.sub_name);
    if (rc != 0)
        goto cleanup;
    if (!client_open(&c, &k, o.cacert != NULL ? o.cacert : k.cacert,
                     o.sub_name)) {
        rc = 1;
        goto cleanup;
    }
    switch (o.sub) {
    case SUB_APPROVALS:
        rc = cmd_approvals(&c, &o);
        break;
    case SUB_APPROVE:
        rc = cmd_approve(&c, &o, true);
        break;
    case SUB_DENY:
        rc = cmd_approve(&c, &o, false);
        break;
    case SUB_SCAN:
        rc = cmd_scan(&c, &o, qr);
        break;
    case SUB_DEVICES:
        rc = cmd_devices(&c, &o);
        break;
    case SUB_REVOKE:
        rc = cmd_revoke(&c, &o);
        break;
    default:
        rc = 2;
        break;
    }
cleanup:
    client_close(&c);
    devkey_fini(&k);
    curl_global_cleanup();
    return rc;
}
