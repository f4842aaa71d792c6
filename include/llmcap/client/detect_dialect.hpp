#pragma once

#include <llmcap/client/http_endpoint.hpp>
#include <llmcap/client/stop_signal.hpp>
#include <llmcap/openai/dialect.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <string_view> // string_view

namespace llmcap::client {

/**
 * Asks a server what it is: `GET /v1/models`, `GET /version` (below the endpoint's prefix),
 * and the `Server` header of those answers, judged by openai::detect_dialect(). An endpoint
 * that answers neither is openai_like. Two requests on the endpoint's pool.
 */
inline boost::asio::awaitable<openai::dialect_info> detect_dialect(http_endpoint& endpoint,
                                                                   stop_signal* stop = nullptr) {
    co_await boost::asio::this_coro::throw_if_cancelled(false);
    const http_response models = co_await endpoint.get("/v1/models", stop);
    const http_response version = co_await endpoint.get("/version", stop);
    const std::string_view server = !models.server.empty() ? models.server : version.server;
    co_return openai::detect_dialect(
        models.ok() ? std::string_view(models.body) : std::string_view(),
        version.ok() ? std::string_view(version.body) : std::string_view(), server);
}

} // namespace llmcap::client
