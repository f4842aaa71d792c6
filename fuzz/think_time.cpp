// Fuzzes llmcap::parse_think_time (include/llmcap/core/think_time.hpp) and, through it,
// parse_duration (core/duration_text.hpp): the readers of --think-time and of a session use
// case's "think_time". Checks: a failure quotes the text it refused; a think time read is
// well formed (a mean of at least 0, a sigma in (0, 4]); its text form (to_string) parses back
// to the same think time, and that text form is a fixed point.
#include <llmcap/core/think_time.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string error;
    const auto t = llmcap::parse_think_time(text, error);
    if (!t) {
        FUZZ_CHECK(error.rfind("think time \"", 0) == 0, "a failure without the text");
        return 0;
    }
    FUZZ_CHECK(t->mean >= llmcap::duration::zero(), "a negative mean");
    FUZZ_CHECK(t->sigma > 0.0 && t->sigma <= 4.0, "a sigma out of range");
    const std::string s1 = t->to_string();
    const auto t2 = llmcap::parse_think_time(s1, error);
    if (!t2)
        std::fprintf(stderr, "to_string: \"%s\": %s\n", s1.c_str(), error.c_str());
    FUZZ_CHECK(t2.has_value(), "to_string does not parse back");
    // The text form says nothing of a fixed or zero mean's family, nor of a sigma it ignores.
    FUZZ_CHECK(t2->mean == t->mean, "the mean changed in a round trip");
    if (t->mean != llmcap::duration::zero()) {
        FUZZ_CHECK(t2->shape == t->shape, "the family changed in a round trip");
        if (t->shape == llmcap::think_time::family::lognormal)
            FUZZ_CHECK(t2->sigma == t->sigma, "sigma changed in a round trip");
    }
    FUZZ_CHECK(t2->to_string() == s1, "to_string is not a fixed point");
    return 0;
}
