/* SPDX-License-Identifier: MIT */
/* Command-line parsing: GNU getopt_long order, strict values, one-line errors. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <netdb.h>
#include <string.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <ev.h>
#include "cli.h"
#include "usage.h"



enum {
    OPT_READY = 256, OPT_FRAME, OPT_RECV_FRAME, OPT_SEND_FRAME, OPT_RECORDS, OPT_MAX_FRAME,
    OPT_COUNT, OPT_UNTIL, OPT_NO_SHUTDOWN, OPT_CONNECT_TIMEOUT, OPT_RTIMEOUT, OPT_WTIMEOUT,
    OPT_DEADLINE, OPT_STATS, OPT_TLS, OPT_TLS_AUTO, OPT_CA, OPT_CERT, OPT_KEY, OPT_INSECURE,
    OPT_SERVERNAME, OPT_ALPN, OPT_PIN, OPT_TLS_PRIORITY, OPT_VERIFY_CLIENT,
    OPT_TLS_ALLOW_TRUNCATION, OPT_TLS_STRICT_CLOSE, OPT_TLS_INFO, OPT_SEND, OPT_SEND_FILE, OPT_EXPECT, OPT_REJECT,
    OPT_SLEEP, OPT_STARTTLS, OPT_STEP_TIMEOUT, OPT_THEN_RELAY, OPT_STARTTLS_NAME,
    OPT_RETRY_UNTIL, OPT_JSON_LOG, OPT_STARTTLS_REISSUE, OPT_SEND_RECORDS, OPT_RECV_RECORDS,
    OPT_STRICT_LINES, OPT_HTTP_LENIENT, OPT_PEER_EOF_GRACE, OPT_TAG, OPT_BROKER, OPT_SLOW, OPT_MAX_CONNS, OPT_MAX_ACCEPTS,
    OPT_HEXDUMP, OPT_HEXDUMP_WIRE, OPT_HEXDUMP_TIME,
    OPT_INETD, OPT_LISTEN_FDS,
};

static const struct option long_opts[] = {
    { "listen", no_argument, NULL, 'l' },
    { "unix", no_argument, NULL, 'U' },
    { "source", required_argument, NULL, 's' },
    { "source-port", required_argument, NULL, 'p' },
    { "ready", optional_argument, NULL, OPT_READY },
    { "zero-io", no_argument, NULL, 'z' },
    { "keep-open", no_argument, NULL, 'k' },
    { "tag", no_argument, NULL, OPT_TAG },
    { "broker", no_argument, NULL, OPT_BROKER },
    { "slow", required_argument, NULL, OPT_SLOW },
    { "max-conns", required_argument, NULL, OPT_MAX_CONNS },
    { "max-accepts", required_argument, NULL, OPT_MAX_ACCEPTS },
    { "frame", required_argument, NULL, OPT_FRAME },
    { "recv-frame", required_argument, NULL, OPT_RECV_FRAME },
    { "send-frame", required_argument, NULL, OPT_SEND_FRAME },
    { "records", required_argument, NULL, OPT_RECORDS },
    { "send-records", required_argument, NULL, OPT_SEND_RECORDS },
    { "recv-records", required_argument, NULL, OPT_RECV_RECORDS },
    { "strict-lines", no_argument, NULL, OPT_STRICT_LINES },
    { "http-lenient", no_argument, NULL, OPT_HTTP_LENIENT },
    { "max-frame", required_argument, NULL, OPT_MAX_FRAME },
    { "count", required_argument, NULL, OPT_COUNT },
    { "until", required_argument, NULL, OPT_UNTIL },
    { "crlf", no_argument, NULL, 'C' },
    { "no-shutdown", no_argument, NULL, OPT_NO_SHUTDOWN },
    { "peer-eof-grace", required_argument, NULL, OPT_PEER_EOF_GRACE },
    { "timeout", required_argument, NULL, 'w' },
    { "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
    { "rtimeout", required_argument, NULL, OPT_RTIMEOUT },
    { "wtimeout", required_argument, NULL, OPT_WTIMEOUT },
    { "deadline", required_argument, NULL, OPT_DEADLINE },
    { "verbose", no_argument, NULL, 'v' },
    { "stats", no_argument, NULL, OPT_STATS },
    { "tls", no_argument, NULL, OPT_TLS },
    { "tls-auto", no_argument, NULL, OPT_TLS_AUTO },
    { "ca", required_argument, NULL, OPT_CA },
    { "cert", required_argument, NULL, OPT_CERT },
    { "key", required_argument, NULL, OPT_KEY },
    { "insecure", no_argument, NULL, OPT_INSECURE },
    { "servername", required_argument, NULL, OPT_SERVERNAME },
    { "alpn", required_argument, NULL, OPT_ALPN },
    { "pin", required_argument, NULL, OPT_PIN },
    { "tls-priority", required_argument, NULL, OPT_TLS_PRIORITY },
    { "verify-client", no_argument, NULL, OPT_VERIFY_CLIENT },
    { "tls-allow-truncation", no_argument, NULL, OPT_TLS_ALLOW_TRUNCATION },
    { "tls-strict-close", no_argument, NULL, OPT_TLS_STRICT_CLOSE },
    { "tls-info", no_argument, NULL, OPT_TLS_INFO },
    { "send", required_argument, NULL, OPT_SEND },
    { "send-file", required_argument, NULL, OPT_SEND_FILE },
    { "expect", required_argument, NULL, OPT_EXPECT },
    { "reject", required_argument, NULL, OPT_REJECT },
    { "sleep", required_argument, NULL, OPT_SLEEP },
    { "starttls", required_argument, NULL, OPT_STARTTLS },
    { "step-timeout", required_argument, NULL, OPT_STEP_TIMEOUT },
    { "then-relay", no_argument, NULL, OPT_THEN_RELAY },
    { "starttls-name", required_argument, NULL, OPT_STARTTLS_NAME },
    { "retry-until", required_argument, NULL, OPT_RETRY_UNTIL },
    { "json-log", required_argument, NULL, OPT_JSON_LOG },
    { "hexdump", optional_argument, NULL, OPT_HEXDUMP },
    { "hexdump-wire", no_argument, NULL, OPT_HEXDUMP_WIRE },
    { "hexdump-time", no_argument, NULL, OPT_HEXDUMP_TIME },
    { "exec", required_argument, NULL, 'e' },
    { "sh-exec", required_argument, NULL, 'c' },
    { "inetd", no_argument, NULL, OPT_INETD },
    { "listen-fds", no_argument, NULL, OPT_LISTEN_FDS },
    { "starttls-reissue", no_argument, NULL, OPT_STARTTLS_REISSUE },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

static bool is_http_spec(const char *spec) { return spec && !strcmp(spec, "http"); }

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    char raw[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    cli_say("usage: %s (see aecat --help)", raw);   /* escaped there, like every line */
    return EXIT_USAGE;
}

/* nc, ncat and socat habits that aecat does not share: the option a user
 * of those tools reaches for, and what aecat has instead (or that it has
 * nothing yet). */
static const struct {
    const char *opt, *hint;
} habits[] = {
    { "--ssl", "did you mean --tls?" },
    { "--ssl-cert", "did you mean --cert?" },
    { "--ssl-key", "did you mean --key?" },
    { "--ssl-trustfile", "did you mean --ca?" },
    { "--ssl-servername", "did you mean --servername?" },
    { "--ssl-alpn", "did you mean --alpn?" },
    { "--ssl-verify", "aecat verifies the server by default (--insecure does not)" },
    { "-u", "(UDP) is not supported yet: aecat does streams" },
    { "--udp", "(UDP) is not supported yet: aecat does streams" },
    { "-x", "(connect through a proxy) is not supported yet" },
    { "--proxy", "(connect through a proxy) is not supported yet" },
};

/* The error for an option that getopt_long did not accept: opt is "-k"
 * or "--name" (without any "=value"). */
static int unknown_option(const char *opt)
{
    for (size_t i = 0; i < sizeof habits / sizeof *habits; i++) {
        if (strcmp(opt, habits[i].opt))
            continue;
        if (habits[i].hint[0] == '(')
            return usage_error("option %s %s", opt, habits[i].hint);
        return usage_error("unknown option %s: %s", opt, habits[i].hint);
    }
    return usage_error("unknown option %s", opt);
}

/* socat's ADDRESS-TYPE:... operands, and aecat's way of saying the same. */
static const struct {
    const char *type, *instead;
} socat_addresses[] = {
    { "tcp", "HOST PORT" }, { "tcp4", "-4 HOST PORT" }, { "tcp6", "-6 HOST PORT" },
    { "tcp-connect", "HOST PORT" }, { "tcp4-connect", "-4 HOST PORT" },
    { "tcp6-connect", "-6 HOST PORT" },
    { "tcp-listen", "-l PORT" }, { "tcp-l", "-l PORT" }, { "tcp4-listen", "-4 -l PORT" },
    { "tcp6-listen", "-6 -l PORT" },
    { "openssl", "--tls HOST PORT" }, { "openssl-connect", "--tls HOST PORT" },
    { "ssl", "--tls HOST PORT" }, { "openssl-listen", "-l --tls PORT" },
    { "ssl-l", "-l --tls PORT" },
    { "unix", "-U PATH" }, { "unix-connect", "-U PATH" }, { "unix-client", "-U PATH" },
    { "unix-listen", "-l -U PATH" }, { "unix-l", "-l -U PATH" },
    { "abstract-connect", "-U @NAME" }, { "abstract-listen", "-l -U @NAME" },
};

/* An operand in socat's syntax (e.g. TCP:host:port): its usage error, or -1. */
static int socat_operand(const char *operand)
{
    const char *colon = strchr(operand, ':');
    if (!colon)
        return -1;
    size_t n = (size_t)(colon - operand);
    for (size_t i = 0; i < sizeof socat_addresses / sizeof *socat_addresses; i++)
        if (strlen(socat_addresses[i].type) == n && !strncasecmp(operand, socat_addresses[i].type, n))
            return usage_error("'%s' is socat's address syntax: use aecat [options] %s",
                               operand, socat_addresses[i].instead);
    return -1;
}


static bool parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e9)
        return false;
    *out = v;
    return true;
}

/* Leading decimal digits (no sign, no blanks); *end after them. */
static bool parse_digits(const char *s, unsigned long long *v, char **end)
{
    errno = 0;
    if (*s < '0' || *s > '9')
        return false;
    *v = strtoull(s, end, 10);
    return errno == 0;
}

static bool parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    if (!parse_digits(s, &v, &end))
        return false;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    }
    if ((*end == 'i' || *end == 'B') && shift) {
        if (*end == 'i')
            end++;
        if (*end == 'B')
            end++;
    }
    if (*end || v == 0 || v > (SIZE_MAX >> shift))
        return false;
    *out = (size_t)(v << shift);
    return true;
}

static bool parse_count(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!parse_digits(s, &v, &end) || *end || v == 0)
        return false;
    *out = v;
    return true;
}

/* HOST:PORT or [v6]:PORT in one operand; false when it is not of that form. */
static bool split_host_port(char *s, const char **host, const char **port)
{
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close || close[1] != ':' || !close[2])
            return false;
        *close = 0;
        *host = s + 1;
        *port = close + 2;
        return true;
    }
    char *colon = strchr(s, ':');
    if (!colon || strchr(colon + 1, ':') || colon == s || !colon[1])
        return false;
    *colon = 0;
    *host = s;
    *port = colon + 1;
    return true;
}

/* --pin is repeatable: the library takes one comma-separated list. */
static int cfg_add_pin(cli_cfg *cfg, const char *pin)
{
    size_t old = cfg->pins ? strlen(cfg->pins) : 0;
    char *p = realloc(cfg->pins, old + strlen(pin) + 2);
    if (!p)
        return -1;
    if (old)
        p[old++] = ',';
    strcpy(p + old, pin);
    cfg->pins = p;
    return 0;
}

void cli_cfg_free(cli_cfg *cfg)
{
    for (size_t i = 0; i < cfg->nsteps; i++)
        aeh_buf_free(&cfg->steps[i].data);
    free(cfg->steps);
    free(cfg->pins);
    cfg->steps = NULL;
    cfg->pins = NULL;
    cfg->nsteps = 0;
    for (size_t i = 0; i < cfg->nprobe_ports; i++)
        free(cfg->probe_ports[i].service);
    free(cfg->probe_ports);
    cfg->probe_ports = NULL;
    free(cfg->exec_argv);
    cfg->exec_argv = NULL;
    cfg->nprobe_ports = 0;
}

static cli_step *add_step(cli_cfg *cfg, int kind, const char *opt, const char *arg)
{
    cli_step *p = realloc(cfg->steps, (cfg->nsteps + 1) * sizeof *p);
    if (!p)
        return NULL;
    cfg->steps = p;
    p += cfg->nsteps++;
    *p = (cli_step){ .kind = kind, .opt = opt, .arg = arg };
    return p;
}

/* The dialog options; -1 to go on, else the exit code. */
static int parse_step(cli_cfg *cfg, int c, const char *arg)
{
    static const char *const names[] = {
        [OPT_SEND - OPT_SEND] = "--send", [OPT_SEND_FILE - OPT_SEND] = "--send-file",
        [OPT_EXPECT - OPT_SEND] = "--expect", [OPT_REJECT - OPT_SEND] = "--reject",
        [OPT_SLEEP - OPT_SEND] = "--sleep", [OPT_STARTTLS - OPT_SEND] = "--starttls",
    };
    static const int kinds[] = {
        [OPT_SEND - OPT_SEND] = AEH_STEP_SEND, [OPT_SEND_FILE - OPT_SEND] = AEH_STEP_SEND,
        [OPT_EXPECT - OPT_SEND] = AEH_STEP_EXPECT, [OPT_REJECT - OPT_SEND] = AEH_STEP_REJECT,
        [OPT_SLEEP - OPT_SEND] = AEH_STEP_SLEEP, [OPT_STARTTLS - OPT_SEND] = AEH_STEP_STARTTLS,
    };
    const char *opt = names[c - OPT_SEND];
    cli_step *st = add_step(cfg, kinds[c - OPT_SEND], opt, arg);
    if (!st)
        return usage_error("%s: %s", opt, strerror(errno));
    aeh_error e;
    switch (c) {
    case OPT_SEND:
        if (aeh_unescape(arg, &st->data, &e) < 0)
            return usage_error("--send: %s at offset %llu of '%s'", e.msg,
                               (unsigned long long)e.offset, arg);
        break;
    case OPT_SEND_FILE:
        st->file = arg;           /* opened by dialog_prepare, before connecting */
        break;
    case OPT_EXPECT:
    case OPT_REJECT:
        if (!*arg)
            return usage_error("%s: empty pattern", opt);
        break;
    case OPT_SLEEP:
        if (!parse_seconds(arg, &st->seconds))
            return usage_error("--sleep: '%s' is not a number of seconds", arg);
        break;
    case OPT_STARTTLS:
        /* the protocol is checked once -l is known (client or server side) */
        if (!*arg)
            return usage_error("--starttls: empty protocol");
        cfg->starttls = arg;
        break;
    }
    return -1;
}

/* -e 'PROG ARGS' (split on blanks) or -c 'COMMAND' (/bin/sh -c) into
 * cfg->exec_argv: one block, the pointers then -e's words.  -1 to go on,
 * else the exit code. */
static int parse_exec(cli_cfg *cfg, int c, const char *arg)
{
    const char *opt = c == 'e' ? "-e" : "-c";
    if (cfg->exec_opt && strcmp(cfg->exec_opt, opt))
        return usage_error("-e and -c exclude each other (one program per connection)");
    size_t len = strlen(arg), nwords = 0;
    for (const char *p = arg; *p;) {
        p += strspn(p, " \t");
        if (*p)
            nwords++;
        p += strcspn(p, " \t");
    }
    if (!nwords)
        return usage_error("%s: empty %s", opt, c == 'e' ? "program" : "command");
    size_t nptrs = c == 'e' ? nwords + 1 : 4;
    char **argv = malloc(nptrs * sizeof *argv + len + 1);
    if (!argv)
        return usage_error("%s: %s", opt, strerror(errno));
    free(cfg->exec_argv);
    cfg->exec_argv = argv;
    cfg->exec_opt = opt;
    if (c == 'c') {
        argv[0] = (char *)"/bin/sh";
        argv[1] = (char *)"-c";
        argv[2] = (char *)arg;
        argv[3] = NULL;
        return -1;
    }
    char *words = memcpy((char *)(argv + nptrs), arg, len + 1);
    size_t i = 0;
    for (char *p = words; *p;) {
        p += strspn(p, " \t");
        if (!*p)
            break;
        argv[i++] = p;
        p += strcspn(p, " \t");
        if (*p)
            *p++ = 0;
    }
    argv[i] = NULL;
    return -1;
}

/* Options that only make sense with others: the last of each group seen,
 * named in validate()'s messages. */
typedef struct seen_opts {
    const char *tls_opt;          /* needs --tls, --tls-auto or --starttls */
    const char *client_opt;       /* not with -l */
    const char *relay_opt;        /* about stdin, stdout or the relay: not with -z */
    const char *keep_opt;         /* needs -k */
} seen_opts;

/* The options, into *cfg with its defaults: -1 to go on, 0 when --help or
 * --version was served, or the usage error's exit code. */
static int parse_options(int argc, char **argv, cli_cfg *cfg, seen_opts *seen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->family = AF_UNSPEC;
    cfg->ready_fd = -1;
    cfg->quit_after_eof = -1;
    cfg->peer_eof_grace = -1;
    cfg->step_timeout = 10;
    cfg->max_conns = 1000;
    const char *frame = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":lkU46s:p:Cq:Nw:vzhVe:c:", long_opts, NULL)) != -1) {
        double *secs = NULL;
        const char *name = NULL;
        switch (c) {
        case 'l': cfg->listen = true; break;
        case 'U': cfg->unix_socket = true; break;
        case '4': cfg->family = AF_INET; break;
        case '6': cfg->family = AF_INET6; break;
        case 's': cfg->source = optarg; break;
        case 'p': cfg->source_port = optarg; break;
        case 'C': cfg->crlf = true; break;
        case 'N': break;
        case 'v': cfg->verbose++; break;
        case 'z': cfg->probe = true; break;
        case 'k': cfg->keep_open = true; break;
        case OPT_TAG: cfg->tag = true; seen->keep_opt = "--tag"; break;
        case OPT_BROKER: cfg->broker = true; seen->keep_opt = "--broker"; break;
        case OPT_SLOW:
            if (!strcmp(optarg, "block"))
                cfg->slow = CLI_SLOW_BLOCK;
            else if (!strcmp(optarg, "drop"))
                cfg->slow = CLI_SLOW_DROP;
            else if (!strcmp(optarg, "close"))
                cfg->slow = CLI_SLOW_CLOSE;
            else
                return usage_error("--slow: '%s' is not block, drop or close", optarg);
            seen->keep_opt = "--slow";
            break;
        case OPT_MAX_CONNS:
            if (!parse_count(optarg, &cfg->max_conns) || cfg->max_conns > 1000000)
                return usage_error("--max-conns: '%s' is not a number from 1 to 1000000", optarg);
            seen->keep_opt = "--max-conns";
            break;
        case OPT_MAX_ACCEPTS:
            if (!parse_count(optarg, &cfg->max_accepts))
                return usage_error("--max-accepts: '%s' is not a positive number", optarg);
            seen->keep_opt = "--max-accepts";
            break;
        case 'h': cli_print_usage(); return 0;
        case 'V': cli_print_version(); return 0;
        case OPT_READY:
            cfg->ready_fd = 2;
            if (optarg) {
                char *end;
                long fd = strtol(optarg, &end, 10);
                if (*optarg < '0' || *optarg > '9' || *end || fd > 65535)
                    return usage_error("--ready: '%s' is not a file descriptor number", optarg);
                cfg->ready_fd = (int)fd;
            }
            break;
        case OPT_FRAME: frame = optarg; break;
        case OPT_RECV_FRAME: cfg->recv_frame = optarg; break;
        case OPT_SEND_FRAME: cfg->send_frame = optarg; break;
        case OPT_RECORDS: cfg->records = optarg; seen->relay_opt = "--records"; break;
        case OPT_SEND_RECORDS: cfg->send_records = optarg; seen->relay_opt = "--send-records"; break;
        case OPT_RECV_RECORDS: cfg->recv_records = optarg; seen->relay_opt = "--recv-records"; break;
        case OPT_STRICT_LINES: cfg->strict_lines = true; break;
        case OPT_HTTP_LENIENT: cfg->http_lenient = true; break;
        case OPT_MAX_FRAME:
            if (!parse_size(optarg, &cfg->max_frame))
                return usage_error("--max-frame: '%s' is not a size (e.g. 4096, 64K, 16M)", optarg);
            cfg->max_frame_set = true;
            break;
        case OPT_COUNT:
            if (!parse_count(optarg, &cfg->count))
                return usage_error("--count: '%s' is not a positive number", optarg);
            seen->relay_opt = "--count";
            break;
        case OPT_UNTIL: cfg->until = optarg; seen->relay_opt = "--until"; break;
        case OPT_NO_SHUTDOWN: cfg->no_shutdown = true; seen->relay_opt = "--no-shutdown"; break;
        case OPT_STATS: cfg->stats = true; break;
        case OPT_TLS: cfg->tls = true; break;
        case OPT_TLS_AUTO: cfg->tls_auto = true; break;
        case OPT_CA: cfg->ca = optarg; seen->tls_opt = "--ca"; break;
        case OPT_CERT: cfg->cert = optarg; seen->tls_opt = "--cert"; break;
        case OPT_KEY: cfg->key = optarg; seen->tls_opt = "--key"; break;
        case OPT_INSECURE: cfg->insecure = true; seen->tls_opt = seen->client_opt = "--insecure"; break;
        case OPT_SERVERNAME: cfg->servername = optarg; seen->tls_opt = seen->client_opt = "--servername"; break;
        case OPT_ALPN: cfg->alpn = optarg; seen->tls_opt = "--alpn"; break;
        case OPT_PIN:
            if (!*optarg || strchr(optarg, ','))
                return usage_error("--pin: '%s' is not one pin-sha256:BASE64 value", optarg);
            if (cfg_add_pin(cfg, optarg) < 0)
                return usage_error("--pin: %s", strerror(errno));
            seen->tls_opt = seen->client_opt = "--pin";
            break;
        case OPT_TLS_PRIORITY: cfg->tls_priority = optarg; seen->tls_opt = "--tls-priority"; break;
        case OPT_VERIFY_CLIENT: cfg->verify_client = true; seen->tls_opt = "--verify-client"; break;
        case OPT_TLS_ALLOW_TRUNCATION:
            cfg->tls_allow_truncation = true;
            seen->tls_opt = "--tls-allow-truncation";
            break;
        case OPT_TLS_STRICT_CLOSE:
            cfg->tls_strict_close = true;
            seen->tls_opt = "--tls-strict-close";
            break;
        case OPT_TLS_INFO: cfg->tls_info = true; seen->tls_opt = "--tls-info"; break;
        case OPT_SEND: case OPT_SEND_FILE: case OPT_EXPECT: case OPT_REJECT: case OPT_SLEEP:
        case OPT_STARTTLS: {
            int rc = parse_step(cfg, c, optarg);
            if (rc >= 0)
                return rc;
            break;
        }
        case OPT_STEP_TIMEOUT: secs = &cfg->step_timeout; name = "--step-timeout"; break;
        case OPT_THEN_RELAY: cfg->then_relay = true; seen->relay_opt = "--then-relay"; break;
        case OPT_STARTTLS_NAME: cfg->starttls_name = optarg; break;
        case OPT_RETRY_UNTIL: secs = &cfg->retry_until; name = "--retry-until"; break;
        case OPT_JSON_LOG: cfg->json_log = optarg; break;
        case OPT_HEXDUMP:
            if (optarg && !*optarg)
                return usage_error("--hexdump=: empty FILE (- for stderr)");
            cfg->hexdump = optarg ? optarg : "-";
            break;
        case OPT_HEXDUMP_WIRE: cfg->hexdump_wire = true; break;
        case OPT_HEXDUMP_TIME: cfg->hexdump_time = true; break;
        case 'e': case 'c': {
            int rc = parse_exec(cfg, c, optarg);
            if (rc >= 0)
                return rc;
            seen->relay_opt = cfg->exec_opt;
            break;
        }
        case OPT_INETD: cfg->inetd = true; break;
        case OPT_LISTEN_FDS: cfg->listen_fds = true; break;
        case OPT_STARTTLS_REISSUE: cfg->starttls_reissue = true; break;
        case 'q': secs = &cfg->quit_after_eof; name = seen->relay_opt = "-q"; break;
        case OPT_PEER_EOF_GRACE:
            secs = &cfg->peer_eof_grace;
            name = seen->relay_opt = "--peer-eof-grace";
            break;
        case 'w': secs = &cfg->wait; name = "-w"; break;
        case OPT_CONNECT_TIMEOUT: secs = &cfg->connect_timeout; name = "--connect-timeout"; break;
        case OPT_RTIMEOUT: secs = &cfg->rtimeout; name = "--rtimeout"; break;
        case OPT_WTIMEOUT: secs = &cfg->wtimeout; name = "--wtimeout"; break;
        case OPT_DEADLINE: secs = &cfg->deadline; name = "--deadline"; break;
        case ':':
            /* a long option's optopt is its val (>= 256 for ours): name it from argv */
            if (optopt > 0 && optopt < 256 && strncmp(argv[optind - 1], "--", 2))
                return usage_error("option -%c needs a value", optopt);
            return usage_error("option %s needs a value", argv[optind - 1]);
        default: {
            /* a long option given "=value" that it does not take: getopt_long
             * sets optopt to its val, which may also be a short option's */
            const char *arg = argv[optind - 1];
            size_t name_len = strcspn(arg, "=");
            for (const struct option *o = long_opts; optopt && o->name; o++)
                if (o->val == optopt && o->has_arg == no_argument && !strncmp(arg, "--", 2) &&
                    arg[name_len] == '=' && !strncmp(o->name, arg + 2, name_len - 2))
                    return usage_error("option --%s takes no value", o->name);
            if (optopt > 0 && optopt < 256) {
                char opt[3] = { '-', (char)optopt, 0 };
                return unknown_option(opt);
            }
            char long_name[64];
            snprintf(long_name, sizeof long_name, "%.*s", (int)name_len, arg);
            return unknown_option(long_name);
        }
        }
        if (secs && !parse_seconds(optarg, secs))
            return usage_error("%s: '%s' is not a number of seconds", name, optarg);
    }
    if (frame) {
        cfg->frame = frame;
        if (!cfg->recv_frame)
            cfg->recv_frame = frame;
        if (!cfg->send_frame)
            cfg->send_frame = frame;
    }
    if (cfg->records) {
        if (!cfg->send_records)
            cfg->send_records = cfg->records;
        if (!cfg->recv_records)
            cfg->recv_records = cfg->records;
    }
    return -1;
}

/* A port number of -z's list: 1 to 65535 in decimal digits (n of them). */
static bool probe_port_number(const char *p, size_t n, unsigned *port)
{
    if (n == 0 || n > 5 || strspn(p, "0123456789") < n)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(p[i] - '0');
    *port = v;
    return v >= 1 && v <= 65535;
}

/* -z's PORT operand: PORT, LO-HI or a comma-separated list of those, into
 * cfg->probe_ports; -1, or a usage error naming the bad item and its byte
 * offset in the operand.  A PORT may be a service name; a range takes
 * numbers only (a name such as "http-alt" is a name, not a range). */
static int parse_probe_ports(cli_cfg *cfg, const char *spec)
{
    const char *p = spec;
    for (;;) {
        size_t n = strcspn(p, ","), at = (size_t)(p - spec);
        const char *dash = memchr(p, '-', n);
        size_t lo_n = dash ? (size_t)(dash - p) : n, hi_n = dash ? n - lo_n - 1 : 0;
        bool digits_or_empty = strspn(p, "0123456789") == lo_n &&
                               (!dash || strspn(dash + 1, "0123456789") == hi_n);
        cli_port_range r = { 0 };
        if (n == 0)
            return usage_error("-z: PORT '%s': empty item at offset %zu", spec, at);
        if (digits_or_empty && dash && (!lo_n || !hi_n))
            return usage_error("-z: PORT '%s': range '%.*s' at offset %zu lacks its %s", spec, (int)n, p,
                               at, lo_n ? "HI" : "LO");
        if (digits_or_empty) {
            if (!probe_port_number(p, lo_n, &r.lo) || (dash && !probe_port_number(dash + 1, hi_n, &r.hi)))
                return usage_error("-z: PORT '%s': '%.*s' at offset %zu: a port is 1 to 65535", spec,
                                   (int)n, p, at);
            if (!dash)
                r.hi = r.lo;
            if (r.lo > r.hi)
                return usage_error("-z: PORT '%s': range '%.*s' at offset %zu is reversed (LO-HI, LO <= HI)",
                                   spec, (int)n, p, at);
        } else {
            r.service = strndup(p, n);
            if (!r.service)
                return usage_error("-z: %s", strerror(errno));
            if (!aeh_port_known(r.service)) {
                free(r.service);
                return usage_error("-z: PORT '%s': '%.*s' at offset %zu is not a port number, a LO-HI "
                                   "range or a known service", spec, (int)n, p, at);
            }
        }
        cli_port_range *a = realloc(cfg->probe_ports, (cfg->nprobe_ports + 1) * sizeof *a);
        if (!a) {
            free(r.service);
            return usage_error("-z: %s", strerror(errno));
        }
        cfg->probe_ports = a;
        a[cfg->nprobe_ports++] = r;
        if (!p[n])
            return -1;
        p += n + 1;
    }
}

/* --inetd: the connection is fd 0, --listen-fds: the listener fd 3, so no
 * operand names one; aecat is the server side (cfg->listen).  -1, or a
 * usage error. */
static int passed_operands(cli_cfg *cfg, int nop)
{
    if (cfg->listen_fds) {
        if (cfg->inetd || cfg->unix_socket || cfg->probe)
            return usage_error("--listen-fds listens on systemd's socket: not with %s",
                               cfg->inetd ? "--inetd" : cfg->unix_socket ? "-U" : "-z");
        if (nop || cfg->source || cfg->source_port)
            return usage_error("--listen-fds listens on systemd's socket: no HOST or PORT operand, no -s or -p");
        cfg->listen = true;
        return -1;
    }
    if (!cfg->exec_argv)
        return usage_error("--inetd needs -e or -c: the program that serves the connection");
    if (cfg->listen || cfg->probe || cfg->unix_socket)
        return usage_error("--inetd serves the connection on stdin: not with %s",
                           cfg->listen ? "-l" : cfg->probe ? "-z" : "-U");
    if (nop)
        return usage_error("--inetd serves the connection on stdin: no HOST or PORT operand");
    if (cfg->ready_fd >= 0)
        return usage_error("--ready applies to -l, not to --inetd");
    cfg->listen = true;
    return -1;
}

/* HOST PORT, HOST:PORT, PORT (-l) or PATH (-U): -1, or a usage error. */
static int parse_operands(cli_cfg *cfg, char **op, int nop)
{
    if (cfg->inetd || cfg->listen_fds)
        return passed_operands(cfg, nop);
    for (int i = 0; i < nop; i++) {
        int rc = socat_operand(op[i]);
        if (rc >= 0)
            return rc;
    }
    if (cfg->unix_socket) {
        if (nop != 1)
            return usage_error(nop ? "-U takes one PATH operand" : "missing PATH operand for -U");
        cfg->path = op[0];
        if (cfg->source || cfg->source_port)
            return usage_error("-s and -p do not apply to Unix-domain sockets");
    } else if (cfg->listen) {
        if ((cfg->source_port || cfg->source) && nop) {
            return usage_error("with -l, %s gives the %s to listen on: not with operands",
                               cfg->source_port ? "-p" : "-s",
                               cfg->source_port ? "port" : "address");
        } else if (cfg->source_port) {
            /* nc -l -p PORT [-s ADDR], as ncat and traditional nc take it */
            cfg->port = cfg->source_port;
            cfg->host = cfg->source;
            cfg->source_port = cfg->source = NULL;
        } else if (nop == 1 && !split_host_port(op[0], &cfg->host, &cfg->port)) {
            cfg->port = op[0];
        } else if (nop == 2) {
            cfg->host = op[0];
            cfg->port = op[1];
        } else if (nop != 1) {
            return usage_error(nop ? "too many operands for -l" : "missing PORT operand for -l");
        }
    } else {
        if (nop == 1 && split_host_port(op[0], &cfg->host, &cfg->port)) {
            ;
        } else if (nop == 2) {
            cfg->host = op[0];
            cfg->port = op[1];
        } else if (nop == 1) {
            return usage_error("missing PORT operand after HOST '%s'", op[0]);
        } else {
            return usage_error(nop > 2 ? "too many operands" : "missing HOST and PORT operands");
        }
    }
    return -1;
}

/* The path of a --send-file that reads stdin. */
static bool names_stdin(const char *path)
{
    return !strcmp(path, "/dev/stdin") || !strcmp(path, "/dev/fd/0") || !strcmp(path, "/proc/self/fd/0");
}

/* -z connects, runs the TLS handshake and the steps, and closes: what needs
 * stdin, stdout or a listener has no place in it.  -1, or a usage error. */
static int validate_probe(const cli_cfg *cfg, const seen_opts *seen)
{
    if (!cfg->probe)
        return -1;
    if (cfg->listen)
        return usage_error("-z probes by connecting: not with -l");
    if (cfg->unix_socket)
        return usage_error("-z probes TCP ports: not with -U");
    if (seen->relay_opt)
        return usage_error("%s is about stdin, stdout or the relay: -z has none of them", seen->relay_opt);
    for (size_t i = 0; i < cfg->nsteps; i++)
        if (cfg->steps[i].file && names_stdin(cfg->steps[i].file))
            return usage_error("-z reads no stdin: not --send-file %s", cfg->steps[i].file);
    return -1;
}

/* -k serves connections until stopped, sharing stdin and stdout: what is
 * about one connection's end has no place in it.  -1, or a usage error. */
static int validate_keep(const cli_cfg *cfg, const seen_opts *seen)
{
    if (!cfg->keep_open) {
        if (seen->keep_opt)
            return usage_error("%s needs -k", seen->keep_opt);
        return -1;
    }
    if (cfg->probe)
        return usage_error("-k keeps a listener open: not with -z");
    if (!cfg->listen)
        return usage_error("-k keeps a listener open: it needs -l");
    if (cfg->quit_after_eof >= 0)
        return usage_error("-q: not with -k (stdin's end half-closes each connection; "
                           "--max-accepts or --deadline end the run)");
    if (cfg->peer_eof_grace >= 0)
        return usage_error("--peer-eof-grace: not with -k (a connection ends with its peer's EOF)");
    if (cfg->hexdump)
        return usage_error("--hexdump: not with -k (the connections' bytes would interleave, unmarked)");
    if (cfg->inetd)
        return usage_error("--inetd serves the one connection inetd passed: not with -k");
    if (cfg->exec_argv && (cfg->tag || cfg->broker || cfg->slow != CLI_SLOW_BLOCK))
        return usage_error("%s: each connection talks to its own program, not to stdin/stdout: not with %s",
                           cfg->exec_opt, cfg->tag ? "--tag" : cfg->broker ? "--broker" : "--slow");
    if (cfg->tag && cfg->recv_records && !strcmp(cfg->recv_records, "raw"))
        return usage_error("--tag needs records that delimit frames: not --%s raw",
                           cfg->recv_records == cfg->records ? "records" : "recv-records");
    if (cfg->tag && !cfg->recv_records && !cfg->recv_frame)
        return usage_error("--tag needs a framing (--frame) or records that delimit frames (--records)");
    for (size_t i = 0; i < cfg->nsteps; i++)
        if (cfg->steps[i].file && names_stdin(cfg->steps[i].file))
            return usage_error("-k shares stdin among the connections: not --send-file %s", cfg->steps[i].file);
    return -1;
}

/* What each option allows alone, checked against the others: -1, or a
 * usage error. */
static int validate(const cli_cfg *cfg, const seen_opts *seen)
{
    if (cfg->port && !*cfg->port)
        return usage_error("empty PORT operand");
    if (cfg->port && !cfg->probe && !aeh_port_known(cfg->port))
        return usage_error("PORT '%s' is not a port number (0-65535) or a known service", cfg->port);
    if (cfg->source_port && !aeh_port_known(cfg->source_port))
        return usage_error("-p: '%s' is not a port number (0-65535) or a known service", cfg->source_port);
    if (cfg->path && strlen(cfg->path) >= sizeof ((struct sockaddr_un *)0)->sun_path)
        return usage_error("-U: path longer than %zu bytes",
                           sizeof ((struct sockaddr_un *)0)->sun_path - 1);
    if (cfg->host && !*cfg->host)
        return usage_error("empty HOST operand");
    int rc = validate_probe(cfg, seen);
    if (rc < 0)
        rc = validate_keep(cfg, seen);
    if (rc >= 0)
        return rc;
    for (size_t i = 0; cfg->exec_argv && i < cfg->nsteps; i++)
        if (cfg->steps[i].file && names_stdin(cfg->steps[i].file))
            return usage_error("%s: aecat's stdin is not read: not --send-file %s", cfg->exec_opt,
                               cfg->steps[i].file);
    if (cfg->ready_fd >= 0 && !cfg->listen)
        return usage_error("--ready applies to -l");
    if (cfg->tls && cfg->tls_auto)
        return usage_error("--tls and --tls-auto exclude each other (--tls-auto serves both)");
    if (cfg->tls_allow_truncation && cfg->tls_strict_close)
        return usage_error("--tls-allow-truncation and --tls-strict-close exclude each other");
    if (cfg->tls_auto && !cfg->listen)
        return usage_error("--tls-auto applies to -l");
    if (seen->tls_opt && !cfg->tls && !cfg->tls_auto && !cfg->starttls)
        return usage_error("%s needs --tls, --tls-auto or --starttls", seen->tls_opt);
    if (cfg->starttls && (cfg->tls || cfg->tls_auto))
        return usage_error("--starttls starts TLS inside the connection: not with %s",
                           cfg->tls ? "--tls" : "--tls-auto");
    if (cfg->retry_until > 0 && cfg->listen)
        return usage_error("--retry-until is for connecting, not for -l");
    if (cfg->starttls_name && !cfg->starttls)
        return usage_error("--starttls-name needs --starttls");
    if (cfg->starttls_reissue && (!cfg->starttls || cfg->listen))
        return usage_error("--starttls-reissue needs --starttls smtp or lmtp as a client");
    if (cfg->http_lenient && !is_http_spec(cfg->recv_frame) && !is_http_spec(cfg->send_frame))
        return usage_error("--http-lenient applies to the http framing");
    if (cfg->then_relay && !cfg->nsteps)
        return usage_error("--then-relay needs dialog steps (--send, --expect, ...)");
    if (seen->client_opt && cfg->listen)
        return usage_error("%s is for connecting, not for -l", seen->client_opt);
    if (cfg->verify_client && !cfg->listen)
        return usage_error("--verify-client applies to -l (a client always verifies the server)");
    if (cfg->verify_client && !cfg->ca)
        return usage_error("--verify-client needs --ca, the CAs that client certificates must chain to");
    if (cfg->key && !cfg->cert)
        return usage_error("--key needs --cert");
    /* the name TLS verifies and sends as SNI: ".example.org" would be
     * matched against certificates as nothing sensible (an empty label) */
    const char *tls_name = cfg->servername ? cfg->servername
                         : (cfg->tls || cfg->starttls) && !cfg->listen ? cfg->host : NULL;
    if (tls_name && (!*tls_name || *tls_name == '.'))
        return usage_error("%s '%s' is not a host name for TLS: %s",
                           cfg->servername ? "--servername" : "HOST", tls_name,
                           *tls_name ? "it starts with a dot" : "it is empty");
    return -1;
}

int cli_parse(int argc, char **argv, cli_cfg *cfg)
{
    seen_opts seen = { 0 };
    int rc = parse_options(argc, argv, cfg, &seen);
    if (rc < 0)
        rc = parse_operands(cfg, argv + optind, argc - optind);
    if ((cfg->hexdump_wire || cfg->hexdump_time) && !cfg->hexdump)
        cfg->hexdump = "-";
    if (rc < 0)
        rc = validate(cfg, &seen);
    if (rc < 0 && cfg->probe)
        rc = parse_probe_ports(cfg, cfg->port);
    /* the program serves the connection once the steps are done (a
     * STARTTLS server's plaintext after the upgrade) */
    if (rc < 0 && cfg->exec_argv)
        cfg->then_relay = true;
    return rc;
}
