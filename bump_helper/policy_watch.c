/* policy_watch.c: reload the policy when its file changes (see policy_watch.h). */
#include "policy_watch.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

struct bump_watch {
    char *path;
    unsigned interval;
    struct si_policy *cur;
    struct stat sig;      /* of the file as last loaded (or last failed) */
    bool have_sig;
    time_t last_check;
    char last_err[2048];
};

static volatile sig_atomic_t reload_requested;

void bump_watch_request_reload(void)
{
    reload_requested = 1;
}

struct bump_watch *bump_watch_new(const char *path, unsigned interval)
{
    struct bump_watch *w = calloc(1, sizeof(*w));

    if (!w || !(w->path = strdup(path))) {
        free(w);
        return NULL;
    }
    w->interval = interval;
    snprintf(w->last_err, sizeof(w->last_err), "policy %s not loaded yet", path);
    return w;
}

void bump_watch_free(struct bump_watch *w)
{
    if (!w)
        return;
    si_policy_unref(w->cur);
    free(w->path);
    free(w);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void load(struct bump_watch *w, const struct stat *st)
{
    char err[1536];
    struct si_policy *p = si_policy_load(w->path, err, sizeof(err));

    w->sig = *st;
    w->have_sig = true;
    if (!p) {
        snprintf(w->last_err, sizeof(w->last_err), "%s", err);
        si_error("policy %s rejected, %s: %s", w->path,
                 w->cur ? "keeping the previous one" : "no policy to answer with", err);
        return;
    }
    si_info("policy %s loaded (digest %s)%s", w->path, si_policy_digest(p),
            w->cur ? ", replacing the previous one" : "");
    si_policy_unref(w->cur);
    w->cur = p;
}

struct si_policy *bump_watch_get(struct bump_watch *w, char *err, size_t errsize)
{
    time_t now = time(NULL);
    struct stat st;

    if (reload_requested || !w->have_sig || now - w->last_check >= (time_t)w->interval) {
        bool forced = reload_requested;
        reload_requested = 0;
        w->last_check = now;
        if (stat(w->path, &st) < 0) {
            if (!w->cur)
                snprintf(w->last_err, sizeof(w->last_err), "cannot read policy %s", w->path);
        } else if (forced || !w->have_sig || !same_file(&st, &w->sig)) {
            load(w, &st);
        }
    }
    if (!w->cur)
        snprintf(err, errsize, "%s", w->last_err);
    return w->cur;
}
