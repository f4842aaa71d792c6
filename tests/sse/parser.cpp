#include <llmcap/sse/parser.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct parsed {
    std::string type;
    std::string data;
    std::string id;
    friend bool operator==(const parsed&, const parsed&) = default;
};

struct outcome {
    std::vector<parsed> events;
    std::error_code error; // the final error, or the finish() result
};

// Feeds `chunks` in order, collecting every event; then calls finish().
outcome parse_chunks(const std::vector<std::string_view>& chunks,
                     llmcap::sse::parser_options o = {}) {
    llmcap::sse::parser p(o);
    outcome r;
    for (std::string_view chunk : chunks) {
        while (true) {
            llmcap::sse::event ev;
            std::error_code ec;
            const std::size_t used = p.put(chunk, ev, ec);
            chunk.remove_prefix(used);
            if (ec == llmcap::sse::error::need_more)
                break;
            if (ec) {
                r.error = ec;
                return r;
            }
            r.events.push_back({std::string(ev.type), std::string(ev.data), std::string(ev.id)});
        }
        REQUIRE(chunk.empty());
    }
    p.finish(r.error);
    return r;
}

outcome parse_whole(std::string_view s) {
    return parse_chunks({s});
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

TEST_CASE("sse::parser: data lines, fields, comments") {
    const outcome r = parse_whole(": comment\n"
                                  "data: first\n"
                                  "\n"
                                  "event: update\n"
                                  "id: 7\n"
                                  "data:no space\n"
                                  "data:  two spaces\n"
                                  "data\n"
                                  "unknown: ignored\n"
                                  "\n"
                                  "data:\n"
                                  "\n");
    REQUIRE(r.events.size() == 3);
    CHECK(r.events[0] == parsed{"message", "first", ""});
    CHECK(r.events[1] == parsed{"update", "no space\n two spaces\n", "7"});
    CHECK(r.events[2] == parsed{"message", "", "7"}); // id persists; event type resets
    CHECK_FALSE(r.error);
}

TEST_CASE("sse::parser: an event without data is not dispatched") {
    const outcome r = parse_whole("event: ping\n\nid: 3\n\n:\n\ndata: x\n\n");
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0] == parsed{"message", "x", "3"});
}

TEST_CASE("sse::parser: CR, LF and CRLF line ends, mixed") {
    const outcome lf = parse_whole("data: a\ndata: b\n\ndata: c\n\n");
    const outcome cr = parse_whole("data: a\rdata: b\r\rdata: c\r\r");
    const outcome crlf = parse_whole("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n");
    const outcome mixed = parse_whole("data: a\r\ndata: b\r\ndata: c\n\n");
    REQUIRE(lf.events.size() == 2);
    CHECK(lf.events[0].data == "a\nb");
    CHECK(lf.events[1].data == "c");
    CHECK(cr.events == lf.events);
    CHECK(crlf.events == lf.events);
    REQUIRE(mixed.events.size() == 1);
    CHECK(mixed.events[0].data == "a\nb\nc");
}

TEST_CASE("sse::parser: CRLF split between reads is one line end") {
    const outcome r = parse_chunks({"data: a\r", "\ndata: b\r", "\n\r", "\n"});
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].data == "a\nb");
    CHECK_FALSE(r.error);
}

TEST_CASE("sse::parser: a BOM at the start is skipped, also when split") {
    const std::string bom = "\xEF\xBB\xBF";
    CHECK(parse_whole(bom + "data: x\n\n").events == std::vector<parsed>{{"message", "x", ""}});
    CHECK(parse_chunks({"\xEF", "\xBB",
                        "\xBF"
                        "data: x\n\n"})
              .events == std::vector<parsed>{{"message", "x", ""}});
    // Only at the very start: later, the same bytes are data.
    const outcome later = parse_whole("data: x\n\n" + bom + "data: y\n\n");
    // The second line's field name is "\xEF\xBB\xBF" "data", an unknown field: no event.
    REQUIRE(later.events.size() == 1);
    CHECK(later.events[0].data == "x");
}

TEST_CASE("sse::parser: identical events for every split position") {
    const std::string stream = "\xEF\xBB\xBF"
                               ": keep-alive\r\n"
                               "data: {\"a\":1}\r\n\r\n"
                               "event: e\ndata: line1\ndata: line2\nid: 9\n\n"
                               "retry: 1500\r"
                               "data: [DONE]\r\r";
    const outcome whole = parse_whole(stream);
    REQUIRE(whole.events.size() == 3);
    CHECK(whole.events[0].data == "{\"a\":1}");
    CHECK(whole.events[1] == parsed{"e", "line1\nline2", "9"});
    CHECK(whole.events[2] == parsed{"message", "[DONE]", "9"});
    for (std::size_t split = 0; split <= stream.size(); ++split) {
        const std::string_view s(stream);
        const outcome two = parse_chunks({s.substr(0, split), s.substr(split)});
        CHECK_MESSAGE(two.events == whole.events, "split at " << split);
        CHECK(!two.error);
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < stream.size(); ++i)
        bytes.push_back(std::string_view(stream).substr(i, 1));
    CHECK(parse_chunks(bytes).events == whole.events);
}

TEST_CASE("sse::parser: retry takes digits only") {
    llmcap::sse::parser p;
    llmcap::sse::event ev;
    std::error_code ec;
    p.put("retry: 250\n", ev, ec);
    CHECK(p.retry_ms() == 250u);
    p.put("retry: 12x\nretry:\n", ev, ec);
    CHECK(p.retry_ms() == 250u);
}

TEST_CASE("sse::parser: NUL bytes are kept in data; an id holding NUL is ignored") {
    const std::string stream("id: 1\n\ndata: a\0b\nid: x\0y\n\n", 26);
    const outcome r = parse_whole(stream);
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].data == std::string("a\0b", 3));
    CHECK(r.events[0].id == "1");
}

TEST_CASE("sse::parser: a stream cut mid-event is an unterminated event") {
    const outcome line_cut = parse_whole("data: {\"choices\":[{\"delta\":");
    CHECK(line_cut.events.empty());
    CHECK(line_cut.error == llmcap::sse::error::unterminated_event);

    const outcome blank_missing = parse_whole("data: one\n\ndata: two\n");
    CHECK(blank_missing.events.size() == 1);
    CHECK(blank_missing.error == llmcap::sse::error::unterminated_event);

    llmcap::sse::parser p;
    llmcap::sse::event ev;
    std::error_code ec;
    p.put("data: x\n\ndata: y", ev, ec);
    CHECK(!ec);
    p.put("data: y", ev, ec); // the rest after the event
    p.finish(ec);
    CHECK(ec == llmcap::sse::error::unterminated_event);
    CHECK(p.describe(ec) == "sse: stream ended in the middle of an event at byte 16");

    CHECK_FALSE(parse_whole("data: x\n\n: trailing comment\n").error);
}

TEST_CASE("sse::parser: an event over the limit fails with its offset, in one read or many") {
    llmcap::sse::parser_options small;
    small.max_event_bytes = 64;
    const std::string ok = "data: " + std::string(40, 'a') + "\n\n";
    const std::string big = "data: " + std::string(100, 'b') + "\n\n";
    const outcome whole = parse_chunks({ok, big}, small);
    CHECK(whole.events.size() == 1);
    CHECK(whole.error == llmcap::sse::error::event_too_large);

    llmcap::sse::parser p(small);
    llmcap::sse::event ev;
    std::error_code ec;
    std::string_view rest = ok;
    rest.remove_prefix(p.put(rest, ev, ec));
    REQUIRE(!ec);
    std::string_view b = big;
    std::size_t fed = 0;
    while (!b.empty()) {
        const std::size_t used = p.put(b.substr(0, 7), ev, ec);
        fed += used;
        b.remove_prefix(std::min<std::size_t>(7, b.size()));
        if (ec != llmcap::sse::error::need_more)
            break;
    }
    CHECK(ec == llmcap::sse::error::event_too_large);
    CHECK(p.error_offset() > ok.size());
    CHECK(p.error_offset() <= ok.size() + 64 + 7);
    CHECK(p.describe(ec).rfind("sse: event larger than 64 bytes at byte ", 0) == 0);
    // The error is final.
    CHECK(p.put("data: x\n\n", ev, ec) == 0);
    CHECK(ec == llmcap::sse::error::event_too_large);
}

TEST_CASE("sse::parser: a 100 MiB event is refused at the default 16 MiB limit") {
    const std::string block(std::size_t{1} << 20, 'x');
    llmcap::sse::parser p;
    llmcap::sse::event ev;
    std::error_code ec;
    p.put("data: ", ev, ec);
    int blocks = 0;
    for (; blocks < 100 && ec == llmcap::sse::error::need_more; ++blocks)
        p.put(block, ev, ec);
    CHECK(ec == llmcap::sse::error::event_too_large);
    CHECK(blocks == 16); // refused as soon as the limit is passed, not at the end
    CHECK(p.error_offset() == 6 + 16 * block.size());
}

TEST_CASE("sse::parser: reset starts a new stream") {
    llmcap::sse::parser p;
    llmcap::sse::event ev;
    std::error_code ec;
    p.put("id: 5\ndata: partial", ev, ec);
    p.reset();
    CHECK(p.offset() == 0);
    const std::string_view s = "data: fresh\n\n";
    CHECK(p.put(s, ev, ec) == s.size());
    CHECK(!ec);
    CHECK(ev.data == "fresh");
    CHECK(ev.id.empty());
}

TEST_CASE("sse::parser: llama-server chat stream, every read size") {
    const std::string body = read_file(LLMCAP_TEST_FIXTURES_DIR "/llama-server/chat-stream.sse");
    const outcome whole = parse_whole(body);
    REQUIRE(whole.events.size() == 20); // role, 16 tokens, finish, usage, [DONE]
    CHECK(whole.events.back().data == "[DONE]");
    CHECK_FALSE(whole.error);
    std::mt19937_64 rng(42);
    for (int round = 0; round < 50; ++round) {
        std::vector<std::string_view> chunks;
        std::string_view rest = body;
        while (!rest.empty()) {
            const std::size_t n = std::min<std::size_t>(rest.size(), 1 + rng() % 300);
            chunks.push_back(rest.substr(0, n));
            rest.remove_prefix(n);
        }
        CHECK(parse_chunks(chunks).events == whole.events);
    }
}
