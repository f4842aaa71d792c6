// clang-format off
// The C++ snippets of docs/client.md, verbatim and in order, each between a begin and an end
// marker: the first test case below checks that the page and this file still agree, the
// others run the snippets against a local server.
// docs/client.md snippet begin
#include <llmcap/client.hpp>

#include <cstdio>

namespace asio = boost::asio;

// url: http://host:port/prefix or https://host/prefix; a trailing /v1 is accepted.
asio::awaitable<llmcap::request_trace> one_request(asio::any_io_executor ex, std::string url) {
    llmcap::client::endpoint_options opt;
    opt.api_key_env = "OPENAI_API_KEY";          // or opt.api_key = "..."
    opt.headers = {{"X-Team", "capacity"}};       // extra headers, sent as given
    llmcap::client::http_endpoint server(ex, url, opt);

    llmcap::openai::completion_request req;
    req.model = "zai-org/GLM-4.7-Flash";
    req.messages = {{"user", "Hello"}};
    req.max_tokens = 128;                         // stream and include_usage are on by default

    llmcap::client::request_context ctx;
    ctx.intended_start = llmcap::stamp();         // when the load shape wanted it sent
    ctx.index = 0;

    llmcap::request_trace t = co_await server.stream(req, ctx);
    if (!t.ok())
        std::printf("%s: %s\n", llmcap::error_name(*t.failure).data(), t.error_message.c_str());
    co_return t;
}
// docs/client.md snippet end
// docs/client.md snippet begin
// Plain requests for later layers, and the extensions a server accepts.
asio::awaitable<llmcap::openai::dialect_info>
know_the_server(llmcap::client::http_endpoint& server, llmcap::openai::completion_request& req) {
    llmcap::client::http_response models = co_await server.get("/v1/models");
    llmcap::client::http_response tokens = co_await server.post("/tokenize", R"({"content":"hi"})");
    llmcap::client::http_response prom = co_await server.get("/metrics");
    if (!models.ok() || !tokens.ok() || !prom.ok())
        std::printf("HTTP %d %d %d\n", models.status, tokens.status, prom.status);

    llmcap::openai::dialect_info d = co_await llmcap::client::detect_dialect(server);
    llmcap::openai::extensions ext = llmcap::openai::extensions_of(d.kind, d.version);
    llmcap::openai::restrict_to(ext, req); // drop ignore_eos/min_tokens/... a server would reject
    co_return d;
}
// docs/client.md snippet end
// clang-format on

#include "test_server.hpp"

#include <doctest/doctest.h>

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <cstdlib>     // setenv
#include <fstream>     // ifstream
#include <sstream>     // ostringstream
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace {

using llmcap::test::server_request;
using llmcap::test::tcp;
using llmcap::test::test_server;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

/// The text between each pair of `begin` and `end` lines (the marker lines excluded).
std::vector<std::string> between(const std::string& text, std::string_view begin,
                                 std::string_view end) {
    std::vector<std::string> out;
    std::string* current = nullptr;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t eol = std::min(text.find('\n', pos), text.size());
        const std::string_view line(text.data() + pos, eol - pos);
        if (current == nullptr && line == begin) {
            out.emplace_back();
            current = &out.back();
        } else if (current != nullptr && line == end) {
            current = nullptr;
        } else if (current != nullptr) {
            current->append(line);
            current->push_back('\n');
        }
        pos = eol + 1;
    }
    if (current != nullptr)
        throw std::runtime_error("unterminated block starting with '" + std::string(begin) + "'");
    return out;
}

const std::string tests_dir = std::string(LLMCAP_TEST_FIXTURES_DIR) + "/..";

/// Answers by path, as a small vLLM would: models, version, tokenize, metrics, and streams.
test_server::script vllm_like(std::string owner) {
    return [owner](tcp::socket& s, const server_request& r,
                   std::size_t) -> boost::asio::awaitable<bool> {
        const auto json = [](std::string body) {
            return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body;
        };
        std::string out;
        if (r.target() == "/v1/models")
            out = json(R"({"object":"list","data":[{"id":"zai-org/GLM-4.7-Flash","object":"model",)"
                       R"("created":1,"owned_by":")" +
                       owner + R"(","max_model_len":131072}]})");
        else if (r.target() == "/version")
            out = json(R"({"version":"0.10.1"})");
        else if (r.target() == "/tokenize")
            out = json(R"({"count":1,"max_model_len":131072,"tokens":[6023]})");
        else if (r.target() == "/metrics")
            out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 28\r\n\r\n"
                  "vllm:num_requests_running 0\n";
        else if (r.target() == "/v1/chat/completions")
            out = std::string(llmcap::test::sse_headers) + llmcap::test::chat_stream_body(3);
        else
            out = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        co_return co_await llmcap::test::write_all(s, out);
    };
}

} // namespace

TEST_CASE("docs/client.md: every C++ snippet is in this file, verbatim") {
    const std::string doc = read_file(tests_dir + "/../docs/client.md");
    const std::string self = read_file(tests_dir + "/client/docs_examples.cpp");
    const std::vector<std::string> in_doc = between(doc, "```cpp", "```");
    const std::vector<std::string> here =
        between(self, "// docs/client.md snippet begin", "// docs/client.md snippet end");
    REQUIRE(!in_doc.empty());
    REQUIRE_MESSAGE(in_doc.size() == here.size(), "docs/client.md has "
                                                      << in_doc.size() << " C++ snippets, "
                                                      << "tests/client/docs_examples.cpp holds "
                                                      << here.size());
    for (std::size_t i = 0; i < in_doc.size(); ++i)
        CHECK_MESSAGE(in_doc[i] == here[i], "C++ snippet "
                                                << i + 1
                                                << " of docs/client.md differs from its "
                                                   "copy in tests/client/docs_examples.cpp");
}

TEST_CASE("docs/client.md: one_request streams a chat completion from a local server") {
    ::setenv("OPENAI_API_KEY", "sk-docs", 1);
    boost::asio::io_context io;
    test_server server(io, vllm_like("vllm"));
    const llmcap::request_trace t = llmcap::test::run<llmcap::request_trace>(
        io, &server, [&] { return one_request(io.get_executor(), server.url() + "/v1"); });
    ::unsetenv("OPENAI_API_KEY");

    CHECK_MESSAGE(t.ok(), t.error_message);
    CHECK(t.events.size() == 3);
    REQUIRE(t.usage);
    CHECK(t.usage->completion_tokens == 3);
    REQUIRE(server.requests.size() == 1);
    const server_request& r = server.requests[0];
    CHECK(r.target() == "/v1/chat/completions");
    CHECK(r[boost::beast::http::field::authorization] == "Bearer sk-docs");
    CHECK(r["X-Team"] == "capacity");
    const auto body = boost::json::parse(r.body()).as_object();
    CHECK(body.at("model").as_string() == "zai-org/GLM-4.7-Flash");
    CHECK(body.at("max_tokens").as_int64() == 128);
}

TEST_CASE("docs/client.md: know_the_server makes the plain requests and restricts a request") {
    const auto request = [] {
        llmcap::openai::completion_request req;
        req.model = "m";
        req.messages = {{"user", "hi"}};
        req.ignore_eos = true;
        req.min_tokens = 4;
        req.continuous_usage_stats = true;
        req.cache_salt = "run-1";
        return req;
    };
    for (const std::string owner : {"vllm", "someone"}) {
        CAPTURE(owner);
        boost::asio::io_context io;
        test_server server(io, vllm_like(owner));
        llmcap::client::http_endpoint ep(io.get_executor(), server.url());
        llmcap::openai::completion_request req = request();
        const llmcap::openai::dialect_info d = llmcap::test::run<llmcap::openai::dialect_info>(
            io, &server, [&] { return know_the_server(ep, req); });

        std::vector<std::string> targets;
        for (const auto& r : server.requests)
            targets.emplace_back(r.target());
        CHECK(targets == std::vector<std::string>{"/v1/models", "/tokenize", "/metrics",
                                                  "/v1/models", "/version"});
        if (owner == "vllm") {
            CHECK(d.kind == llmcap::openai::dialect::vllm);
            CHECK(d.version == "0.10.1");
            CHECK(req.ignore_eos == true); // vLLM takes every extension
            CHECK(req.min_tokens == 4u);
            CHECK(req.continuous_usage_stats);
            CHECK(req.cache_salt == "run-1");
        } else {
            CHECK(d.kind == llmcap::openai::dialect::openai_like);
            CHECK(!req.ignore_eos); // an unknown server gets standard fields only
            CHECK(!req.min_tokens);
            CHECK(!req.continuous_usage_stats);
            CHECK(!req.cache_salt);
        }
    }
}
