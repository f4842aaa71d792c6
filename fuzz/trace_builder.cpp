// Fuzzes openai::trace_builder (include/llmcap/openai/trace_builder.hpp) over whole response
// bodies. Checks that the trace does not depend on how the body was split into reads: fed whole,
// in read sizes from the input's header, and in a second pattern, the traces have the same
// shape (token events with their counts and kinds, SSE event count, failure kind, finish reason,
// model, id, [DONE], usage, server timings, the captured answer text; not the timestamps, and not
// the error message, which may name a split-dependent byte offset). Also feeds the body to
// put_complete_body, and checks that a builder without an answer-text sink gives the same trace.
// Input layout: byte 0 flags (bit 0: max_tokens set from byte 1, to reach overlong_stream;
// bit 1: fixed output; bit 2: connection broken at the end; bit 3: 4 KiB SSE event limit),
// byte 1 max_tokens, bytes 2-3 read-size seeds, then the body.
#include <llmcap/openai/trace_builder.hpp>

#include "fuzz_check.hpp"
#include "trace_shape.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using fuzz::shape_of;
using llmcap::request_trace;
using llmcap::time_point;

struct settings {
    llmcap::openai::trace_builder_options options;
    std::uint32_t max_tokens = 0;
    bool fixed_output = false;
    bool clean_eof = true;
};

// Feeds the body in reads of the given sizes (cycled); read k is stamped k ms after t0. The
// answer text goes to `answer` when it is not null.
request_trace replay(std::string_view body, const std::vector<std::size_t>& reads,
                     const settings& s, std::string* answer = nullptr) {
    const time_point t0 = time_point{} + std::chrono::hours(1);
    llmcap::openai::trace_builder b(s.options);
    request_trace t;
    t.intended_start = t0;
    t.max_tokens = s.max_tokens;
    t.fixed_output = s.fixed_output;
    b.begin(t, answer);
    std::size_t k = 0;
    while (!body.empty()) {
        const std::size_t n = std::min(body.size(), reads[k % reads.size()]);
        const bool more = b.put(body.substr(0, n), t0 + std::chrono::milliseconds(k + 1));
        body.remove_prefix(n);
        ++k;
        FUZZ_CHECK(more == !b.ended(), "put() and ended() disagree");
        if (!more)
            break;
    }
    b.finish(t0 + std::chrono::milliseconds(k + 1), s.clean_eof);
    FUZZ_CHECK(b.ended(), "not ended after finish()");
    FUZZ_CHECK(t.ok() == !t.failure.has_value(), "ok() and failure disagree");
    return t;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4)
        return 0;
    settings s;
    if (data[0] & 1)
        s.max_tokens = data[1];
    s.fixed_output = (data[0] & 2) != 0;
    s.clean_eof = (data[0] & 4) == 0;
    if (data[0] & 8)
        s.options.sse.max_event_bytes = 4096;
    const std::vector<std::size_t> reads_a{1 + std::size_t{data[2]} % 32};
    const std::vector<std::size_t> reads_b{1 + std::size_t{data[3]}, 1, 2 + std::size_t{data[2]},
                                           7};
    const std::string_view body(reinterpret_cast<const char*>(data) + 4, size - 4);

    std::string text_whole, text_a, text_b;
    const request_trace t_whole = replay(body, {body.size() + 1}, s, &text_whole);
    const fuzz::trace_shape whole = shape_of(t_whole, text_whole);
    const request_trace t_a = replay(body, reads_a, s, &text_a);
    FUZZ_CHECK(shape_of(t_a, std::move(text_a)) == whole, "trace differs for read split A");
    const request_trace t_b = replay(body, reads_b, s, &text_b);
    FUZZ_CHECK(shape_of(t_b, std::move(text_b)) == whole, "trace differs for read split B");
    // Capturing the text changes nothing else.
    FUZZ_CHECK(shape_of(replay(body, reads_a, s), text_whole) == whole,
               "trace differs without an answer-text sink");

    llmcap::openai::trace_builder b(s.options);
    request_trace t;
    t.max_tokens = s.max_tokens;
    std::string text = "before|";
    b.begin(t, &text);
    b.put_complete_body(body, time_point{} + std::chrono::hours(1));
    FUZZ_CHECK(b.ended(), "not ended after put_complete_body()");
    FUZZ_CHECK(text.compare(0, 7, "before|") == 0, "the answer text lost what it held");
    return 0;
}
