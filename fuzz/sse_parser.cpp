// Fuzzes sse::parser (include/llmcap/sse/parser.hpp). Checks, for any bytes:
// - differential: the events (type, data, id), the final error kind, retry_ms and, without an
//   error, the offset are the same when the stream is fed whole, in read sizes chosen by the
//   input's first bytes, and one byte at a time (small inputs), the parser reset in between;
// - the event-size limit (a small parser_options::max_event_bytes): no event's type plus data
//   exceeds it;
// - progress: each put() consumes more than 0 bytes or reports need_more having consumed all
//   of them; an error is final (put() again returns 0 and the same error, finish() too).
// Input layout: byte 0 picks the limit, byte 1 the number of read sizes (1-8), then that many
// read-size bytes, then the stream.
#include <llmcap/sse/parser.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

struct recorded_event {
    std::string type, data, id;
    bool operator==(const recorded_event&) const = default;
};

struct outcome {
    std::vector<recorded_event> events;
    std::error_code error; // the final error of put() or finish(); empty when clean
    std::optional<std::uint64_t> retry_ms;
    std::uint64_t offset = 0;
};

// Feeds `stream` in reads of `sizes` (cycled; a size larger than the rest takes the rest).
outcome run(llmcap::sse::parser& p, std::string_view stream, const std::vector<std::size_t>& sizes,
            std::size_t limit) {
    p.reset();
    outcome out;
    std::size_t k = 0;
    while (!stream.empty() && !out.error) {
        std::string_view read = stream.substr(0, sizes[k++ % sizes.size()]);
        stream.remove_prefix(read.size());
        while (!read.empty()) {
            llmcap::sse::event ev;
            std::error_code ec;
            const std::size_t n = p.put(read, ev, ec);
            FUZZ_CHECK(n <= read.size(), "put() consumed more than it was given");
            if (ec == llmcap::sse::error::need_more) {
                FUZZ_CHECK(n == read.size(), "need_more without consuming every byte");
                break;
            }
            if (ec) {
                out.error = ec;
                std::error_code again;
                llmcap::sse::event ignored;
                FUZZ_CHECK(p.put(read.substr(n), ignored, again) == 0 && again == ec,
                           "an error is not final for put()");
                break;
            }
            FUZZ_CHECK(n > 0, "put() dispatched an event without consuming bytes");
            FUZZ_CHECK(ev.type.size() + ev.data.size() <= limit, "event larger than the limit");
            FUZZ_CHECK(ev.id.size() <= limit, "event id larger than the limit");
            out.events.push_back({std::string(ev.type), std::string(ev.data), std::string(ev.id)});
            read.remove_prefix(n);
        }
    }
    std::error_code fin;
    p.finish(fin);
    if (out.error)
        FUZZ_CHECK(fin == out.error, "an error is not final for finish()");
    else
        out.error = fin;
    out.retry_ms = p.retry_ms();
    out.offset = p.offset();
    return out;
}

void check_same(const outcome& a, const outcome& b, std::size_t size) {
    FUZZ_CHECK(a.events == b.events, "events differ between read splits");
    FUZZ_CHECK(a.error == b.error, "final error differs between read splits");
    FUZZ_CHECK(a.retry_ms == b.retry_ms, "retry differs between read splits");
    if (!a.error) {
        FUZZ_CHECK(a.offset == size, "offset is not the stream size");
        FUZZ_CHECK(b.offset == size, "offset is not the stream size");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    const std::size_t limit = data[0] == 0 ? 4096 : std::size_t{data[0]} * 16;
    const std::size_t count = 1 + data[1] % 8;
    if (size < 2 + count)
        return 0;
    std::vector<std::size_t> sizes;
    for (std::size_t i = 0; i < count; ++i)
        sizes.push_back(1 + data[2 + i]);
    const std::string_view stream(reinterpret_cast<const char*>(data) + 2 + count,
                                  size - 2 - count);

    llmcap::sse::parser p(llmcap::sse::parser_options{limit});
    const outcome whole = run(p, stream, {stream.size() + 1}, limit);
    check_same(whole, run(p, stream, sizes, limit), stream.size());
    if (stream.size() <= 1024)
        check_same(whole, run(p, stream, {1}, limit), stream.size());
    // Describing an error must work for any error the parser returned.
    if (whole.error)
        FUZZ_CHECK(!p.describe(whole.error).empty(), "empty error description");
    return 0;
}
