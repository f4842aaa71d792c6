#pragma once

#include <llmcap/analysis/cell_recorder.hpp>
#include <llmcap/client/virtual_timeline.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/emulator/profile.hpp>
#include <llmcap/emulator/virtual_endpoint.hpp>
#include <llmcap/openai/request.hpp>
#include <llmcap/workload/load_driver.hpp>
#include <llmcap/workload/load_shape.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>       // uint32_t, uint64_t
#include <exception>     // exception_ptr, rethrow_exception
#include <optional>      // optional
#include <stdexcept>     // invalid_argument, logic_error
#include <string>        // string
#include <unordered_map> // unordered_map
#include <utility>       // move
#include <vector>        // vector

namespace llmcap::emulator {

/// One closed-loop cell for run_virtual_cell(): every request the same shape.
struct virtual_cell {
    /// Prompt tokens per request.
    std::uint32_t prompt_tokens = 1024;
    /// Output tokens per request (all produced: `ignore_eos`).
    std::uint32_t output_tokens = 1024;
    /// Requests in flight.
    std::uint32_t concurrency = 1;
    /// Requests run first, at the same concurrency, and not recorded.
    std::uint64_t warmup_requests = 0;
    /// When the measured requests stop starting (workload::drive's rule).
    workload::stop_rule stop = one_request();

    /// A stop rule of one measured request.
    [[nodiscard]] static workload::stop_rule one_request() noexcept {
        workload::stop_rule r;
        r.requests = 1;
        return r;
    }
};

/// What run_virtual_cell() measured.
struct virtual_cell_result {
    /// The cell recorder over the measured requests.
    analysis::cell_recorder<> recorder;
    /// The measured requests' traces, in completion order.
    std::vector<request_trace> traces;
    /// Their ground truth, in the same order.
    std::vector<request_truth> truths;
    /// Engine steps executed, warm-up included.
    std::uint64_t steps = 0;
    /// Why the driver stopped starting requests.
    workload::driver_result driven;
};

/**
 * A prompt of exactly `tokens` tokens for the emulator's tokenizer on the completions API (one
 * two-byte word per token).
 */
[[nodiscard]] inline std::string prompt_of_tokens(std::uint32_t tokens) {
    std::string s;
    s.reserve(std::size_t{tokens} * 3);
    for (std::uint32_t i = 0; i < tokens; ++i) {
        s += static_cast<char>('a' + i % 26);
        s += static_cast<char>('a' + (i / 26) % 26);
        s += ' ';
    }
    return s;
}

/**
 * Measures one closed-loop cell on a fresh virtual_endpoint (a cold engine) of profile `p`,
 * with the library's own load driver and cell recorder: the warm-up requests first, then the
 * measured ones until the stop rule ends the cell, drained to their end. Every request has a
 * `cache_salt` of its own, so none finds another's blocks in the prefix cache. Deterministic.
 * Throws std::invalid_argument for a concurrency of 0 or requests that do not fit the profile.
 */
[[nodiscard]] inline virtual_cell_result run_virtual_cell(const profile& p, const virtual_cell& c,
                                                          const power_model& power = {}) {
    if (c.concurrency == 0)
        throw std::invalid_argument("run_virtual_cell: concurrency must be positive");
    if (c.output_tokens == 0)
        throw std::invalid_argument("run_virtual_cell: output_tokens must be positive");
    if (!engine(p).fits({c.prompt_tokens, c.output_tokens}) ||
        std::uint64_t{c.prompt_tokens} + c.output_tokens > p.model.max_context_tokens)
        throw std::invalid_argument("run_virtual_cell: " + std::to_string(c.prompt_tokens) + " + " +
                                    std::to_string(c.output_tokens) +
                                    " tokens do not fit profile " + p.name);
    virtual_cell_result out;
    out.recorder = analysis::cell_recorder<>({c.prompt_tokens, c.output_tokens, c.concurrency});
    client::virtual_timeline timeline;
    std::unordered_map<std::uint64_t, request_truth> truths; // by request index
    virtual_endpoint_options eo;
    eo.power = power;
    eo.on_truth = [&](const request_trace& t, const request_truth& truth) {
        if (t.index >= c.warmup_requests)
            truths.emplace(t.index, truth);
    };
    virtual_endpoint endpoint(timeline, p, std::move(eo));
    openai::completion_request request;
    request.kind = openai::api::completions;
    request.model = p.model.name;
    request.prompt = prompt_of_tokens(c.prompt_tokens);
    request.max_tokens = c.output_tokens;
    request.ignore_eos = true;
    const auto make = [&](std::uint64_t index) {
        // A salt of its own: no request finds another's blocks in the prefix cache, as with
        // the built-in workloads' unique prompts.
        workload::prepared_request r{request, c.prompt_tokens};
        r.request.cache_salt = "llmcap-cell-" + std::to_string(index);
        return r;
    };
    const auto run = [&]() -> boost::asio::awaitable<void> {
        if (c.warmup_requests > 0) {
            workload::closed_loop warm(c.concurrency);
            workload::driver_options w;
            w.stop.requests = c.warmup_requests;
            (void)co_await workload::drive(
                endpoint, warm, make, [](const request_trace&, bool) {}, w);
        }
        workload::closed_loop shape(c.concurrency);
        workload::driver_options d;
        d.stop = c.stop;
        d.first_index = c.warmup_requests;
        out.driven = co_await workload::drive(
            endpoint, shape, make,
            [&](const request_trace& t, bool) {
                out.recorder.record(t);
                out.traces.push_back(t);
            },
            d);
    };
    boost::asio::io_context io;
    std::exception_ptr failure;
    bool done = false;
    boost::asio::co_spawn(io, run(), [&](std::exception_ptr e) {
        failure = e;
        done = true;
    });
    if (!timeline.run(io, [&] { return done; }))
        throw std::logic_error("run_virtual_cell: the simulation stalled");
    if (failure)
        std::rethrow_exception(failure);
    out.steps = endpoint.steps();
    out.truths.reserve(out.traces.size());
    for (const request_trace& t : out.traces) {
        const auto it = truths.find(t.index);
        out.truths.push_back(it != truths.end() ? std::move(it->second) : request_truth{});
    }
    return out;
}

} // namespace llmcap::emulator
