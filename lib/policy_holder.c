/* policy_holder.c: atomically swapped current policy; see policy_holder.h. */
#include "policy_holder.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    si_policy_unref(h->current);
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

int si_policy_holder_reload_if_changed(struct si_policy_holder *h, char *err, size_t errsize)
{
    int rc = 0;

    if (!h->path[0])
        return 0;
    pthread_mutex_lock(&h->load_lock);
    struct file_id now = identify(h->path);
    if (now.valid && (!same_id(&now, &h->seen) || inputs_changed(h)))
        rc = load_locked(h, err, errsize) == 0 ? 1 : -1;
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
