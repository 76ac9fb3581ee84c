/* policy_holder.c: atomically swapped current policy; see policy_holder.h. */
#include "policy_holder.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy_status.h"

struct file_id {
    bool valid;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct si_policy_holder {
    char *path;
    pthread_mutex_t swap_lock; /* guards current */
    pthread_mutex_t load_lock; /* serialises loads and guards seen */
    struct si_policy *current;
    struct file_id seen;
    unsigned long long inputs_tried; /* live input signature of the last reload it caused */
    unsigned long generation;
    /* the reporting layer; guarded by load_lock */
    char *program, *state_dir;
    si_policy_log_fn *log;
    struct si_policy *builtin;
    bool polled;                /* the first poll happened */
    time_t last_poll;
    char state[32];             /* policy_status.h's state word of the last outcome */
    char last_err[1024];        /* the last refusal, one line */
    bool status_warned;         /* a failed status write was logged */
};

struct si_policy_holder *si_policy_holder_new(const char *path)
{
    struct si_policy_holder *h = calloc(1, sizeof(*h));

    if (!h || !(h->path = strdup(path ? path : ""))) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->swap_lock, NULL);
    pthread_mutex_init(&h->load_lock, NULL);
    return h;
}

void si_policy_holder_free(struct si_policy_holder *h)
{
    if (!h)
        return;
    if (h->state_dir) { /* this process's status file goes with it */
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s.%ld", h->state_dir,
                 h->program ? h->program : "policy", (long)getpid());
        unlink(path);
    }
    si_policy_unref(h->current);
    si_policy_unref(h->builtin);
    free(h->program);
    free(h->state_dir);
    pthread_mutex_destroy(&h->swap_lock);
    pthread_mutex_destroy(&h->load_lock);
    free(h->path);
    free(h);
}

static struct file_id identify(const char *path)
{
    struct file_id id = {0};
    struct stat st;

    if (stat(path, &st) == 0) {
        id.valid = true;
        id.dev = st.st_dev;
        id.ino = st.st_ino;
        id.size = st.st_size;
        id.mtime = st.st_mtim;
    }
    return id;
}

static bool same_id(const struct file_id *a, const struct file_id *b)
{
    return a->valid == b->valid && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Called with load_lock held. */
static int load_locked(struct si_policy_holder *h, char *err, size_t errsize)
{
    struct si_policy *p;

    h->seen = identify(h->path);
    p = si_policy_load(h->path, err, errsize);
    if (!p)
        return -1;
    si_policy_holder_install(h, p);
    return 0;
}

int si_policy_holder_load(struct si_policy_holder *h, char *err, size_t errsize)
{
    int rc;

    pthread_mutex_lock(&h->load_lock);
    rc = load_locked(h, err, errsize);
    pthread_mutex_unlock(&h->load_lock);
    return rc;
}

/* Has a file the current policy read (list, category, template) changed since it was read,
 * and not already been tried? Called with load_lock held. */
static bool inputs_changed(struct si_policy_holder *h)
{
    struct si_policy *cur = si_policy_holder_get(h);
    bool changed = false;

    if (cur) {
        unsigned long long live = si_policy_inputs_signature(cur, true);
        changed = live != si_policy_inputs_signature(cur, false) && live != h->inputs_tried;
        if (changed)
            h->inputs_tried = live; /* a failed load is reported once, not at every check */
        si_policy_unref(cur);
    }
    return changed;
}

/* Called with load_lock held. */
static int reload_if_changed_locked(struct si_policy_holder *h, char *err, size_t errsize)
{
    struct file_id now;

    if (!h->path[0])
        return 0;
    now = identify(h->path);
    if (now.valid && (!same_id(&now, &h->seen) || inputs_changed(h)))
        return load_locked(h, err, errsize) == 0 ? 1 : -1;
    return 0;
}

int si_policy_holder_reload_if_changed(struct si_policy_holder *h, char *err, size_t errsize)
{
    int rc;

    pthread_mutex_lock(&h->load_lock);
    rc = reload_if_changed_locked(h, err, errsize);
    pthread_mutex_unlock(&h->load_lock);
    return rc;
}

void si_policy_holder_install(struct si_policy_holder *h, struct si_policy *p)
{
    struct si_policy *old;

    pthread_mutex_lock(&h->swap_lock);
    old = h->current;
    h->current = p;
    h->generation++;
    pthread_mutex_unlock(&h->swap_lock);
    si_policy_unref(old);
}

struct si_policy *si_policy_holder_get(struct si_policy_holder *h)
{
    struct si_policy *p;

    pthread_mutex_lock(&h->swap_lock);
    p = si_policy_ref(h->current);
    pthread_mutex_unlock(&h->swap_lock);
    return p;
}

unsigned long si_policy_holder_generation(struct si_policy_holder *h)
{
    unsigned long g;

    pthread_mutex_lock(&h->swap_lock);
    g = h->generation;
    pthread_mutex_unlock(&h->swap_lock);
    return g;
}

/* ---- the reporting layer ---- */

void si_policy_holder_configure(struct si_policy_holder *h, const char *program,
                                const char *state_dir, si_policy_log_fn *log)
{
    pthread_mutex_lock(&h->load_lock);
    free(h->program);
    free(h->state_dir);
    h->program = program ? strdup(program) : NULL;
    h->state_dir = state_dir && *state_dir ? strdup(state_dir) : NULL;
    h->log = log;
    pthread_mutex_unlock(&h->load_lock);
}

void si_policy_holder_set_builtin(struct si_policy_holder *h, struct si_policy *p)
{
    pthread_mutex_lock(&h->load_lock);
    si_policy_unref(h->builtin);
    h->builtin = p;
    pthread_mutex_unlock(&h->load_lock);
}

static void say(struct si_policy_holder *h, enum si_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct si_policy_holder *h, enum si_log_level level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (h->log)
        h->log(level, line);
    else
        si_log(level, "%s", line);
}

/* Called with load_lock held. */
static void publish_locked(struct si_policy_holder *h)
{
    struct si_policy_status st = {.pid = (long)getpid()};
    struct si_policy *cur;
    char err[512];
    time_t now = time(NULL);
    struct tm tm;

    if (!h->state_dir)
        return;
    cur = si_policy_holder_get(h);
    snprintf(st.program, sizeof(st.program), "%s", h->program ? h->program : "policy");
    snprintf(st.policy, sizeof(st.policy), "%s", h->path[0] ? h->path : "-");
    snprintf(st.source, sizeof(st.source), "%s", cur ? si_policy_source(cur) : "-");
    snprintf(st.digest, sizeof(st.digest), "%s", cur ? si_policy_digest(cur) : "-");
    snprintf(st.state, sizeof(st.state), "%s", h->state[0] ? h->state : "none");
    gmtime_r(&now, &tm);
    strftime(st.time, sizeof(st.time), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(st.error, sizeof(st.error), "%s", h->last_err);
    si_policy_unref(cur);
    if (si_policy_status_write(h->state_dir, &st, err, sizeof(err)) < 0 && !h->status_warned) {
        h->status_warned = true;
        say(h, SI_LOG_WARN, "policy status not published (inspect-ctl status will not see "
                            "this process): %s", err);
    }
}

void si_policy_holder_publish(struct si_policy_holder *h)
{
    pthread_mutex_lock(&h->load_lock);
    publish_locked(h);
    pthread_mutex_unlock(&h->load_lock);
}

/* err on one line: the loader's line breaks (one per problem) become "; ". */
static void one_line(char *dst, size_t size, const char *err)
{
    size_t o = 0;

    for (const char *c = err; *c && o + 3 < size; c++) {
        if (*c == '\n') {
            if (c[1]) {
                dst[o++] = ';';
                dst[o++] = ' ';
            }
        } else {
            dst[o++] = *c;
        }
    }
    dst[o] = '\0';
}

/* Reports a load outcome (rc as si_policy_holder_poll) and publishes it. load_lock held. */
static void report_locked(struct si_policy_holder *h, int rc, const char *err)
{
    struct si_policy *cur = si_policy_holder_get(h);

    if (rc > 0) {
        h->last_err[0] = '\0';
        snprintf(h->state, sizeof(h->state), "loaded");
        say(h, SI_LOG_INFO, "policy %s loaded (digest %s)", h->path, si_policy_digest(cur));
    } else if (rc < 0) {
        one_line(h->last_err, sizeof(h->last_err), err);
        if (cur && !strcmp(si_policy_source(cur), h->path)) {
            snprintf(h->state, sizeof(h->state), "refused-kept");
            say(h, SI_LOG_ERROR, "policy %s refused, keeping the previous one (digest %s): %s",
                h->path, si_policy_digest(cur), h->last_err);
        } else if (cur) {
            snprintf(h->state, sizeof(h->state), "refused-builtin");
            say(h, SI_LOG_ERROR, "policy %s refused, enforcing %s (digest %s): %s", h->path,
                si_policy_source(cur), si_policy_digest(cur), h->last_err);
        } else {
            snprintf(h->state, sizeof(h->state), "refused-none");
            say(h, SI_LOG_ERROR, "policy %s refused, no policy in force: %s", h->path,
                h->last_err);
        }
    }
    si_policy_unref(cur);
    if (rc != 0)
        publish_locked(h);
}

/* The first poll: the file, else the built-in policy. load_lock held. */
static int first_locked(struct si_policy_holder *h)
{
    char err[4096] = "";
    int rc;

    h->polled = true;
    h->last_poll = time(NULL);
    if (!h->path[0]) {
        if (h->builtin) {
            si_policy_holder_install(h, si_policy_ref(h->builtin));
            snprintf(h->state, sizeof(h->state), "builtin");
            say(h, SI_LOG_INFO, "no policy file: enforcing %s (digest %s)",
                si_policy_source(h->builtin), si_policy_digest(h->builtin));
        } else {
            snprintf(h->state, sizeof(h->state), "refused-none");
            say(h, SI_LOG_ERROR, "no policy file and no built-in policy: no policy in force");
        }
        publish_locked(h);
        return h->builtin ? 1 : -1;
    }
    rc = load_locked(h, err, sizeof(err)) == 0 ? 1 : -1;
    if (rc < 0 && h->builtin)
        si_policy_holder_install(h, si_policy_ref(h->builtin));
    report_locked(h, rc, err);
    return rc;
}

int si_policy_holder_poll(struct si_policy_holder *h, unsigned interval_s)
{
    char err[4096] = "";
    int rc = 0;
    time_t now = time(NULL);

    pthread_mutex_lock(&h->load_lock);
    if (!h->polled) {
        rc = first_locked(h);
    } else if (h->path[0] && (interval_s == 0 || now - h->last_poll >= (time_t)interval_s)) {
        h->last_poll = now;
        rc = reload_if_changed_locked(h, err, sizeof(err));
        report_locked(h, rc, err);
    }
    pthread_mutex_unlock(&h->load_lock);
    return rc;
}

int si_policy_holder_reload(struct si_policy_holder *h)
{
    char err[4096] = "";
    int rc;

    pthread_mutex_lock(&h->load_lock);
    if (!h->polled) {
        rc = first_locked(h);
    } else if (!h->path[0]) {
        rc = 0; /* nothing to re-read: the built-in policy stays */
    } else {
        h->last_poll = time(NULL);
        rc = load_locked(h, err, sizeof(err)) == 0 ? 1 : -1;
        report_locked(h, rc, err);
    }
    pthread_mutex_unlock(&h->load_lock);
    return rc;
}

void si_policy_holder_last_error(struct si_policy_holder *h, char *buf, size_t size)
{
    pthread_mutex_lock(&h->load_lock);
    snprintf(buf, size, "%s", h->last_err);
    pthread_mutex_unlock(&h->load_lock);
}
