/*
 * policy_load.c: loads a policy file with lib/policy (as srv_inspect does) and prints the load
 * time, the process's peak RSS and the policy's counts. Used by bench/icap-bench.sh.
 *   policy_load POLICY.xml [HOST...]   (each HOST: one inspection decision, printed)
 */
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "policy.h"

int main(int argc, char **argv)
{
    char err[4096];
    struct timespec a, b;
    struct rusage ru;
    struct si_policy_stats st;

    if (argc < 2) {
        fprintf(stderr, "usage: policy_load POLICY.xml [HOST...]\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct si_policy *p = si_policy_load(argv[1], err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (!p) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    getrusage(RUSAGE_SELF, &ru);
    si_policy_get_stats(p, &st);
    printf("load_seconds=%.3f peak_rss_mb=%.1f domain_names=%zu categories=%zu "
           "category_names=%zu inspection_rules=%zu security_rules=%zu\n",
           (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
           (double)ru.ru_maxrss / 1024.0, st.domain_names, st.categories, st.category_names,
           st.inspection_rules, st.security_rules);
    for (int i = 2; i < argc; i++) {
        struct si_inspect_facts f = {.server_name = argv[i], .port = 443};
        struct si_inspect_result r;
        si_policy_inspection_decide(p, &f, &r);
        printf("%s -> %s rule=%s\n", argv[i], si_inspect_action_name(r.action), r.rule_id);
    }
    si_policy_unref(p);
    return 0;
}
