// Fuzzes the reader of user-defined use cases (analysis::parse_use_cases,
// include/llmcap/analysis/use_case_json.hpp), session workloads ("sessions", with its think
// time) included: the file behind --use-cases-file, and the use cases embedded in results.json
// and sweep plans.
// Checks: no crash; a failure is about "use cases JSON" and names a JSONPath; a success has use
// cases with a name, counts >= 1, at least one threshold, finite bounds and (with sessions) at
// least one turn and one group and a sigma in [0, 4]; written back (serialize_use_cases) the use
// cases read again to the same use cases, and that text is a fixed point.
#include <llmcap/analysis/use_case_json.hpp>

#include "fuzz_check.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace llmcap::analysis;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const use_case_parse_result r = parse_use_cases(text);
    if (!r.ok()) {
        FUZZ_CHECK(r.error.rfind("use cases JSON: ", 0) == 0, "an error about something else");
        FUZZ_CHECK(r.use_cases.empty(), "use cases kept beside an error");
        return 0;
    }
    for (const use_case& uc : r.use_cases) {
        FUZZ_CHECK(!uc.name.empty(), "a use case without a name");
        FUZZ_CHECK(uc.context_tokens >= 1 && uc.output_tokens >= 1, "a count below 1");
        FUZZ_CHECK(!uc.thresholds.empty(), "a use case without thresholds");
        for (const threshold& t : uc.thresholds)
            FUZZ_CHECK(std::isfinite(t.bound), "a bound that is not finite");
        if (uc.sessions) {
            FUZZ_CHECK(uc.sessions->turns >= 1 && uc.sessions->groups >= 1,
                       "sessions without a turn or a group");
            FUZZ_CHECK(uc.sessions->turn_tokens_sigma >= 0.0 &&
                           uc.sessions->turn_tokens_sigma <= 4.0,
                       "a turn-length sigma out of [0, 4]");
        }
    }
    const std::string written = serialize_use_cases(r.use_cases);
    const use_case_parse_result again = parse_use_cases(written);
    if (!again.ok())
        std::fprintf(stderr, "written: %s\nerror: %s\n", written.c_str(), again.error.c_str());
    FUZZ_CHECK(again.ok(), "the use cases written do not read back");
    FUZZ_CHECK(again.use_cases.size() == r.use_cases.size(), "a use case lost in a round trip");
    const std::string rewritten = serialize_use_cases(again.use_cases);
    if (rewritten != written)
        std::fprintf(stderr, "written:   %s\nrewritten: %s\n", written.c_str(), rewritten.c_str());
    FUZZ_CHECK(rewritten == written, "the written form is not a fixed point");
    return 0;
}
