#include <llmcap/client/http_endpoint.hpp>
// Test that header file is self-contained.
#include <llmcap/client/http_endpoint.hpp>

#include "test_server.hpp"

#include <doctest/doctest.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include <chrono>  // milliseconds
#include <cstdlib> // setenv
#include <string>  // string
#include <vector>  // vector

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using llmcap::error;
using llmcap::request_trace;
using llmcap::client::http_endpoint;
using llmcap::test::server_request;
using llmcap::test::tcp;
using llmcap::test::test_server;

llmcap::openai::completion_request chat_request(std::uint32_t max_tokens = 16) {
    llmcap::openai::completion_request r;
    r.model = "m";
    r.messages = {{"user", "hi"}};
    r.max_tokens = max_tokens;
    return r;
}

/// A script answering every request with a complete chat stream of `tokens` events.
test_server::script stream_script(unsigned tokens) {
    return [tokens](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
        co_return co_await llmcap::test::write_all(s, std::string(llmcap::test::sse_headers) +
                                                          llmcap::test::chat_stream_body(tokens));
    };
}

/// A script answering with fixed bytes, then closing (or not).
test_server::script bytes_script(std::string bytes, bool keep = false) {
    return
        [bytes, keep](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
            const bool ok = co_await llmcap::test::write_all(s, bytes);
            co_return ok&& keep;
        };
}

/// Endpoint options with short timeouts (the defaults suit hours-long requests).
llmcap::client::endpoint_options quick() {
    llmcap::client::endpoint_options o;
    o.api_key_env.clear();
    o.timeouts.connect = 2s;
    o.timeouts.headers = 2s;
    o.timeouts.first_token = 2s;
    o.timeouts.idle = 2s;
    o.timeouts.total = 10s;
    return o;
}

request_trace one(asio::io_context& io, test_server* server, http_endpoint& ep,
                  llmcap::openai::completion_request req = chat_request(),
                  llmcap::client::request_context ctx = {}) {
    return llmcap::test::run<request_trace>(io, server, [&]() -> asio::awaitable<request_trace> {
        co_return co_await ep.stream(req, ctx);
    });
}

/// Near misses of streaming_endpoint.
struct returns_trace_directly {
    request_trace stream(const llmcap::openai::completion_request&,
                         llmcap::client::request_context);
};
struct takes_no_context {
    asio::awaitable<request_trace> stream(const llmcap::openai::completion_request&);
};
static_assert(llmcap::client::streaming_endpoint<http_endpoint>);
static_assert(!llmcap::client::streaming_endpoint<returns_trace_directly>);
static_assert(!llmcap::client::streaming_endpoint<takes_no_context>);
static_assert(!llmcap::client::streaming_endpoint<int>);

} // namespace

TEST_CASE("http_endpoint: a streamed chat request fills the trace") {
    asio::io_context io;
    test_server server(io, stream_script(5));
    auto opt = quick();
    opt.api_key = "sk-test";
    opt.headers = {{"X-Run", "42"}};
    http_endpoint ep(io.get_executor(), server.url() + "/prefix/v1", opt);
    llmcap::client::request_context ctx;
    ctx.intended_start = llmcap::stamp() - 1ms;
    ctx.index = 17;
    ctx.prompt_tokens_target = 100;
    const request_trace t = one(io, &server, ep, chat_request(), ctx);

    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(t.index == 17);
    CHECK(t.prompt_tokens_target == 100);
    CHECK(t.intended_start == ctx.intended_start);
    CHECK(t.max_tokens == 16);
    CHECK(t.http_status == 200);
    REQUIRE(t.send);
    REQUIRE(t.headers);
    CHECK(*t.send >= t.intended_start);
    CHECK(*t.headers >= *t.send);
    REQUIRE(t.events.size() == 5);
    CHECK(t.events.front().at >= *t.headers);
    CHECK(t.end >= t.events.back().at);
    CHECK(t.done_marker);
    CHECK(t.finish_reason == "length");
    REQUIRE(t.usage);
    CHECK(t.usage->completion_tokens == 5);
    CHECK(t.usage->prompt_tokens == 7);
    CHECK(t.sse_events == 9);

    REQUIRE(server.requests.size() == 1);
    const server_request& r = server.requests[0];
    CHECK(r.method() == boost::beast::http::verb::post);
    CHECK(r.target() == "/prefix/v1/chat/completions");
    CHECK(r[boost::beast::http::field::authorization] == "Bearer sk-test");
    CHECK(r["X-Run"] == "42");
    CHECK(r[boost::beast::http::field::host] == "127.0.0.1:" + std::to_string(server.port()));
    const auto body = boost::json::parse(r.body()).as_object();
    CHECK(body.at("stream").as_bool());
    CHECK(body.at("max_tokens").as_int64() == 16);
    CHECK(body.at("stream_options").at("include_usage").as_bool());
}

TEST_CASE("http_endpoint: the answer text goes where the request context says") {
    asio::io_context io;
    SUBCASE("a streamed chat answer, written one byte at a time") {
        test_server server(
            io, [](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
                namespace t = llmcap::test;
                std::string body =
                    t::chunk(t::chat_event(R"({"role":"assistant","content":null})"));
                body += t::chunk(t::chat_event(R"({"reasoning_content":"think"})"));
                for (const char* piece : {R"({"content":"Line\none "})",
                                          R"({"content":"caf\u00e9"})", R"({"content":" \"ok\""})"})
                    body += t::chunk(t::chat_event(piece));
                body += t::chunk(t::chat_event("{}", "\"stop\""));
                body += t::chunk(t::usage_event(7, 4));
                body += t::chunk("data: [DONE]\n\n");
                body += t::last_chunk;
                co_return co_await t::write_split(s, std::string(t::sse_headers) + body,
                                                  t::split::one_byte);
            });
        http_endpoint ep(io.get_executor(), server.url(), quick());
        std::string text;
        llmcap::client::request_context ctx;
        ctx.answer_text = &text;
        const request_trace t = one(io, &server, ep, chat_request(), ctx);
        CHECK_MESSAGE(t.ok(), t.error_message);
        CHECK(t.events.size() == 4);
        CHECK(text == "Line\none caf\xC3\xA9 \"ok\"");
    }
    SUBCASE("every token of a stream, and nothing without a sink") {
        test_server server(io, stream_script(5));
        http_endpoint ep(io.get_executor(), server.url(), quick());
        std::string first;
        std::string second = "kept|";
        struct results {
            request_trace a, b, c;
        };
        const results r =
            llmcap::test::run<results>(io, &server, [&]() -> asio::awaitable<results> {
                results out;
                llmcap::client::request_context ctx;
                ctx.answer_text = &first;
                out.a = co_await ep.stream(chat_request(), ctx);
                ctx.answer_text = &second;
                out.b = co_await ep.stream(chat_request(), ctx);
                out.c = co_await ep.stream(chat_request()); // a reused connection, no sink
                co_return out;
            });
        CHECK(r.a.ok());
        CHECK(r.b.ok());
        CHECK(r.c.ok());
        CHECK(first == "t0t1t2t3t4");
        CHECK(second == "kept|t0t1t2t3t4"); // appended, never cleared
        CHECK(ep.connections_made() == 1);
    }
    SUBCASE("a stream cut mid-chunk keeps the text that came before") {
        std::string full = std::string(llmcap::test::sse_headers) +
                           llmcap::test::chunk(llmcap::test::chat_event(R"({"content":"a"})")) +
                           llmcap::test::chunk(llmcap::test::chat_event(R"({"content":"b"})"));
        full.resize(full.size() - 40);
        test_server server(io, bytes_script(full));
        http_endpoint ep(io.get_executor(), server.url(), quick());
        std::string text;
        llmcap::client::request_context ctx;
        ctx.answer_text = &text;
        const request_trace t = one(io, &server, ep, chat_request(), ctx);
        CHECK(t.failure == error::truncated_stream);
        CHECK(text == "a");
    }
    SUBCASE("an HTTP error has no answer text") {
        const std::string body = R"({"error":{"message":"no","type":"x","code":400}})";
        test_server server(io, bytes_script("HTTP/1.1 400 Bad Request\r\nContent-Type: "
                                            "application/json\r\nContent-Length: " +
                                            std::to_string(body.size()) + "\r\n\r\n" + body));
        http_endpoint ep(io.get_executor(), server.url(), quick());
        std::string text;
        llmcap::client::request_context ctx;
        ctx.answer_text = &text;
        const request_trace t = one(io, &server, ep, chat_request(), ctx);
        CHECK(t.failure == error::http_status);
        CHECK(text.empty());
    }
}

TEST_CASE("http_endpoint: API key from an environment variable") {
    asio::io_context io;
    test_server server(io, stream_script(1));
    ::setenv("LLMCAP_TEST_CLIENT_KEY", "sk-env", 1);
    auto opt = quick();
    opt.api_key_env = "LLMCAP_TEST_CLIENT_KEY";
    http_endpoint ep(io.get_executor(), server.url(), opt);
    const request_trace t = one(io, &server, ep);
    CHECK(t.ok());
    REQUIRE(server.requests.size() == 1);
    CHECK(server.requests[0][boost::beast::http::field::authorization] == "Bearer sk-env");
    ::unsetenv("LLMCAP_TEST_CLIENT_KEY");
}

TEST_CASE("http_endpoint: keep-alive connections are reused") {
    asio::io_context io;
    test_server server(io, stream_script(3));
    http_endpoint ep(io.get_executor(), server.url(), quick());
    const auto traces = llmcap::test::run<std::vector<request_trace>>(
        io, &server, [&]() -> asio::awaitable<std::vector<request_trace>> {
            std::vector<request_trace> out;
            for (int i = 0; i < 4; ++i)
                out.push_back(co_await ep.stream(chat_request()));
            co_return out;
        });
    for (const auto& t : traces)
        CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(ep.connections_made() == 1);
    CHECK(server.connections == 1);
    CHECK(server.requests.size() == 4);
}

TEST_CASE("http_endpoint: a keep-alive connection the server closed never fails a request") {
    asio::io_context io;
    SUBCASE("closed while idle: detected before use") {
        // Claims keep-alive, then closes right after each response.
        test_server server(
            io, [](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
                co_await llmcap::test::write_all(s, std::string(llmcap::test::sse_headers) +
                                                        llmcap::test::chat_stream_body(2));
                co_return false;
            });
        http_endpoint ep(io.get_executor(), server.url(), quick());
        const auto traces = llmcap::test::run<std::vector<request_trace>>(
            io, &server, [&]() -> asio::awaitable<std::vector<request_trace>> {
                std::vector<request_trace> out;
                for (int i = 0; i < 3; ++i) {
                    out.push_back(co_await ep.stream(chat_request()));
                    co_await llmcap::test::pause(20ms); // let the close arrive
                }
                co_return out;
            });
        for (const auto& t : traces)
            CHECK_MESSAGE(t.ok(), t.error_message);
        CHECK(server.connections == 3);
        CHECK(server.requests.size() == 3);
    }
    SUBCASE("closed as the request arrives: retried once on a new connection") {
        // The second request on the first connection is read and dropped without an answer.
        test_server server(io,
                           [n = 0](tcp::socket& s, const server_request&,
                                   std::size_t conn) mutable -> asio::awaitable<bool> {
                               if (conn == 0 && n++ == 1)
                                   co_return false;
                               co_return co_await llmcap::test::write_all(
                                   s, std::string(llmcap::test::sse_headers) +
                                          llmcap::test::chat_stream_body(2));
                           });
        http_endpoint ep(io.get_executor(), server.url(), quick());
        const auto traces = llmcap::test::run<std::vector<request_trace>>(
            io, &server, [&]() -> asio::awaitable<std::vector<request_trace>> {
                std::vector<request_trace> out;
                for (int i = 0; i < 3; ++i)
                    out.push_back(co_await ep.stream(chat_request()));
                co_return out;
            });
        for (const auto& t : traces)
            CHECK_MESSAGE(t.ok(), t.error_message);
        CHECK(ep.retries() == 1);
        CHECK(server.connections == 2);
        CHECK(server.requests.size() == 4);
    }
    SUBCASE("a new connection closed before the response is not retried") {
        test_server server(io,
                           [](tcp::socket&, const server_request&,
                              std::size_t) -> asio::awaitable<bool> { co_return false; });
        http_endpoint ep(io.get_executor(), server.url(), quick());
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::bad_response);
        CHECK(t.error_message.find("before the response headers") != std::string::npos);
        CHECK(ep.retries() == 0);
        CHECK(server.requests.size() == 1);
    }
}

TEST_CASE("http_endpoint: the pool caps open connections and can be warmed up") {
    asio::io_context io;
    test_server server(
        io, [](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
            co_await llmcap::test::pause(10ms);
            co_return co_await llmcap::test::write_all(s, std::string(llmcap::test::sse_headers) +
                                                              llmcap::test::chat_stream_body(2));
        });
    auto opt = quick();
    opt.pool.max_connections = 3;
    http_endpoint ep(io.get_executor(), server.url(), opt);
    const auto traces = llmcap::test::run<std::vector<request_trace>>(
        io, &server, [&]() -> asio::awaitable<std::vector<request_trace>> {
            const std::size_t warm = co_await ep.warm_up(3);
            CHECK(warm == 3);
            CHECK(ep.connections_made() == 3);
            std::vector<request_trace> out(8);
            auto ex = co_await asio::this_coro::executor;
            int done = 0;
            asio::steady_timer all_done(ex, llmcap::time_point::max());
            for (std::size_t i = 0; i < out.size(); ++i)
                asio::co_spawn(ex, ep.stream(chat_request()),
                               [&, i](std::exception_ptr, request_trace t) {
                                   out[i] = std::move(t);
                                   if (++done == 8)
                                       all_done.cancel();
                               });
            co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
            co_return out;
        });
    for (const auto& t : traces)
        CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(server.open_max <= 3);
    CHECK(server.connections == 3);
    CHECK(ep.connections_made() == 3);
    CHECK(ep.open_connections() <= 3);
}

TEST_CASE("http_endpoint: each timeout fires and is classified") {
    asio::io_context io;
    auto opt = quick();
    SUBCASE("connect") {
        // A listener with a full accept queue that never accepts: new SYNs are dropped.
        tcp::acceptor full(io, {asio::ip::address_v4::loopback(), 0});
        full.listen(0);
        std::vector<tcp::socket> fillers;
        for (int i = 0; i < 4; ++i) {
            fillers.emplace_back(io);
            fillers.back().async_connect(full.local_endpoint(), [](boost::system::error_code) {});
        }
        io.run_for(50ms);
        io.restart();
        opt.timeouts.connect = 100ms;
        http_endpoint ep(io.get_executor(),
                         "http://127.0.0.1:" + std::to_string(full.local_endpoint().port()), opt);
        std::optional<request_trace> t;
        asio::co_spawn(io, ep.stream(chat_request()), [&](std::exception_ptr, request_trace r) {
            t = std::move(r);
            for (auto& f : fillers)
                f.close();
            full.close();
        });
        io.run_for(10s);
        REQUIRE(t);
        CHECK(t->failure == error::connect_timeout);
        CHECK(t->error_message ==
              "no connection to 127.0.0.1:" + std::to_string(ep.url().port) + " within 100 ms");
        CHECK(!t->send);
    }
    SUBCASE("headers") {
        test_server server(
            io, [](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
                co_await llmcap::test::wait_for_close(s);
                co_return false;
            });
        opt.timeouts.headers = 50ms;
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::headers_timeout);
        CHECK(t.send);
        CHECK(!t.headers);
        CHECK(t.end - *t.send >= 50ms);
    }
    SUBCASE("first token") {
        test_server server(
            io, [](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
                co_await llmcap::test::write_all(
                    s,
                    std::string(llmcap::test::sse_headers) +
                        llmcap::test::chunk(llmcap::test::chat_event(R"({"role":"assistant"})")));
                co_await llmcap::test::wait_for_close(s);
                co_return false;
            });
        opt.timeouts.first_token = 60ms;
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::first_token_timeout);
        CHECK(t.headers);
        CHECK(t.sse_events == 1);
        CHECK(t.events.empty());
    }
    SUBCASE("idle gap between events") {
        test_server server(
            io, [](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
                co_await llmcap::test::write_all(
                    s, std::string(llmcap::test::sse_headers) +
                           llmcap::test::chunk(llmcap::test::chat_event(R"({"content":"a"})")) +
                           llmcap::test::chunk(llmcap::test::chat_event(R"({"content":"b"})")));
                co_await llmcap::test::wait_for_close(s);
                co_return false;
            });
        opt.timeouts.idle = 50ms;
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::idle_timeout);
        CHECK(t.events.size() == 2);
        CHECK(t.end - t.events.back().at >= 50ms);
    }
    SUBCASE("total") {
        // A token every 5 ms, forever: only the total limit can end it.
        test_server server(
            io, [](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
                if (!co_await llmcap::test::write_all(s, llmcap::test::sse_headers))
                    co_return false;
                for (int i = 0; i < 2000; ++i) {
                    if (!co_await llmcap::test::write_all(
                            s, llmcap::test::chunk(llmcap::test::chat_event(R"({"content":"x"})"))))
                        co_return false;
                    co_await llmcap::test::pause(5ms);
                }
                co_return false;
            });
        opt.timeouts.total = 120ms;
        opt.timeouts.idle = 1s;
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::total_timeout);
        CHECK(t.events.size() >= 3);
    }
}

TEST_CASE("http_endpoint: stopping a run cancels every request in flight") {
    asio::io_context io;
    test_server server(
        io, [](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
            co_await llmcap::test::write_all(
                s, std::string(llmcap::test::sse_headers) +
                       llmcap::test::chunk(llmcap::test::chat_event(R"({"content":"a"})")));
            co_await llmcap::test::wait_for_close(s);
            co_return false;
        });
    http_endpoint ep(io.get_executor(), server.url(), quick());
    llmcap::client::stop_signal stop;
    const auto traces = llmcap::test::run<std::vector<request_trace>>(
        io, &server, [&]() -> asio::awaitable<std::vector<request_trace>> {
            auto ex = co_await asio::this_coro::executor;
            std::vector<request_trace> out(6);
            int done = 0;
            asio::steady_timer all_done(ex, llmcap::time_point::max());
            llmcap::client::request_context ctx;
            ctx.stop = &stop;
            for (std::size_t i = 0; i < 5; ++i)
                asio::co_spawn(ex, ep.stream(chat_request(), ctx),
                               [&, i](std::exception_ptr, request_trace t) {
                                   out[i] = std::move(t);
                                   if (++done == 5)
                                       all_done.cancel();
                               });
            co_await llmcap::test::pause(50ms);
            CHECK(stop.in_flight() == 5);
            const auto at = llmcap::stamp();
            stop.request_stop();
            co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
            CHECK(llmcap::stamp() - at < 1s);
            out[5] = co_await ep.stream(chat_request(), ctx); // after the stop
            co_return out;
        });
    for (const auto& t : traces) {
        CHECK(t.failure == error::cancelled);
    }
    for (std::size_t i = 0; i < 5; ++i)
        CHECK(traces[i].events.size() == 1); // what was measured before the stop is kept
    CHECK(!traces[5].send);
    CHECK(stop.in_flight() == 0);
}

TEST_CASE("http_endpoint: Asio per-operation cancellation ends a request as cancelled") {
    asio::io_context io;
    test_server server(
        io, [](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
            co_await llmcap::test::wait_for_close(s);
            co_return false;
        });
    http_endpoint ep(io.get_executor(), server.url(), quick());
    asio::cancellation_signal signal;
    const request_trace t =
        llmcap::test::run<request_trace>(io, &server, [&]() -> asio::awaitable<request_trace> {
            auto ex = co_await asio::this_coro::executor;
            std::optional<request_trace> out;
            asio::steady_timer done(ex, llmcap::time_point::max());
            asio::co_spawn(ex, ep.stream(chat_request()),
                           asio::bind_cancellation_slot(signal.slot(),
                                                        [&](std::exception_ptr, request_trace r) {
                                                            out = std::move(r);
                                                            done.cancel();
                                                        }));
            co_await llmcap::test::pause(30ms);
            signal.emit(asio::cancellation_type::terminal);
            co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
            co_return std::move(*out);
        });
    CHECK(t.failure == error::cancelled);
    CHECK(t.send);
}

TEST_CASE("http_endpoint: bad input from the network is classified, never fatal") {
    asio::io_context io;
    auto opt = quick();
    SUBCASE("connection refused") {
        tcp::acceptor a(io, {asio::ip::address_v4::loopback(), 0});
        const auto port = a.local_endpoint().port();
        a.close();
        http_endpoint ep(io.get_executor(), "http://127.0.0.1:" + std::to_string(port), opt);
        const request_trace t = one(io, nullptr, ep);
        CHECK(t.failure == error::connect_failed);
        CHECK(t.error_message.find("refused") != std::string::npos);
    }
    SUBCASE("DNS failure") {
        http_endpoint ep(io.get_executor(), "http://no-such-host.invalid:8000", opt);
        const request_trace t = one(io, nullptr, ep);
        CHECK(t.failure == error::resolve_failed);
        CHECK(t.error_message.find("no-such-host.invalid") != std::string::npos);
    }
    SUBCASE("HTTP error statuses carry the server's message") {
        for (const auto& [status, reason] :
             std::vector<std::pair<int, std::string>>{{400, "Bad Request"},
                                                      {401, "Unauthorized"},
                                                      {404, "Not Found"},
                                                      {429, "Too Many Requests"},
                                                      {500, "Internal Server Error"}}) {
            CAPTURE(status);
            asio::io_context io2;
            const std::string body = R"({"error":{"message":"status )" + std::to_string(status) +
                                     R"( says no","type":"invalid_request_error","code":null}})";
            test_server server(io2,
                               bytes_script("HTTP/1.1 " + std::to_string(status) + " " + reason +
                                                "\r\nContent-Type: application/json\r\n"
                                                "Content-Length: " +
                                                std::to_string(body.size()) + "\r\n\r\n" + body,
                                            true));
            http_endpoint ep(io2.get_executor(), server.url(), opt);
            const request_trace t = one(io2, &server, ep);
            CHECK(t.failure == error::http_status);
            CHECK(t.http_status == status);
            CHECK(t.error_message == "HTTP " + std::to_string(status) +
                                         " (invalid_request_error): status " +
                                         std::to_string(status) + " says no");
            CHECK(ep.idle_connections() == 1); // a complete error response keeps the connection
        }
    }
    SUBCASE("200 with a content type other than text/event-stream") {
        test_server server(io, bytes_script("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                            "Content-Length: 2\r\n\r\n{}"));
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::bad_response);
        CHECK(t.error_message == "expected Content-Type text/event-stream, got 'application/json'");
    }
    SUBCASE("chunked encoding cut mid-chunk") {
        std::string full = std::string(llmcap::test::sse_headers) +
                           llmcap::test::chunk(llmcap::test::chat_event(R"({"content":"a"})")) +
                           llmcap::test::chunk(llmcap::test::chat_event(R"({"content":"b"})"));
        full.resize(full.size() - 40);
        test_server server(io, bytes_script(full));
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::truncated_stream);
        CHECK(t.events.size() == 1);
        CHECK(t.error_message == "connection closed by 127.0.0.1:" + std::to_string(server.port()) +
                                     " before the end of the response");
    }
    SUBCASE("a malformed chunk size") {
        test_server server(
            io, bytes_script(std::string(llmcap::test::sse_headers) + "zz\r\nhello\r\n"));
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::bad_response);
        CHECK(t.error_message.find("invalid HTTP response") != std::string::npos);
    }
    SUBCASE("server closing right after the headers") {
        test_server server(io, bytes_script(std::string(llmcap::test::sse_headers)));
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::truncated_stream);
        CHECK(t.headers);
        CHECK(t.events.empty());
    }
    SUBCASE("garbage instead of HTTP") {
        test_server server(io, bytes_script("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::bad_response);
    }
    SUBCASE("headers larger than Beast's 8 KiB default are accepted up to the limit") {
        const std::string big(16 * 1024, 'h');
        test_server server(
            io, [big](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
                co_return co_await llmcap::test::write_all(
                    s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Big: " + big +
                           "\r\nTransfer-Encoding: chunked\r\n\r\n" +
                           llmcap::test::chat_stream_body(2));
            });
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK_MESSAGE(t.ok(), t.error_message);
        CHECK(t.events.size() == 2);
    }
    SUBCASE("headers over the limit") {
        const std::string big(200 * 1024, 'h');
        test_server server(io, bytes_script("HTTP/1.1 200 OK\r\nX-Big: " + big + "\r\n\r\n"));
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::bad_response);
        CHECK(t.error_message.find("header limit") != std::string::npos);
    }
}

namespace {

/// A response claiming a 1 GiB body, written in 64 KiB pieces until the client hangs up.
test_server::script gigabyte_script(std::string head, char fill) {
    return
        [head, fill](tcp::socket& s, const server_request&, std::size_t) -> asio::awaitable<bool> {
            if (!co_await llmcap::test::write_all(s, head))
                co_return false;
            const std::string piece(64 * 1024, fill);
            for (std::size_t sent = 0; sent < (std::size_t{1} << 30); sent += piece.size())
                if (!co_await llmcap::test::write_all(s, piece))
                    co_return false;
            co_return false;
        };
}

} // namespace

TEST_CASE("http_endpoint: a 1 GiB response is cut off at a limit, not buffered") {
    asio::io_context io;
    auto opt = quick();
    SUBCASE("non-streaming body over the body limit") {
        opt.body_limit_bytes = 1 << 20;
        test_server server(io,
                           gigabyte_script("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                           "Content-Length: 1073741824\r\n\r\n",
                                           ' '));
        http_endpoint ep(io.get_executor(), server.url(), opt);
        auto req = chat_request();
        req.stream = false;
        const request_trace t = one(io, &server, ep, req);
        CHECK(t.failure == error::bad_response);
        CHECK(t.error_message == "response body larger than 1048576 bytes");
    }
    SUBCASE("error body: only the first bytes are kept") {
        test_server server(io, gigabyte_script("HTTP/1.1 500 Internal Server Error\r\n"
                                               "Content-Length: 1073741824\r\n\r\n",
                                               'e'));
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::http_status);
        CHECK(t.http_status == 500);
        CHECK(t.error_message.find("body cut at 65536 bytes") != std::string::npos);
    }
    SUBCASE("one event that never ends") {
        opt.stream.sse.max_event_bytes = 1 << 20;
        test_server server(io,
                           gigabyte_script("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                           "Content-Length: 1073741824\r\n\r\ndata: ",
                                           'x'));
        http_endpoint ep(io.get_executor(), server.url(), opt);
        const request_trace t = one(io, &server, ep);
        CHECK(t.failure == error::malformed_stream);
    }
}

TEST_CASE("http_endpoint: non-streaming requests and plain GET/POST helpers") {
    asio::io_context io;
    test_server server(
        io, [](tcp::socket& s, const server_request& r, std::size_t) -> asio::awaitable<bool> {
            std::string body;
            if (r.target() == "/v1/chat/completions")
                body = R"({"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,)"
                       R"("message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],)"
                       R"("usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})";
            else if (r.target() == "/v1/models")
                body =
                    R"({"object":"list","data":[{"id":"m","object":"model","owned_by":"vllm"}]})";
            else if (r.target() == "/tokenize")
                body = R"({"tokens":[1,2,3],"echo":)" + std::to_string(r.body().size()) + "}";
            else
                body = R"({"error":{"message":"nope","type":"not_found_error","code":404}})";
            const bool found = body.find("not_found") == std::string::npos;
            co_return co_await llmcap::test::write_all(
                s, std::string(found ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n") +
                       "Server: test\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body);
        });
    http_endpoint ep(io.get_executor(), server.url(), quick());
    struct results {
        request_trace t;
        std::string answer;
        llmcap::client::http_response models, tokenize, missing;
    };
    const results r = llmcap::test::run<results>(io, &server, [&]() -> asio::awaitable<results> {
        results out;
        auto req = chat_request();
        req.stream = false;
        llmcap::client::request_context ctx;
        ctx.answer_text = &out.answer;
        out.t = co_await ep.stream(req, ctx);
        out.models = co_await ep.get("/v1/models");
        out.tokenize = co_await ep.post("/tokenize", R"({"prompt":"hello"})");
        out.missing = co_await ep.get("/nope");
        co_return out;
    });
    CHECK_MESSAGE(r.t.ok(), r.t.error_message);
    CHECK(r.t.events.empty());
    CHECK(!r.t.first_token_time());
    REQUIRE(r.t.usage);
    CHECK(r.t.usage->completion_tokens == 2);
    CHECK(r.t.finish_reason == "stop");
    CHECK(r.answer == "hi"); // message.content of a complete body
    CHECK(r.t.end >= *r.t.headers);
    CHECK(r.models.ok());
    CHECK(r.models.server == "test");
    CHECK(r.models.body.find("\"owned_by\":\"vllm\"") != std::string::npos);
    CHECK(r.tokenize.ok());
    CHECK(r.tokenize.body == R"({"tokens":[1,2,3],"echo":18})");
    CHECK(r.missing.status == 404);
    CHECK(r.missing.failure == error::http_status);
    CHECK(r.missing.error_message == "HTTP 404 (not_found_error): nope");
    CHECK(ep.connections_made() == 1);
    REQUIRE(server.requests.size() == 4);
    CHECK(server.requests[2][boost::beast::http::field::content_type] == "application/json");
}

TEST_CASE("http_endpoint: URL errors are reported at construction") {
    asio::io_context io;
    CHECK_THROWS_AS(http_endpoint(io.get_executor(), std::string_view("ftp://x"), quick()),
                    std::invalid_argument);
    CHECK_THROWS_AS(http_endpoint(io.get_executor(), std::string_view("not a url"), quick()),
                    std::invalid_argument);
}

TEST_CASE("http_endpoint: limits may be unlimited") {
    asio::io_context io;
    test_server server(io, stream_script(2));
    auto opt = quick();
    opt.timeouts.total = llmcap::duration::max();
    opt.timeouts.first_token = llmcap::duration::max();
    opt.timeouts.idle = llmcap::duration::max();
    opt.timeouts.headers = llmcap::duration::max();
    opt.timeouts.connect = llmcap::duration::max();
    http_endpoint ep(io.get_executor(), server.url(), opt);
    const request_trace t = one(io, &server, ep);
    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(t.events.size() == 2);
    REQUIRE(server.requests.size() == 1);
    CHECK(server.requests[0][boost::beast::http::field::user_agent] ==
          std::string("llmcap/") + llmcap::version_string);
}
