/* policy_watch.c: reload the policy when its file changes (see policy_watch.h), on top of
 * lib/policy_holder (file identity, load, keep the last good policy). */
#include "policy_watch.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "policy_holder.h"

struct bump_watch {
    struct si_policy_holder *holder;
    char *path;
    unsigned interval;
    bool tried;              /* a first load was attempted */
    time_t last_check;
    struct si_policy *cur;   /* the reference behind the pointer bump_watch_get() lends */
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

    if (!w || !(w->path = strdup(path)) || !(w->holder = si_policy_holder_new(path))) {
        if (w)
            free(w->path);
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
    si_policy_holder_free(w->holder);
    free(w->path);
    free(w);
}

/* Loads (forced) or reloads if the file changed, and logs the outcome once per attempt. */
static void check(struct bump_watch *w, bool forced)
{
    char err[1536] = "";
    int rc = forced ? (si_policy_holder_load(w->holder, err, sizeof(err)) == 0 ? 1 : -1)
                    : si_policy_holder_reload_if_changed(w->holder, err, sizeof(err));
    struct si_policy *p;

    if (rc < 0) {
        snprintf(w->last_err, sizeof(w->last_err), "%s", err);
        si_error("policy %s rejected, %s: %s", w->path,
                 w->cur ? "keeping the previous one" : "no policy to answer with", err);
    } else if (rc > 0 && (p = si_policy_holder_get(w->holder))) {
        si_info("policy %s loaded (digest %s)%s", w->path, si_policy_digest(p),
                w->cur ? ", replacing the previous one" : "");
        si_policy_unref(w->cur);
        w->cur = p;
    }
}

struct si_policy *bump_watch_get(struct bump_watch *w, char *err, size_t errsize)
{
    time_t now = time(NULL);

    if (reload_requested || !w->tried || now - w->last_check >= (time_t)w->interval) {
        bool forced = reload_requested || !w->tried;
        reload_requested = 0;
        w->tried = true;
        w->last_check = now;
        check(w, forced);
    }
    if (!w->cur)
        snprintf(err, errsize, "%s", w->last_err);
    return w->cur;
}
