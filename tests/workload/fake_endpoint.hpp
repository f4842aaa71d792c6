#pragma once

// A streaming endpoint without a network, for driver and calibration tests: it counts prompt
// tokens with the emulator's tokenizer (chat template: 2 tokens per message + 1), streams
// max_tokens token events over a few executor turns, and answers /tokenize in the vLLM or
// llama.cpp shape and /metrics with a fixed page.

#include <llmcap/client/http_response.hpp>
#include <llmcap/client/request_context.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/emulator/tokenizer.hpp>
#include <llmcap/openai/dialect.hpp>
#include <llmcap/openai/request.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmcap::test {

class fake_endpoint {
public:
    openai::tokenize_shape shape = openai::tokenize_shape::llama_cpp;
    /// Executor turns a request takes per output token (varied by index to interleave).
    std::uint32_t turns_per_token = 1;
    /// Wall time per turn between token events: at least analysis::min_measurable_tpot, so that
    /// the streams are not delivered in a burst and have a generation speed.
    duration token_interval = std::chrono::microseconds(100);
    std::size_t in_flight = 0;
    std::size_t max_in_flight = 0;
    std::uint64_t streams = 0;
    std::uint64_t tokenize_calls = 0;
    std::vector<std::size_t> in_flight_at_start;
    /// In flight at each token event, and whether every request had started by then.
    std::vector<std::pair<std::size_t, std::uint64_t>> in_flight_at_event;
    std::vector<std::string> first_pieces;
    std::vector<std::uint64_t> prompt_tokens;
    std::vector<openai::completion_request> requests;
    bool keep_requests = false;
    std::string metrics_page = "# TYPE x counter\nx 1\n";
    std::string models_json =
        R"({"object":"list","data":[{"id":"fake-model","object":"model","owned_by":"llamacpp"}]})";

    static std::uint64_t chat_tokens(const openai::completion_request& r) {
        std::uint64_t n = emulator::tokenizer::generation_prompt_tokens;
        for (const auto& m : r.messages)
            n += emulator::tokenizer::count(m.content) +
                 emulator::tokenizer::message_overhead_tokens;
        return n;
    }

    boost::asio::awaitable<request_trace> stream(const openai::completion_request& r,
                                                 client::request_context ctx) {
        const auto ex = co_await boost::asio::this_coro::executor;
        request_trace t;
        t.index = ctx.index;
        t.intended_start = ctx.intended_start == time_point{} ? stamp() : ctx.intended_start;
        t.prompt_tokens_target = ctx.prompt_tokens_target;
        t.max_tokens = r.max_tokens.value_or(0);
        t.fixed_output = r.ignore_eos.value_or(false);
        in_flight_at_start.push_back(in_flight);
        ++in_flight;
        ++streams;
        max_in_flight = std::max(max_in_flight, in_flight);
        if (keep_requests)
            requests.push_back(r);
        if (!r.messages.empty()) {
            std::string first;
            emulator::tokenizer::for_each_piece(r.messages.back().content, [&](std::string_view p) {
                if (first.empty())
                    first = std::string(p);
            });
            first_pieces.push_back(first);
        }
        t.send = stamp();
        const std::uint64_t prompt = chat_tokens(r);
        prompt_tokens.push_back(prompt);
        const std::uint32_t n = r.max_tokens.value_or(16);
        const std::uint32_t turns = turns_per_token + static_cast<std::uint32_t>(ctx.index % 3);
        for (std::uint32_t i = 0; i < n; ++i) {
            for (std::uint32_t k = 0; k < turns; ++k)
                co_await boost::asio::post(ex, boost::asio::use_awaitable);
            if (token_interval > duration{}) {
                boost::asio::steady_timer pace(ex, token_interval * turns);
                co_await pace.async_wait(boost::asio::use_awaitable);
            }
            if (ctx.stop != nullptr && ctx.stop->stop_requested()) {
                t.fail(error::cancelled, "cancelled");
                break;
            }
            t.events.push_back({stamp(), 1, token_kind::content});
            in_flight_at_event.emplace_back(in_flight, streams);
        }
        t.http_status = 200;
        if (t.ok()) {
            t.done_marker = true;
            t.finish_reason = "length";
            t.usage = usage_info{prompt, n, prompt + n, std::nullopt, std::nullopt};
        }
        t.end = stamp();
        --in_flight;
        co_return t;
    }

    boost::asio::awaitable<client::http_response> get(std::string_view path) {
        co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                                   boost::asio::use_awaitable);
        client::http_response r;
        r.status = 200;
        if (path == "/metrics")
            r.body = metrics_page;
        else if (path == "/v1/models")
            r.body = models_json;
        else {
            r.status = 404;
            r.failure = error::http_status;
            r.error_message = "HTTP 404";
        }
        co_return r;
    }

    boost::asio::awaitable<client::http_response> post(std::string_view path,
                                                       std::string_view body) {
        co_await boost::asio::post(co_await boost::asio::this_coro::executor,
                                   boost::asio::use_awaitable);
        client::http_response r;
        if (path != "/tokenize" || shape == openai::tokenize_shape::none) {
            r.status = 404;
            r.failure = error::http_status;
            r.error_message = "HTTP 404";
            co_return r;
        }
        ++tokenize_calls;
        r.status = 200;
        const boost::json::value v = boost::json::parse(body);
        const auto& o = v.as_object();
        std::vector<std::uint32_t> ids;
        const emulator::tokenizer tok;
        if (shape == openai::tokenize_shape::llama_cpp) {
            tok.encode(o.at("content").as_string(), ids);
            boost::json::array a;
            for (std::uint32_t id : ids)
                a.push_back(id);
            r.body = boost::json::serialize(boost::json::object{{"tokens", std::move(a)}});
        } else {
            tok.encode(o.at("prompt").as_string(), ids);
            r.body = boost::json::serialize(
                boost::json::object{{"count", ids.size()}, {"max_model_len", 131072}});
        }
        co_return r;
    }
};

} // namespace llmcap::test
