#pragma once

#include <llmcap/workload/load_driver.hpp>
#include <llmcap/workload/prompt_factory.hpp>
#include <llmcap/workload/request_options.hpp>
#include <llmcap/workload/token_counter.hpp>
#include <llmcap/workload/trace_file.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>   // max
#include <cstdint>     // int64_t, uint32_t, uint64_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::workload {

/// A token_counter over raw text with a newline after it (server_token_counter::count_text),
/// so that blocks calibrated on it and joined by newlines keep their counts.
template <control_endpoint Endpoint>
struct newline_block_counter {
    /// The server's counter.
    server_token_counter<Endpoint>* counter;
    /// Tokens of `text` + "\n", no chat template.
    boost::asio::awaitable<count_result> count_prompt(std::string_view text) {
        co_return co_await counter->count_text(std::string(text) + "\n");
    }
};

/// The request of one trace entry, or why it could not be built.
struct trace_request_result {
    /// The request; empty on failure.
    std::optional<prepared_request> request;
    /// Why it could not be built ("prompt calibration failed: ...").
    std::string error;
};

/**
 * Builds request `index` for trace entry `e` (DESIGN.md §3): `max_tokens` the entry's output
 * length, and a prompt of its input length in server tokens. Without hash ids the prompt is
 * calibrated on `plain` (a nonce per index, cache busting as `ro` says). With Mooncake hash ids
 * it is one block per id, joined by newlines: every block but the last mooncake_block_tokens raw
 * tokens, the last the rest of the length less the chat template's overhead, each block's text
 * `blocks.prompt(calibration, id)` (so its nonce comes from the id, and requests with equal
 * leading ids share exactly those blocks); such requests carry no cache busting, so a prefix
 * cache sees the shared blocks. `blocks` must be a factory used for nothing else (its
 * calibrations count raw text) with cache busting on.
 */
template <control_endpoint Endpoint>
boost::asio::awaitable<trace_request_result>
trace_request(server_token_counter<Endpoint>& counter, prompt_factory& plain,
              prompt_factory& blocks, const trace_entry& e, const request_options& ro,
              std::uint64_t index) {
    trace_request_result out;
    request_options o = ro;
    o.max_tokens = e.output_tokens;
    std::string prompt, why;
    if (e.hash_ids.empty()) {
        const std::optional<calibrated_prompt> c =
            co_await plain.calibrate(counter, e.input_tokens, &why);
        if (!c) {
            out.error = "prompt calibration failed: " + why;
            co_return out;
        }
        prompt = plain.prompt(*c, index);
    } else {
        o.cache_busting = false; // shared blocks must reach the prefix cache
        if (!counter.template_overhead()) {
            const count_result probe = co_await counter.count_prompt("x");
            if (!probe.tokens) {
                out.error = "counting tokens failed: " + probe.error;
                co_return out;
            }
        }
        const std::int64_t overhead = counter.template_overhead().value_or(0);
        const std::int64_t raw_total =
            std::max<std::int64_t>(1, std::int64_t{e.input_tokens} - overhead);
        const std::size_t k = e.hash_ids.size();
        newline_block_counter<Endpoint> raw{&counter};
        for (std::size_t j = 0; j < k; ++j) {
            const std::int64_t full = mooncake_block_tokens;
            const std::int64_t tokens =
                j + 1 < k ? full
                          : std::max<std::int64_t>(1, raw_total -
                                                          full * static_cast<std::int64_t>(k - 1));
            const std::optional<calibrated_prompt> c =
                co_await blocks.calibrate(raw, static_cast<std::uint32_t>(tokens), &why);
            if (!c) {
                out.error = "block calibration failed: " + why;
                co_return out;
            }
            prompt += blocks.prompt(*c, e.hash_ids[j]);
            prompt += '\n';
        }
    }
    out.request = prepared_request{make_request(o, std::move(prompt), index), e.input_tokens};
    co_return out;
}

} // namespace llmcap::workload
