// Shared by the fuzz targets: FUZZ_CHECK aborts (so libFuzzer records a crash and saves the
// input) when an invariant of a parser does not hold, naming the invariant and the line.
#pragma once

#include <cstdio>  // fprintf, stderr
#include <cstdlib> // abort

#define FUZZ_CHECK(cond, what)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: invariant failed: %s (%s)\n", __FILE__, __LINE__, what,   \
                         #cond);                                                                   \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)
