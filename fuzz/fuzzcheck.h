#pragma once

#include <cstdio>
#include <cstdlib>

// A broken invariant is a crash to libFuzzer: it keeps the input and stops, like for a fault
// the sanitizers catch. The message says which invariant, since the stack alone may not.
#define SPOOL_FUZZ_CHECK(condition, what)                                                    \
    do {                                                                                     \
        if (!(condition)) {                                                                  \
            std::fprintf(stderr, "invariant broken at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                         what, #condition);                                                  \
            std::abort();                                                                    \
        }                                                                                    \
    } while (false)
