/* ctl_policy.c: validate / explain / replay (see ctl_policy.h). */
#include "ctl_policy.h"

#include <stdio.h>

int ctl_validate_main(int argc, char **argv) { (void)argc; (void)argv; fputs("todo\n", stderr); return 1; }
int ctl_explain_main(int argc, char **argv) { (void)argc; (void)argv; fputs("todo\n", stderr); return 1; }
int ctl_replay_main(int argc, char **argv) { (void)argc; (void)argv; fputs("todo\n", stderr); return 1; }
