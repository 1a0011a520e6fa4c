/*
 * Shared helpers of the hardening programs. The PRNG, the random layout
 * generator, the naive reference and the status oracle are the test kit's
 * (testkit/c/testkit.h, shared with c_tests/harness.c); what is here serves
 * the hardening programs only. Build with -I include -I testkit/c
 * -I hardening.
 */
#ifndef HARDENING_COMMON_H
#define HARDENING_COMMON_H

#include <stdio.h>
#include <string.h>

#include "batch_dot.h"
#include "testkit.h"

/* Number of this process's mappings of libbatch_dot (/proc/self/maps), or
 * -1 when that cannot be read. */
static inline int lib_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int n = 0;
    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        if (strstr(line, "libbatch_dot")) {
            n++;
        }
    }
    fclose(f);
    return n;
}

#endif
