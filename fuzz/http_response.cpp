// Fuzzes the client's HTTP response path (include/llmcap/client/detail/response_reader.hpp, the
// parser http_endpoint's transact() drives, with Beast's response parser underneath) over whole
// responses: status line, headers, chunked or sized or close-delimited bodies, into the handler
// of a streamed completion, of a non-streamed completion, or of a plain GET (/v1/models,
// /tokenize, /metrics). Bytes are fed as transact() feeds them: appended to a buffer per read,
// parsed until the reader needs more, the used bytes dropped; the end of the input is the server
// closing the connection (or a read error).
// Checks: each put() uses at most what it was given and, asking to be called again, used some
// (no spin); an exchange that ends has recorded its outcome (a trace with an end, a failure
// with a message; a plain answer within its body limit, an error status as a failure); and the
// result does not depend on the read split: fed whole, in two split patterns, and one byte at a
// time (inputs up to 1 KiB), the trace's shape, the plain answer, whether the connection may be
// reused, and how many bytes were used are the same (for a failure before the headers, its
// kind: see expect_same).
// Input layout: byte 0 flags (bits 0-1: 0 streamed completion, 1 non-streamed completion,
// 2 or 3 plain GET; bit 2: the input ends in a read error instead of a close; bit 3: small body
// limits, 96 bytes of body and 48 of error body; bit 4: a 128-byte header limit), bytes 1-2
// read-size seeds, then the response bytes. LLMCAP_FUZZ_TRACE=1 prints every put() (replaying an
// input to see where two splits part).
#include <llmcap/client/detail/exchange.hpp>
#include <llmcap/client/detail/response_reader.hpp>
#include <llmcap/client/http_response.hpp>
#include <llmcap/openai/trace_builder.hpp>

#include "fuzz_check.hpp"
#include "trace_shape.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace llmcap;
using client::detail::read_state;

struct settings {
    int mode = 0; // 0 streamed, 1 non-streamed, 2 plain
    bool read_error = false;
    std::size_t body_limit = 64 * 1024 * 1024;
    std::size_t error_body_limit = 64 * 1024;
    std::size_t header_limit = 64 * 1024;
};

// What an exchange left behind, split-independent parts only.
struct result {
    std::optional<fuzz::trace_shape> trace;
    std::optional<client::http_response> plain;
    std::optional<read_state> ended; // keep or close; empty: the input ran out first
    std::size_t used = 0; // compared unless the connection closes (then the rest is dropped)
    bool operator==(const result& o) const {
        const auto same_plain = [](const client::http_response& a, const client::http_response& b) {
            return a.status == b.status && a.content_type == b.content_type &&
                   a.server == b.server && a.body == b.body && a.failure == b.failure &&
                   a.error_message == b.error_message;
        };
        return trace == o.trace && plain.has_value() == o.plain.has_value() &&
               (!plain || same_plain(*plain, *o.plain)) && ended == o.ended &&
               (ended == read_state::close || used == o.used);
    }
};

// Runs one exchange over `bytes`, read in the given sizes (cycled); read k is stamped k ms after
// the send.
result exchange(std::string_view bytes, const std::vector<std::size_t>& reads, const settings& s) {
    const time_point t0 = time_point{} + std::chrono::hours(1);
    request_trace t;
    openai::trace_builder builder;
    std::string answer;
    client::http_response plain;
    std::optional<client::detail::trace_handler> th;
    std::optional<client::detail::plain_handler> ph;
    client::detail::response_handler* handler = nullptr;
    if (s.mode == 2)
        handler = &ph.emplace(plain, s.body_limit);
    else
        handler = &th.emplace(t, builder, s.mode == 0, s.body_limit, s.error_body_limit, &answer);
    handler->on_send(t0);

    client::detail::response_reader reader(*handler, s.header_limit);
    result r;
    std::string buffer;
    std::size_t k = 0;
    time_point at = t0;
    while (!bytes.empty() && !r.ended) {
        const std::size_t n = std::min(bytes.size(), reads[k % reads.size()]);
        buffer.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        at = t0 + std::chrono::milliseconds(++k);
        while (!buffer.empty()) {
            std::size_t used = 0;
            const read_state rs = reader.put(buffer, at, "fuzz:80", used);
            if (std::getenv("LLMCAP_FUZZ_TRACE") != nullptr)
                std::fprintf(stderr, "put: used %zu bytes, state %d\n", used, static_cast<int>(rs));
            FUZZ_CHECK(used <= buffer.size(), "put() used more than it was given");
            buffer.erase(0, used);
            r.used += used;
            if (rs == read_state::keep || rs == read_state::close) {
                r.ended = rs;
                break;
            }
            if (rs == read_state::need_more)
                break;
            FUZZ_CHECK(used > 0, "put() asks to be called again but used nothing");
        }
    }
    if (!r.ended) // transact() drops the exchange the same way, its bytes unused
        reader.end(at + std::chrono::milliseconds(1), !s.read_error, "fuzz:80",
                   "Connection reset by peer");

    if (s.mode == 2) {
        FUZZ_CHECK(plain.body.size() <= s.body_limit, "a body beyond the limit was kept");
        FUZZ_CHECK(!plain.failure || !plain.error_message.empty(), "a failure without a message");
        FUZZ_CHECK(plain.failure || (plain.status >= 200 && plain.status < 300),
                   "an answer that is not 2xx without a failure");
        FUZZ_CHECK(plain.ok() == !plain.failure.has_value(), "ok() and failure disagree");
        r.plain = std::move(plain);
    } else {
        FUZZ_CHECK(t.end >= t0, "the exchange ended without an end time");
        FUZZ_CHECK(t.ok() == !t.failure.has_value(), "ok() and failure disagree");
        FUZZ_CHECK(!t.failure || !t.error_message.empty(), "a failure without a message");
        FUZZ_CHECK(t.failure || (t.http_status >= 200 && t.http_status < 300),
                   "a trace that is not 2xx without a failure");
        r.trace = fuzz::shape_of(t, std::move(answer));
    }
    return r;
}

// Prints a result, for the message of a failed comparison.
void print(const char* what, const result& r) {
    std::fprintf(stderr, "%s: ended %d, used %zu", what, r.ended ? static_cast<int>(*r.ended) : -1,
                 r.used);
    if (r.plain)
        std::fprintf(stderr, ", status %d, failure %d, body %zu bytes, message \"%s\"",
                     r.plain->status, r.plain->failure ? static_cast<int>(*r.plain->failure) : -1,
                     r.plain->body.size(), r.plain->error_message.c_str());
    if (r.trace)
        std::fprintf(stderr, ", status %d, failure %d, %zu events, %llu SSE events",
                     r.trace->http_status,
                     r.trace->failure ? static_cast<int>(*r.trace->failure) : -1,
                     r.trace->events.size(), static_cast<unsigned long long>(r.trace->sse_events));
    std::fprintf(stderr, "\n");
}

// The failure of an exchange that ended before the headers (status 0), if it did.
std::optional<error> before_headers(const result& r) {
    if (r.plain && r.plain->status == 0)
        return r.plain->failure;
    if (r.trace && r.trace->http_status == 0)
        return r.trace->failure;
    return std::nullopt;
}

// Checks that a split gives the whole input's result. Beast checks a status line as soon as it
// holds one, but after a first partial read only once the whole header is there: a bad status
// line fails at once when read whole and at the end of the input when read in pieces. Before
// the headers, only the kind of failure is compared.
void expect_same(const result& whole, const result& split, const char* what) {
    if (split == whole)
        return;
    const std::optional<error> early = before_headers(whole);
    if (early && early == before_headers(split))
        return;
    print("whole", whole);
    print(what, split);
    FUZZ_CHECK(split == whole, what);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3)
        return 0;
    settings s;
    s.mode = data[0] & 3;
    if (s.mode == 3)
        s.mode = 2;
    s.read_error = (data[0] & 4) != 0;
    if (data[0] & 8) {
        s.body_limit = 96;
        s.error_body_limit = 48;
    }
    if (data[0] & 16)
        s.header_limit = 128;
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 3, size - 3);
    const std::vector<std::size_t> reads_a{1 + std::size_t{data[1]} % 64};
    const std::vector<std::size_t> reads_b{1 + std::size_t{data[2]}, 3, 1 + std::size_t{data[1]},
                                           1};

    const result whole = exchange(bytes, {bytes.size() + 1}, s);
    expect_same(whole, exchange(bytes, reads_a, s), "the result differs for read split A");
    expect_same(whole, exchange(bytes, reads_b, s), "the result differs for read split B");
    if (bytes.size() <= 1024)
        expect_same(whole, exchange(bytes, {1}, s), "the result differs read a byte at a time");
    return 0;
}
