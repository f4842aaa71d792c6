// Fuzzes prometheus::parse (include/llmcap/prometheus/parser.hpp). Checks, for any text: parsing
// never crashes; an error has a code, a 1-based line and column (none for empty input) and an
// offset inside the text; parsing the same text again into the same scrape (reusing its storage)
// gives the same result; every sample, label and family can be read; and the readers built on a
// scrape (find_histogram, histogram_delta, compute_server_cell_metrics with the vLLM, SGLang and
// llama.cpp maps, gauge_tracker) run on it, the delta taken between two parses of the text's
// halves (split where byte 0 of the input says).
#include <llmcap/prometheus/histogram.hpp>
#include <llmcap/prometheus/metric_map.hpp>
#include <llmcap/prometheus/parser.hpp>
#include <llmcap/prometheus/scrape.hpp>
#include <llmcap/prometheus/server_cell_metrics.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

namespace prom = llmcap::prometheus;

// Reads everything a scrape holds; returns a checksum so nothing is optimised away.
std::size_t walk(const prom::scrape& s) {
    std::size_t n = 0;
    for (const prom::sample_view v : s) {
        n += v.name().size();
        n += v.timestamp_ms().has_value();
        n += static_cast<std::size_t>(v.type());
        for (const prom::label l : v.labels())
            n += l.name.size() + l.value.size();
        (void)v.value();
    }
    for (std::size_t i = 0; i < s.family_count(); ++i) {
        const prom::family_view f = s.family(i);
        n += f.name().size() + f.help().size();
        for (std::size_t j = 0; j < f.size(); ++j)
            n += f[j].name().size();
        FUZZ_CHECK(s.find_family(f.name()).has_value(), "find_family misses a family");
    }
    return n;
}

void parse_checked(std::string_view text, prom::scrape& s) {
    const prom::parse_error e = prom::parse(text, s);
    if (e) {
        if (e.code == prom::error::empty_input) // a page without samples has no place
            FUZZ_CHECK(e.line == 0 && e.column == 0, "empty input with a line and column");
        else
            FUZZ_CHECK(e.line >= 1 && e.column >= 1, "error without a line and column");
        FUZZ_CHECK(e.offset <= text.size(), "error offset past the end of the text");
        FUZZ_CHECK(!e.message().empty(), "error without a message");
    } else {
        FUZZ_CHECK(e.message().empty(), "message on success");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

    prom::scrape s;
    parse_checked(text, s);
    const std::size_t samples = s.size();
    const std::size_t sum = walk(s);
    parse_checked(text, s); // again, into the storage of the first parse
    FUZZ_CHECK(s.size() == samples && walk(s) == sum, "a second parse differs");

    std::error_code ec;
    for (std::size_t i = 0; i < s.family_count(); ++i) {
        const prom::family_view f = s.family(i);
        if (f.type() == prom::metric_type::histogram) {
            const auto h = prom::find_histogram(s, f.name(), {}, ec);
            FUZZ_CHECK(h.has_value() == !ec, "find_histogram: result and error disagree");
            if (h) {
                const prom::histogram d = prom::histogram_delta(*h, *h, ec);
                FUZZ_CHECK(!ec, "the delta of a histogram with itself failed");
                (void)d.mean();
            }
        }
    }

    // Two scrapes: the text's halves, split where byte 0 says.
    const std::size_t cut = text.empty() ? 0 : (std::size_t{data[0]} * text.size()) / 256;
    prom::scrape before, after;
    parse_checked(text.substr(0, cut), before);
    parse_checked(text.substr(cut), after);
    for (const prom::metric_map* map :
         {&prom::vllm_v1_metrics, &prom::sglang_metrics, &prom::llama_cpp_metrics}) {
        prom::gauge_tracker gauges(*map);
        gauges.add(llmcap::time_point{}, before);
        gauges.add(llmcap::time_point{} + std::chrono::seconds(1), after);
        prom::cell_metric_inputs in;
        in.gauges = &gauges;
        (void)prom::compute_server_cell_metrics(*map, before, after, in);
    }
    return 0;
}
