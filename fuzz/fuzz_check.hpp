// Shared by the fuzz targets: FUZZ_CHECK aborts (so libFuzzer records a crash and saves the
// input) when an invariant of a parser does not hold, naming the invariant and the line.
#pragma once

#include <cstdio>  // fprintf, stderr
#include <cstdlib> // abort
#include <cstring> // strcmp, strlen

#define FUZZ_CHECK(cond, what)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: invariant failed: %s (%s)\n", __FILE__, __LINE__, what,   \
                         #cond);                                                                   \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)

// The targets are built with BOOST_ENABLE_ASSERT_HANDLER (fuzz/CMakeLists.txt): a failed
// BOOST_ASSERT comes here and aborts, as assert() would, except for one assertion known to be
// wrong. Beast before Boost 1.86 asserts that a final chunk's header is still whole (5 bytes)
// when parsing resumes; a stream read as "0\r\n", then "\r", holds 4, and the code after the
// assertion handles it (it waits for the rest). Fixed upstream by boostorg/beast pull request
// 2861; this machine has Boost 1.81.
namespace boost {

inline bool fuzz_known_wrong_assertion(const char* expr, const char* file) {
    const char* const beast_parser = "boost/beast/http/impl/basic_parser.ipp";
    const std::size_t n = std::strlen(file), m = std::strlen(beast_parser);
    return std::strcmp(expr, "n >= 5") == 0 && n >= m &&
           std::strcmp(file + n - m, beast_parser) == 0;
}

void assertion_failed(const char* expr, const char* function, const char* file, long line) {
    if (fuzz_known_wrong_assertion(expr, file))
        return;
    std::fprintf(stderr, "%s:%ld: %s: assertion failed: %s\n", file, line, function, expr);
    std::abort();
}

void assertion_failed_msg(const char* expr, const char* msg, const char* function, const char* file,
                          long line) {
    std::fprintf(stderr, "%s:%ld: %s: assertion failed: %s (%s)\n", file, line, function, expr,
                 msg);
    std::abort();
}

} // namespace boost
