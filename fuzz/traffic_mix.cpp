// Fuzzes the readers of a traffic mix (include/llmcap/analysis/traffic_mix.hpp): the command
// line's "name:share,..." (parse_mix_spec, byte 0 even) and the JSON of a --mix file or a plan's
// "mix" (read_traffic_mix, byte 0 odd), built-in use case names and whole use cases alike.
// Checks: a failure says why (a JSON failure is about "mix" and names a JSONPath) and keeps
// nothing unusable; a mix read has at least one class, distinct names, no session use case,
// thresholds and lengths of at least 1 in every class, shares positive and summing to 1;
// written as JSON and read back it is the same mix; every position draws a class of the mix,
// and a run of positions draws each class close to its share.
#include <llmcap/analysis/traffic_mix.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>

#include "fuzz_check.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace llmcap::analysis;
    if (size == 0)
        return 0;
    const bool json = (data[0] & 1u) != 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    traffic_mix m;
    std::string note;
    if (json) {
        const llmcap::json_result<boost::json::value> doc = llmcap::parse_json(text, "mix");
        if (!doc)
            return 0;
        llmcap::json_reader in("mix");
        if (!read_traffic_mix(in, *doc, "$", m, {}, &note)) {
            const std::string e = in.error().message();
            FUZZ_CHECK(e.rfind("mix: $", 0) == 0, "an error without the subject and a path");
            return 0;
        }
    } else if (const std::string why = parse_mix_spec(text, m, {}, &note); !why.empty()) {
        return 0;
    }
    FUZZ_CHECK(!m.classes.empty(), "a mix without a class");
    double sum = 0.0;
    for (std::size_t i = 0; i < m.classes.size(); ++i) {
        const mix_class& c = m.classes[i];
        FUZZ_CHECK(c.share > 0.0 && std::isfinite(c.share), "a share that is not positive");
        FUZZ_CHECK(!c.workload.sessions, "a session use case in a mix");
        FUZZ_CHECK(!c.workload.thresholds.empty(), "a class without a threshold");
        FUZZ_CHECK(c.workload.context_tokens >= 1 && c.workload.output_tokens >= 1,
                   "a length of 0");
        for (std::size_t j = 0; j < i; ++j)
            FUZZ_CHECK(m.classes[j].workload.name != c.workload.name, "a class given twice");
        sum += c.share;
    }
    FUZZ_CHECK(std::abs(sum - 1.0) <= 1e-9, "shares that do not sum to 1");
    // Through JSON and back: the same mix (its shares already sum to 1).
    llmcap::json_reader again("mix");
    traffic_mix back;
    FUZZ_CHECK(read_traffic_mix(again, to_json(m), "$", back), "its own JSON is refused");
    FUZZ_CHECK(back.classes.size() == m.classes.size(), "a class lost in a round trip");
    for (std::size_t i = 0; i < m.classes.size(); ++i) {
        FUZZ_CHECK(back.classes[i].workload == m.classes[i].workload, "a use case changed");
        FUZZ_CHECK(std::abs(back.classes[i].share - m.classes[i].share) <= 1e-12,
                   "a share changed in a round trip");
    }
    // Every position draws a class; 200 positions each class within a few of its share.
    std::vector<double> count(m.classes.size(), 0.0);
    const std::uint64_t seed = size;
    for (std::uint64_t p = 0; p < 200; ++p) {
        const std::size_t k = mix_class_of(m, seed, p);
        FUZZ_CHECK(k < m.classes.size(), "a class out of the mix");
        ++count[k];
    }
    for (std::size_t k = 0; k < m.classes.size(); ++k)
        FUZZ_CHECK(std::abs(count[k] - 200.0 * m.classes[k].share) <= 5.0,
                   "a class far from its share over 200 positions");
    FUZZ_CHECK(mix_requests_for(m, mix_min_class_requests) >= mix_min_class_requests,
               "fewer requests than a class needs");
    return 0;
}
