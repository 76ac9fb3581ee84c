/* policy_watch.c: the helper's policy through lib/policy_holder (see policy_watch.h). */
#include "policy_watch.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy_holder.h"

struct bp_watch {
    struct si_policy_holder *holder;
    unsigned interval;
    struct si_policy *cur; /* the reference behind the pointer bp_watch_get() lends */
};

static volatile sig_atomic_t reload_requested;

void bp_watch_request_reload(void)
{
    reload_requested = 1;
}

struct bp_watch *bp_watch_new(const char *path, unsigned interval, const char *state_dir)
{
    struct bp_watch *w = calloc(1, sizeof(*w));

    if (!w || !(w->holder = si_policy_holder_new(path))) {
        free(w);
        return NULL;
    }
    si_policy_holder_configure(w->holder, "inspect-bump", state_dir, NULL);
    w->interval = interval;
    return w;
}

void bp_watch_free(struct bp_watch *w)
{
    if (!w)
        return;
    si_policy_unref(w->cur);
    si_policy_holder_free(w->holder);
    free(w);
}

struct si_policy *bp_watch_get(struct bp_watch *w, char *err, size_t errsize)
{
    int rc;

    if (reload_requested) {
        reload_requested = 0;
        rc = si_policy_holder_reload(w->holder);
    } else {
        rc = si_policy_holder_poll(w->holder, w->interval);
    }
    if (rc > 0 || !w->cur) {
        si_policy_unref(w->cur);
        w->cur = si_policy_holder_get(w->holder);
    }
    if (!w->cur) {
        char last[1024];

        si_policy_holder_last_error(w->holder, last, sizeof(last));
        snprintf(err, errsize, "%s", last[0] ? last : "no policy loaded yet");
    }
    return w->cur;
}
