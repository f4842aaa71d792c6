// Fuzzes emulator::parse_fault (include/llmcap/emulator/fault.hpp), the reader of the
// x-llmcap-fault header and --fault option. Checks: a failure names a fault item ("fault: ...");
// a parsed fault's text form (to_string) parses back, to a fault equal field by field except
// that durations are cut to whole milliseconds, as to_string documents; and that text form is a
// fixed point (to_string of its parse is itself). merge() with itself changes nothing. The
// inputs under fuzz/regressions/emulator_fault/ once lost 1 ms per round trip.
#include <llmcap/emulator/fault.hpp>

#include "fuzz_check.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using llmcap::emulator::fault;

llmcap::duration whole_ms(llmcap::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

bool same_ms(llmcap::duration want, llmcap::duration got) {
    return want == got;
}

bool same_but_durations(const fault& a, const fault& b) {
    return a.refuse == b.refuse && a.status == b.status && a.stall_mid_after == b.stall_mid_after &&
           a.cut_after == b.cut_after && a.malformed_after == b.malformed_after &&
           a.error_after == b.error_after && a.overlong == b.overlong;
}

bool equal(const fault& a, const fault& b) {
    return same_but_durations(a, b) && a.stall_first == b.stall_first &&
           a.stall_mid == b.stall_mid && a.slow_headers == b.slow_headers;
}

bool equal_to_ms(const fault& a, const fault& b) {
    return same_but_durations(a, b) && same_ms(a.stall_first, b.stall_first) &&
           same_ms(a.stall_mid, b.stall_mid) && same_ms(a.slow_headers, b.slow_headers);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string error;
    const auto f = llmcap::emulator::parse_fault(text, error);
    if (!f) {
        FUZZ_CHECK(error.rfind("fault: ", 0) == 0, "a failure without a message");
        return 0;
    }
    FUZZ_CHECK(f->any() == !llmcap::emulator::to_string(*f).empty(), "any() and to_string");

    const std::string s1 = llmcap::emulator::to_string(*f);
    const auto f2 = llmcap::emulator::parse_fault(s1, error);
    if (!f2)
        std::fprintf(stderr, "to_string: \"%s\": %s\n", s1.c_str(), error.c_str());
    FUZZ_CHECK(f2.has_value(), "to_string() does not parse");
    FUZZ_CHECK(same_but_durations(*f, *f2), "to_string() parses to another fault");
    const std::string s2 = llmcap::emulator::to_string(*f2);
    if (!same_ms(whole_ms(f->stall_first), f2->stall_first) ||
        !same_ms(whole_ms(f->stall_mid), f2->stall_mid) ||
        !same_ms(whole_ms(f->slow_headers), f2->slow_headers))
        std::fprintf(stderr, "to_string: \"%s\" reads back as \"%s\"\n", s1.c_str(), s2.c_str());
    FUZZ_CHECK(same_ms(whole_ms(f->stall_first), f2->stall_first),
               "stall_first not kept to the ms");
    FUZZ_CHECK(same_ms(whole_ms(f->stall_mid), f2->stall_mid), "stall_mid not kept to the ms");
    FUZZ_CHECK(same_ms(whole_ms(f->slow_headers), f2->slow_headers),
               "slow_headers not kept to the ms");

    const auto f3 = llmcap::emulator::parse_fault(s2, error);
    FUZZ_CHECK(f3.has_value() && equal_to_ms(*f2, *f3), "the text form is not a fixed point");
    FUZZ_CHECK(llmcap::emulator::to_string(*f3) == s2, "the text form is not a fixed point");

    fault m = *f;
    m.merge(*f);
    FUZZ_CHECK(equal(m, *f), "merge() with itself changed the fault");
    return 0;
}
