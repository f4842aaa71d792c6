#pragma once

#include <llmcap/client/request_context.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/openai/request.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts> // same_as

namespace llmcap::client {

/**
 * Something that serves completion requests and reports what it observed (DESIGN.md §3):
 * the Beast HTTP/HTTPS client (http_endpoint) and the emulator's in-process endpoint.
 *
 * 1. `e.stream(request, context)` returns `asio::awaitable<request_trace>`: awaiting it sends
 *    the request and yields its trace, with `intended_start`, `index` and
 *    `prompt_tokens_target` taken from the context.
 * 2. Failures are on the trace (request_trace::failure), never thrown: a load driver must be
 *    able to await thousands of requests without a try block.
 * 3. A request given a stop_signal ends with error::cancelled soon after request_stop().
 */
template <class E>
concept streaming_endpoint = requires(E& e, const openai::completion_request& request,
                                      request_context context) {
    { e.stream(request, context) } -> std::same_as<boost::asio::awaitable<request_trace>>;
};

} // namespace llmcap::client
