#include <llmcap/client/detail/response_reader.hpp>
// Test that header file is self-contained.
#include <llmcap/client/detail/response_reader.hpp>

#include <llmcap/client/detail/exchange.hpp>
#include <llmcap/client/http_response.hpp>
#include <llmcap/openai/trace_builder.hpp>

#include <doctest/doctest.h>

#include <chrono>      // milliseconds
#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view

namespace {

using llmcap::error;
using llmcap::time_point;
using llmcap::client::http_response;
using llmcap::client::detail::read_state;
using llmcap::client::detail::response_reader;

/// What reading a response left: the plain answer and whether the connection stays open.
struct plain_outcome {
    http_response answer;
    std::optional<read_state> ended; // keep or close; empty: the input ran out first
};

/// Reads `bytes` as the answer to a plain GET, `read` bytes per read, the way transact() does
/// (appended to a buffer, parsed until the reader needs more); the end of the input is the
/// server closing the connection.
plain_outcome read_plain(std::string_view bytes, std::size_t read, std::size_t body_limit,
                         std::size_t header_limit = 64 * 1024) {
    plain_outcome out;
    llmcap::client::detail::plain_handler handler(out.answer, body_limit);
    response_reader reader(handler, header_limit);
    const time_point t0 = time_point{} + std::chrono::hours(1);
    std::string buffer;
    time_point at = t0;
    while (!bytes.empty() && !out.ended) {
        const std::size_t n = std::min(read, bytes.size());
        buffer.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        at += std::chrono::milliseconds(1);
        while (!buffer.empty()) {
            std::size_t used = 0;
            const read_state rs = reader.put(buffer, at, "127.0.0.1:8000", used);
            buffer.erase(0, used);
            if (rs == read_state::keep || rs == read_state::close) {
                out.ended = rs;
                break;
            }
            if (rs == read_state::need_more)
                break;
        }
    }
    if (!out.ended)
        reader.end(at, true, "127.0.0.1:8000", {});
    return out;
}

std::string response(std::string_view status_line, std::string_view headers,
                     std::string_view body) {
    std::string r(status_line);
    r += "\r\n";
    r += headers;
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    r += body;
    return r;
}

} // namespace

TEST_CASE("response reader: a complete answer reads the same whole and a byte at a time") {
    const std::string bytes =
        response("HTTP/1.1 200 OK", "Server: llama.cpp\r\nContent-Type: application/json\r\n",
                 R"({"tokens":[1,2,3]})");
    for (const std::size_t read : {bytes.size(), std::size_t{1}, std::size_t{7}}) {
        CAPTURE(read);
        const plain_outcome o = read_plain(bytes, read, 1024);
        CHECK(o.answer.ok());
        CHECK(o.answer.status == 200);
        CHECK(o.answer.server == "llama.cpp");
        CHECK(o.answer.body == R"({"tokens":[1,2,3]})");
        REQUIRE(o.ended);
        CHECK(*o.ended == read_state::keep);
    }
}

// Found by fuzz/http_response.cpp (fuzz/regressions/http_response/plain-body-limit-split): the
// body kept beside the failure was whatever the reads before the one that crossed the limit had
// brought.
TEST_CASE("response reader: a body over the limit keeps its first bytes, however it was read") {
    const std::string body(300, 'x');
    const std::string bytes = response("HTTP/1.1 200 OK", "", body);
    for (const std::size_t read : {bytes.size(), std::size_t{1}, std::size_t{50}}) {
        CAPTURE(read);
        const plain_outcome o = read_plain(bytes, read, 96);
        REQUIRE(o.answer.failure);
        CHECK(*o.answer.failure == error::bad_response);
        CHECK(o.answer.error_message == "response body larger than 96 bytes");
        CHECK(o.answer.body == std::string(96, 'x'));
        REQUIRE(o.ended);
        CHECK(*o.ended == read_state::close);
    }
}

// Found by fuzz/http_response.cpp (fuzz/regressions/http_response/header-limit-split): Beast
// measures its header limit from where a read resumed, so a header a little over the limit
// passed when read whole (status line plus the limit) and failed when read in pieces.
TEST_CASE("response reader: the header limit holds for the whole header, however it was read") {
    const std::string padding(100, 'a');
    const std::string over = response("HTTP/1.1 200 OK", "X-Padding: " + padding + "\r\n", "{}");
    REQUIRE(over.find("\r\n\r\n") + 4 > 128);
    for (const std::size_t read : {over.size(), std::size_t{1}, std::size_t{7}}) {
        CAPTURE(read);
        const plain_outcome o = read_plain(over, read, 1024, 128);
        REQUIRE(o.answer.failure);
        CHECK(*o.answer.failure == error::bad_response);
        CHECK(o.answer.status == 0);
        CHECK(o.answer.error_message ==
              "invalid HTTP response from 127.0.0.1:8000: header limit exceeded");
    }
    const std::string within =
        response("HTTP/1.1 200 OK", "X-Padding: " + padding.substr(0, 40) + "\r\n", "{}");
    REQUIRE(within.find("\r\n\r\n") + 4 <= 128);
    for (const std::size_t read : {within.size(), std::size_t{1}, std::size_t{7}}) {
        CAPTURE(read);
        const plain_outcome o = read_plain(within, read, 1024, 128);
        CHECK(o.answer.ok());
        CHECK(o.answer.body == "{}");
    }
}

// Found by fuzz/http_response.cpp (fuzz/regressions/http_response/bad-status-line-split): read
// whole, a bad status line fails at once; read in pieces, Beast checks it only when the header
// is complete, or the connection closes first. Either way it is a bad response before the
// headers.
TEST_CASE("response reader: a bad status line is a bad response before the headers") {
    const std::string bytes = "200 OK\r\nServer: llama.cpp\r\nContent-Length: 2\r\n";
    for (const std::size_t read : {bytes.size(), std::size_t{1}, std::size_t{7}}) {
        CAPTURE(read);
        const plain_outcome o = read_plain(bytes, read, 1024);
        REQUIRE(o.answer.failure);
        CHECK(*o.answer.failure == error::bad_response);
        CHECK(o.answer.status == 0);
        CHECK(o.answer.error_message.find("127.0.0.1:8000") != std::string::npos);
    }
}

TEST_CASE("response reader: a stream delimited by the close completes; one cut in a chunk is "
          "truncated") {
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";
    const std::string events = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}"
                               "\n\ndata: [DONE]\n\n";
    const auto stream = [](std::string_view bytes, std::size_t read) {
        llmcap::request_trace t;
        llmcap::openai::trace_builder builder;
        llmcap::client::detail::trace_handler handler(t, builder, true, 1 << 20, 1 << 16);
        const time_point t0 = time_point{} + std::chrono::hours(1);
        handler.on_send(t0);
        response_reader reader(handler, 64 * 1024);
        std::string buffer;
        bool ended = false;
        while (!bytes.empty() && !ended) {
            const std::size_t n = std::min(read, bytes.size());
            buffer.append(bytes.substr(0, n));
            bytes.remove_prefix(n);
            for (;;) {
                std::size_t used = 0;
                const read_state rs = reader.put(buffer, t0, "h:1", used);
                buffer.erase(0, used);
                ended = rs == read_state::keep || rs == read_state::close;
                if (ended || rs == read_state::need_more || buffer.empty())
                    break;
            }
        }
        if (!ended)
            reader.end(t0, true, "h:1", {});
        return t;
    };
    for (const std::size_t read : {std::size_t{4096}, std::size_t{1}, std::size_t{5}}) {
        CAPTURE(read);
        const llmcap::request_trace closed =
            stream(head + "Connection: close\r\n\r\n" + events, read);
        CHECK(closed.ok());
        CHECK(closed.events.size() == 1);
        CHECK(closed.done_marker);
        const std::string chunked =
            head + "Transfer-Encoding: chunked\r\n\r\n40\r\n" + events.substr(0, 30);
        const llmcap::request_trace cut = stream(chunked, read);
        REQUIRE(cut.failure);
        CHECK(*cut.failure == error::truncated_stream);
        CHECK(cut.error_message == "connection closed by h:1 before the end of the response");
    }
}
