// http_runner with a metrics URL: the cell's requests go to one server (the real-time
// emulator) and its before/after scrapes to another (a small Prometheus page server here).
#include <llmcap/sweep/http_runner.hpp>
#include <llmcap/sweep/metrics_target.hpp>

#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/emulator/builtin_profiles.hpp>
#include <llmcap/emulator/server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <doctest/doctest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace llmcap;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

/// A one-connection-at-a-time HTTP server that answers every GET with a vLLM queue-time
/// histogram: its n-th page (from 0) holds 7n observations summing to 1.75n seconds, so the
/// delta between two consecutive scrapes has a mean of exactly 0.25 s. Records each target.
class page_server {
public:
    explicit page_server(asio::io_context& io)
        : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        asio::co_spawn(io, serve(), asio::detached);
    }

    [[nodiscard]] unsigned short port() const {
        return acceptor_.local_endpoint().port();
    }

    void stop() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
    }

    std::vector<std::string> targets;

private:
    asio::awaitable<void> serve() {
        for (;;) {
            auto [ec, socket] =
                co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec)
                co_return;
            boost::beast::flat_buffer buffer;
            http::request<http::string_body> req;
            auto [rec, n] =
                co_await http::async_read(socket, buffer, req, asio::as_tuple(asio::use_awaitable));
            (void)n;
            if (rec)
                continue;
            targets.emplace_back(req.target());
            const std::size_t k = targets.size() - 1;
            http::response<http::string_body> res{http::status::ok, req.version()};
            res.set(http::field::content_type, "text/plain; version=0.0.4");
            res.body() = "# TYPE vllm:request_queue_time_seconds histogram\n"
                         "vllm:request_queue_time_seconds_bucket{le=\"0.5\"} " +
                         std::to_string(7 * k) +
                         "\n"
                         "vllm:request_queue_time_seconds_bucket{le=\"+Inf\"} " +
                         std::to_string(7 * k) +
                         "\n"
                         "vllm:request_queue_time_seconds_sum " +
                         std::to_string(1.75 * static_cast<double>(k)) +
                         "\n"
                         "vllm:request_queue_time_seconds_count " +
                         std::to_string(7 * k) + "\n";
            res.keep_alive(false);
            res.prepare_payload();
            (void)co_await http::async_write(socket, res, asio::as_tuple(asio::use_awaitable));
            boost::system::error_code ignored;
            socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        }
    }

    asio::ip::tcp::acceptor acceptor_;
};

struct cell_outcome {
    sweep::cell_run run;
    std::size_t traces = 0;
};

/// Runs one cell (512-token prompts, 8 output tokens, 2 concurrent, 3 measured requests) on a
/// fresh real-time emulator with `metrics_url`; `pages` (may be null) is stopped at the end.
cell_outcome run_one_cell(asio::io_context& io, const std::string& metrics_url,
                          page_server* pages) {
    emulator::server_options so;
    so.port = 0;
    emulator::server srv(io, emulator::builtin_profile(), so);
    srv.start();
    const std::string url = "http://127.0.0.1:" + std::to_string(srv.port());
    client::endpoint_options eo;
    eo.api_key_env.clear();
    client::http_endpoint endpoint(io.get_executor(), url, eo);
    sweep::http_runner_options ho;
    ho.url = url;
    ho.metrics_url = metrics_url;
    sweep::http_runner<client::http_endpoint> runner(endpoint, ho);
    sweep::cell_spec spec;
    spec.key = sweep::cell_key{512, 8, 2, ""};
    spec.stop.requests = 3;
    cell_outcome out;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            (void)co_await runner.identify();
            out.run = co_await runner.run_cell(
                spec, [&](const request_trace&, bool warmup) { out.traces += warmup ? 0 : 1; });
        },
        [&](std::exception_ptr e) {
            srv.stop();
            if (pages != nullptr)
                pages->stop();
            if (e)
                std::rethrow_exception(e);
        });
    io.run();
    return out;
}

} // namespace

TEST_CASE("parse_metrics_url: a path is kept, no path means /metrics, bad URLs say why") {
    std::string why;
    auto t = sweep::parse_metrics_url("http://gpu-host:9400/metrics", why);
    REQUIRE(t.has_value());
    CHECK(t->endpoint.host == "gpu-host");
    CHECK(t->endpoint.port == 9400);
    CHECK(t->endpoint.base_path.empty());
    CHECK(t->path == "/metrics");
    CHECK(t->url() == "http://gpu-host:9400/metrics");

    t = sweep::parse_metrics_url("https://gateway.example/engine/v1/prometheus", why);
    REQUIRE(t.has_value());
    CHECK(t->endpoint.tls);
    CHECK(t->endpoint.port == 443);
    CHECK(t->path == "/engine/v1/prometheus");

    for (const char* base : {"http://10.0.0.5:30000", "http://10.0.0.5:30000/"}) {
        CAPTURE(base);
        t = sweep::parse_metrics_url(base, why);
        REQUIRE(t.has_value());
        CHECK(t->path == "/metrics");
        CHECK(t->url() == "http://10.0.0.5:30000/metrics");
    }

    for (const char* bad :
         {"gpu-host:9400", "ftp://gpu-host/metrics", "http://:9400/metrics",
          "http://gpu-host:70000/metrics", "http://gpu-host/metrics?x=1", "not a url", ""}) {
        CAPTURE(bad);
        why.clear();
        CHECK_FALSE(sweep::parse_metrics_url(bad, why).has_value());
        CHECK_FALSE(why.empty());
    }
}

TEST_CASE("http_runner: a bad metrics URL is refused at construction, naming it") {
    asio::io_context io;
    client::http_endpoint endpoint(io.get_executor(), "http://127.0.0.1:8000");
    sweep::http_runner_options ho;
    ho.metrics_url = "tcp://127.0.0.1:9400";
    try {
        sweep::http_runner<client::http_endpoint> runner(endpoint, ho);
        FAIL("no exception");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("metrics URL \"tcp://127.0.0.1:9400\"") !=
              std::string::npos);
    }
}

TEST_CASE("http_runner: with a metrics URL the cell's scrapes come from that server") {
    asio::io_context io;
    page_server pages(io);
    const std::string base = "http://127.0.0.1:" + std::to_string(pages.port());

    SUBCASE("a URL with a path is scraped at that path") {
        const cell_outcome c = run_one_cell(io, base + "/custom/metrics", &pages);
        CHECK(c.run.error.empty());
        CHECK(c.traces == 3);
        // One scrape before the measured requests and one after, both on the page server.
        CHECK(pages.targets == std::vector<std::string>{"/custom/metrics", "/custom/metrics"});
        REQUIRE(c.run.server.has_value());
        CHECK(c.run.server->error.empty());
        const sweep::server_quantity& q = c.run.server->values.at("queue_wait_mean_s");
        CHECK(q.state == prometheus::value_state::measured);
        CHECK(q.source == prometheus::value_source::scrape_delta);
        CHECK(q.observations == 7);
        REQUIRE(q.value.has_value());
        CHECK(*q.value == doctest::Approx(0.25));
        // The page server exposes nothing else: the emulator's own counters were not read.
        CHECK(c.run.server->values.at("generation_tokens").state ==
              prometheus::value_state::not_exposed);
    }
    SUBCASE("a base URL is scraped at /metrics") {
        const cell_outcome c = run_one_cell(io, base, &pages);
        CHECK(pages.targets == std::vector<std::string>{"/metrics", "/metrics"});
        REQUIRE(c.run.server.has_value());
        CHECK(c.run.server->values.at("queue_wait_mean_s").observations == 7);
    }
    SUBCASE("without a metrics URL the serving endpoint's own page is read") {
        const cell_outcome c = run_one_cell(io, "", &pages);
        CHECK(pages.targets.empty());
        REQUIRE(c.run.server.has_value());
        CHECK(c.run.server->error.empty());
        const sweep::server_quantity& q = c.run.server->values.at("queue_wait_mean_s");
        CHECK(q.state == prometheus::value_state::measured);
        CHECK(q.observations == 3); // the emulator's histogram: the cell's own requests
        CHECK(c.run.server->values.at("generation_tokens").state ==
              prometheus::value_state::measured);
    }
}

TEST_CASE("http_runner: an unreachable metrics URL is reported, naming the URL") {
    asio::io_context io;
    // Port 9 (discard) on loopback: nothing listens there in the test environment.
    const cell_outcome c = run_one_cell(io, "http://127.0.0.1:9/metrics", nullptr);
    CHECK(c.run.error.empty());
    CHECK(c.traces == 3); // the requests themselves ran
    REQUIRE(c.run.server.has_value());
    CHECK(c.run.server->error.find("http://127.0.0.1:9/metrics: ") == 0);
}
