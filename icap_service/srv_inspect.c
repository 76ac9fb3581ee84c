/*
 * srv_inspect.c: the c-icap 0.5.x service "inspect": REQMOD and RESPMOD through the
 * squid-inspect security policy (lib/security.h). Thin glue: the decisions live in libinspect.
 *
 * c-icap.conf:
 *   Service inspect srv_inspect.so
 *   inspect.PolicyFile /etc/squid-inspect/policy.xml
 *   inspect.StateDir /var/lib/squid-inspect/status   # policy status files for inspect-ctl status
 *   inspect.ReloadCheckInterval 2      # seconds between file-change checks, 0 = off
 *   inspect.LogAllowed on              # one log line for allowed transactions too
 *   inspect.AdminContact IT help desk, ext. 4444   # shown on the block page (rest of the line)
 *   inspect.MaxRequestHoldSize 0       # most request body bytes held before answering
 *   inspect.MaxResponseHoldSize 60K    # the same for responses (see below)
 *   inspect.MaxHoldSize SIZE           # sets both
 *   (SIZE: digits with an optional K, M or G, 1024-based, optionally followed by B)
 *   inspect.MaxHeldMemory 256M         # all held bodies of a c-icap child together (0: no cap)
 *
 * Body rules need the body before the answer, so the service holds its answer until it has
 * decided, up to the policy's inspection-limit. Uploads (REQMOD) are held whole through Squid
 * 5.7 (the lab holds and blocks a 10 MB POST). Responses are not: Debian 12's Squid 5.7
 * (5.7-2+deb12u6, its CVE-2024-25111 backport of http.cc) stops reading from the origin when its
 * 64 KB ICAP buffer is full and waits for the store to "kick" the read, which never happens
 * while the service holds the whole answer: the download stalls with 0 bytes until a timeout
 * (reproduced in the lab; upstream Squid bug 5352, fixed in 2025 for v6/v7). So by default
 * response bodies larger than 60 KB are not held: the policy's inspection-limit action applies
 * and the log says "not inspected: too large". With a Squid that has the bug 5352 fix, or an
 * ICAP client that tolerates it (c-icap-client does), raise MaxResponseHoldSize.
 *
 * Policy lifecycle: loaded in post_init (monitor, after setuid; with a broken file every request
 * is answered 500, so Squid's bypass= setting applies, logged by both, until the file is fixed
 * and picked up by the watcher or the command below). Reloaded
 * by `echo -n inspect:reload > CommandsSocket` (monitor and every child) and by a watcher
 * thread in each child when the file changes. A reload that fails keeps the old policy and logs
 * file:line. lib/policy_holder does the loading and the log lines (the same words as the Squid
 * helpers') and writes each process's status file. Requests hold a reference for their whole
 * life (policy_holder.h).
 *
 * Thread-safety: the holder is thread-safe; the watcher thread only calls the holder and the
 * xdata setters (which lock); per-request state is in struct sv_txn.
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c-icap.h"
#include "commands.h"
#include "debug.h"
#include "request.h"
#include "service.h"
#include "simple_api.h"

#include "inspect_txn.h"
#include "policy_holder.h"
#include "units.h"

static int inspect_init(ci_service_xdata_t *x, struct ci_server_conf *conf);
static int inspect_post_init(ci_service_xdata_t *x, struct ci_server_conf *conf);
static void inspect_close(void);
static void *inspect_init_request(ci_request_t *req);
static void inspect_release_request(void *data);
static int inspect_preview(char *data, int len, ci_request_t *req);
static int inspect_end_of_data(ci_request_t *req);
static int inspect_io(char *wbuf, int *wlen, char *rbuf, int *rlen, int iseof, ci_request_t *req);

static char *PolicyFile = NULL;
static char *StateDir = NULL;
static int ReloadCheckInterval = 2;
static int LogAllowed = 1;
#define DEFAULT_RESPONSE_HOLD (60 * 1024)
static ci_off_t MaxRequestHoldSize = 0;
static ci_off_t MaxResponseHoldSize = DEFAULT_RESPONSE_HOLD;
#define DEFAULT_HELD_MEMORY (256 * 1024 * 1024)
static ci_off_t MaxHeldMemory = DEFAULT_HELD_MEMORY;

/* Like ci_cfg_size_off, but 0 is a valid value (ci_cfg_size_off ignores it) and the
 * grammar is lib/units.h's, shared with the policy and the helpers. */
static int parse_size(const char *directive, const char **argv, ci_off_t *out)
{
    unsigned long long v;

    if (!argv || !argv[0]) {
        ci_debug_printf(1, "inspect: %s needs a size (e.g. 60K, 1M, 0)\n", directive);
        return 0;
    }
    if (si_parse_size(argv[0], &v) < 0 || v > (unsigned long long)CI_STRTO_OFF_T_MAX) {
        ci_debug_printf(1, "inspect: %s: '%s' is not a size (e.g. 60K, 1M, 0)\n", directive,
                        argv[0]);
        return 0;
    }
    *out = (ci_off_t)v;
    return 1;
}

static int set_size(const char *directive, const char **argv, void *setdata)
{
    return parse_size(directive, argv, setdata);
}

/* inspect.MaxHoldSize: both directions at once. */
static int set_both_sizes(const char *directive, const char **argv, void *setdata)
{
    ci_off_t v;

    (void)setdata;
    if (!parse_size(directive, argv, &v))
        return 0;
    MaxRequestHoldSize = MaxResponseHoldSize = v;
    return 1;
}

static char AdminContact[256];

/* The rest of the directive's line, words joined by single spaces (c-icap splits on blanks). */
static int set_words(const char *directive, const char **argv, void *setdata)
{
    char *dst = setdata;
    size_t used = 0;

    (void)directive;
    dst[0] = '\0';
    for (int i = 0; argv && argv[i]; i++) {
        int n = snprintf(dst + used, sizeof(AdminContact) - used, "%s%s", i ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= sizeof(AdminContact) - used) {
            ci_debug_printf(1, "inspect: %s: value longer than %zu bytes\n", directive,
                            sizeof(AdminContact) - 1);
            dst[0] = '\0';
            return 0;
        }
        used += (size_t)n;
    }
    return 1;
}

static struct ci_conf_entry conf_table[] = {
    {"PolicyFile", &PolicyFile, ci_cfg_set_str, "path of the squid-inspect policy XML file"},
    {"StateDir", &StateDir, ci_cfg_set_str,
     "directory of the policy status files inspect-ctl status reads"},
    {"ReloadCheckInterval", &ReloadCheckInterval, ci_cfg_set_int,
     "seconds between policy file change checks (0: only on inspect:reload)"},
    {"LogAllowed", &LogAllowed, ci_cfg_onoff, "log allowed transactions too"},
    {"MaxRequestHoldSize", &MaxRequestHoldSize, set_size,
     "most request body bytes held back before answering (0: the policy's inspection-limit)"},
    {"MaxResponseHoldSize", &MaxResponseHoldSize, set_size,
     "most response body bytes held back before answering (0: the policy's inspection-limit)"},
    {"MaxHoldSize", NULL, set_both_sizes, "sets MaxRequestHoldSize and MaxResponseHoldSize"},
    {"MaxHeldMemory", &MaxHeldMemory, set_size,
     "most body bytes all transactions of a child hold at once (0: no cap)"},
    {"AdminContact", AdminContact, set_words, "who users should contact, shown on block pages"},
    {NULL, NULL, NULL, NULL}};

CI_DECLARE_MOD_DATA ci_service_module_t service = {
    "inspect",
    "squid-inspect security policy",
    ICAP_REQMOD | ICAP_RESPMOD,
    inspect_init,
    inspect_post_init,
    inspect_close,
    inspect_init_request,
    inspect_release_request,
    inspect_preview,
    inspect_end_of_data,
    inspect_io,
    conf_table,
    NULL};

static ci_service_xdata_t *XDATA;
static struct si_policy_holder *HOLDER;

static pthread_t watcher;
static int watcher_running;
static pthread_mutex_t watcher_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watcher_cond = PTHREAD_COND_INITIALIZER;
static int watcher_stop;

/* The holder's report lines (lib/policy_holder: the same words as the Squid helpers'). */
static void log_policy(enum si_log_level level, const char *line)
{
    ci_debug_printf(1, "inspect: %s%s\n", level == SI_LOG_WARN ? "WARNING: " : "", line);
}

static void set_istag(void)
{
    struct si_policy *p = HOLDER ? si_policy_holder_get(HOLDER) : NULL;
    char tag[32];

    if (!p || !XDATA) {
        si_policy_unref(p);
        return;
    }
    snprintf(tag, sizeof(tag), "policy-%.16s", si_policy_digest(p));
    ci_service_set_istag(XDATA, tag);
    si_policy_unref(p);
}

/* A forced reload (the command) or a check for changes (watcher, child start). */
static void reload(int forced)
{
    if (HOLDER && (forced ? si_policy_holder_reload(HOLDER) : si_policy_holder_poll(HOLDER, 0)) > 0)
        set_istag();
}

/* c-icap control command "inspect:reload": runs in the monitor and in every child. */
static void reload_command(const char *name, int type, const char **argv)
{
    (void)name, (void)type, (void)argv;
    reload(1);
}

static void *watch_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&watcher_lock);
    while (!watcher_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ReloadCheckInterval;
        pthread_cond_timedwait(&watcher_cond, &watcher_lock, &until);
        if (watcher_stop)
            break;
        pthread_mutex_unlock(&watcher_lock);
        reload(0);
        pthread_mutex_lock(&watcher_lock);
    }
    pthread_mutex_unlock(&watcher_lock);
    return NULL;
}

static void stop_watcher(void)
{
    pthread_mutex_lock(&watcher_lock);
    int running = watcher_running;
    watcher_stop = 1;
    watcher_running = 0;
    pthread_cond_broadcast(&watcher_cond);
    pthread_mutex_unlock(&watcher_lock);
    if (running)
        pthread_join(watcher, NULL);
}

/* CI_CMD_CHILD_START: each child checks the file at once (it may have changed since the
 * monitor loaded it) and then watches it. */
static void child_start(const char *name, int type, void *data)
{
    (void)name, (void)type, (void)data;
    sv_txn_set_child_pid((unsigned)getpid());
    if (HOLDER) {
        si_policy_holder_configure(HOLDER, "srv_inspect", StateDir, log_policy);
        si_policy_holder_publish(HOLDER); /* this child's own status file */
    }
    reload(0);
    if (ReloadCheckInterval <= 0)
        return;
    pthread_mutex_lock(&watcher_lock);
    watcher_stop = 0;
    if (!watcher_running && pthread_create(&watcher, NULL, watch_loop, NULL) == 0)
        watcher_running = 1;
    pthread_mutex_unlock(&watcher_lock);
}

static void child_stop(const char *name, int type, void *data)
{
    (void)name, (void)type, (void)data;
    stop_watcher();
}

static int inspect_init(ci_service_xdata_t *x, struct ci_server_conf *conf)
{
    (void)conf;
    XDATA = x;
    PolicyFile = NULL; /* statics survive when forceUnload=off: reset them */
    StateDir = NULL;
    ReloadCheckInterval = 2;
    LogAllowed = 1;
    MaxRequestHoldSize = 0;
    MaxResponseHoldSize = DEFAULT_RESPONSE_HOLD;
    MaxHeldMemory = DEFAULT_HELD_MEMORY;
    AdminContact[0] = '\0';
    ci_service_set_preview(x, 4096);
    ci_service_enable_204(x);
    ci_service_set_transfer_preview(x, "*");
    ci_service_set_xopts(x, CI_XCLIENTIP | CI_XAUTHENTICATEDUSER | CI_XAUTHENTICATEDGROUPS);
    return CI_OK;
}

static int inspect_post_init(ci_service_xdata_t *x, struct ci_server_conf *conf)
{
    char err[4096];

    (void)conf;
    XDATA = x;
    sv_conf.log_allowed = LogAllowed != 0;
    sv_conf.max_hold_request = (unsigned long long)MaxRequestHoldSize;
    sv_conf.max_hold_response = (unsigned long long)MaxResponseHoldSize;
    sv_conf.max_held_memory = (unsigned long long)MaxHeldMemory;
    ci_debug_printf(1, "inspect: bodies are held for inspection up to %llu request bytes and "
                       "%llu response bytes (inspect.MaxRequestHoldSize, MaxResponseHoldSize; "
                       "0 = the policy's inspection-limit), at most %llu bytes at once "
                       "(inspect.MaxHeldMemory, 0 = no cap)\n",
                    sv_conf.max_hold_request, sv_conf.max_hold_response,
                    sv_conf.max_held_memory);
    sv_conf.admin_contact = AdminContact[0] ? AdminContact : NULL;
    HOLDER = si_policy_holder_new(PolicyFile ? PolicyFile : "");
    if (!HOLDER)
        return CI_ERROR;
    /* The monitor serves no request and watches no file: only the children, which do, write
     * status files (child_start). */
    si_policy_holder_configure(HOLDER, "srv_inspect", NULL, log_policy);
    if (!PolicyFile) {
        static const char empty[] = "<policy xmlns=\"urn:squid-inspect:policy:1\"/>";
        struct si_policy *p = si_policy_load_mem(empty, sizeof(empty) - 1, "(built-in empty policy)",
                                                 NULL, err, sizeof(err));
        if (!p)
            return CI_ERROR;
        si_policy_holder_set_builtin(HOLDER, p);
        ci_debug_printf(1, "inspect: WARNING: no inspect.PolicyFile in c-icap.conf: running the "
                           "built-in empty policy, every transaction is allowed (and logged so)\n");
    }
    /* A file that cannot be loaded is not CI_ERROR: c-icap would keep the service in ERROR until
     * a reconfigure. Without a policy every request is answered 500 (so Squid's bypass= setting
     * decides: fail closed, or pass uninspected, logged as such) and the file is loaded as soon
     * as it is fixed (it changes, or inspect:reload). */
    si_policy_holder_poll(HOLDER, 0);
    set_istag();
    ci_command_register_ctl_cmd("inspect:reload", MONITOR_PROC_CMD | CHILDS_PROC_CMD,
                                reload_command);
    ci_command_register_action("inspect:child_start", CI_CMD_CHILD_START, NULL, child_start);
    ci_command_register_action("inspect:child_stop", CI_CMD_CHILD_STOP, NULL, child_stop);
    return CI_OK;
}

static void inspect_close(void)
{
    stop_watcher();
    si_policy_holder_free(HOLDER);
    HOLDER = NULL;
    XDATA = NULL;
}

static void *inspect_init_request(ci_request_t *req)
{
    struct si_policy *p;

    if (ci_req_type(req) != ICAP_REQMOD && ci_req_type(req) != ICAP_RESPMOD)
        return NULL;
    p = HOLDER ? si_policy_holder_get(HOLDER) : NULL;
    if (!p)
        return NULL;
    struct sv_txn *t = sv_txn_new(req, p);
    if (!t)
        si_policy_unref(p);
    return t;
}

static void inspect_release_request(void *data)
{
    sv_txn_free(data);
}

static int inspect_preview(char *data, int len, ci_request_t *req)
{
    struct sv_txn *t = ci_service_data(req);

    if (!t) {
        ci_debug_printf(1, "inspect: no policy or out of memory: failing the transaction\n");
        return CI_MOD_ERROR;
    }
    return sv_txn_preview(t, data, len);
}

static int inspect_end_of_data(ci_request_t *req)
{
    struct sv_txn *t = ci_service_data(req);

    return t ? sv_txn_end_of_data(t) : CI_MOD_DONE;
}

static int inspect_io(char *wbuf, int *wlen, char *rbuf, int *rlen, int iseof, ci_request_t *req)
{
    struct sv_txn *t = ci_service_data(req);

    if (!t) {
        if (wlen)
            *wlen = CI_EOF;
        return CI_OK;
    }
    return sv_txn_io(t, wbuf, wlen, rbuf, rlen, iseof);
}
