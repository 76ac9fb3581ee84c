/*
 * ctl_policy.h: the policy sub-commands of inspect-ctl: validate, explain, replay.
 * They use the policy engine of lib/ (si_policy_*); nothing here parses XML itself.
 * Thread-safety: none (one command per process).
 */
#ifndef CTL_POLICY_H
#define CTL_POLICY_H

int ctl_validate_main(int argc, char **argv);
int ctl_explain_main(int argc, char **argv);
int ctl_replay_main(int argc, char **argv);
/* coverage (ctl_coverage.c): share of traffic inspected, bypassed, failed. */
int ctl_coverage_main(int argc, char **argv);

#endif
