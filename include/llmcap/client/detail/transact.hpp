#pragma once

// One HTTP/1.1 request and its response on a connection: http_endpoint's reader, with the
// per-stage deadlines (headers, first token, idle, drain) and the stale-connection retry.

#include <llmcap/client/detail/connection.hpp>
#include <llmcap/client/detail/exchange.hpp>
#include <llmcap/client/detail/request_state.hpp>
#include <llmcap/client/detail/response_reader.hpp>
#include <llmcap/client/endpoint_url.hpp>
#include <llmcap/client/options.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>

#include <array>       // array
#include <cstddef>     // size_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::client::detail {

/// How an exchange on a connection ended, and what becomes of the connection.
enum class outcome {
    /// The response is complete and the connection can carry another request.
    keep,
    /// The connection must be closed (the result, success or failure, is recorded).
    close,
    /// A reused connection was found closed before any response byte: retry on a new one
    /// (no result is recorded; the retry sends again).
    retry,
};

/**
 * Writes the request on `c` and reads the response into the handler, under the limits of
 * `opt` (its timeouts, read sizes and drain time) for the server at `url`. `may_retry`: the
 * connection was reused, so a close before any response byte asks for a retry on a new one.
 */
inline boost::asio::awaitable<outcome>
transact(connection& c, request_state& state,
         const std::array<boost::asio::const_buffer, 2>& request, response_handler& handler,
         bool may_retry, const endpoint_options& opt, const endpoint_url& url) {
    namespace asio = boost::asio;
    co_await asio::this_coro::throw_if_cancelled(false);
    const auto cs = co_await asio::this_coro::cancellation_state;
    const timeouts& to = opt.timeouts;
    const auto where = [&] { return url.host_header(); };
    const auto abort_text = [&](error why) { return abort_message(why, to, where()); };
    state.socket = &c.socket();

    // Returns the abort reason, if any: a deadline, the stop signal, or Asio cancellation.
    const auto abort_reason = [&]() -> std::optional<error> {
        if (state.aborted())
            return state.aborted();
        if (cs.cancelled() != asio::cancellation_type::none) {
            state.abort(error::cancelled);
            return error::cancelled;
        }
        return std::nullopt;
    };

    const time_point send = trace_clock::now();
    handler.on_send(send);
    state.set_deadline(after(send, to.headers), error::headers_timeout);
    {
        auto [wec, n] = co_await c.write(request);
        (void)n;
        if (wec) {
            if (auto why = abort_reason()) {
                handler.on_failure(trace_clock::now(), *why, abort_text(*why));
                co_return outcome::close;
            }
            if (may_retry)
                co_return outcome::retry;
            handler.on_failure(trace_clock::now(), error::connect_failed,
                               "sending the request to " + where() + " failed: " + wec.message());
            co_return outcome::close;
        }
    }

    response_reader reader(handler, opt.header_limit_bytes);
    time_point read_time = send;
    bool got_bytes = false;
    for (;;) {
        // Parse what the buffer holds; set the deadline of each phase as it begins.
        for (std::string_view data = c.buffer.data(); !data.empty(); data = c.buffer.data()) {
            const bool had_headers = reader.headers_done();
            const bool was_draining = reader.draining();
            const bool had_token = reader.token_stage();
            std::size_t used = 0;
            const read_state rs = reader.put(data, read_time, where(), used);
            c.buffer.consume(used);
            if (rs == read_state::keep)
                co_return outcome::keep;
            if (rs == read_state::close)
                co_return outcome::close;
            if (!had_headers && reader.headers_done()) {
                if (handler.is_token_stream())
                    state.set_deadline(after(send, to.first_token), error::first_token_timeout);
                else
                    state.set_deadline(after(read_time, to.idle), error::idle_timeout);
            }
            if (!was_draining && reader.draining())
                state.set_deadline(after(read_time, opt.drain), error::idle_timeout);
            if (!had_token && reader.token_stage())
                state.set_deadline(after(read_time, to.idle), error::idle_timeout);
            if (rs == read_state::need_more)
                break;
        }
        if (auto why = abort_reason()) {
            if (reader.draining()) // the stream had ended; only the rest of the message is lost
                handler.on_broken(read_time, error::truncated_stream, abort_text(*why));
            else
                handler.on_failure(trace_clock::now(), *why, abort_text(*why));
            co_return outcome::close;
        }

        // Read more.
        const asio::mutable_buffer space =
            c.buffer.prepare(opt.read_buffer_bytes, opt.max_read_bytes, opt.max_read_bytes);
        auto [rec, n] = co_await c.read_some(space);
        read_time = stamp();
        c.buffer.commit(n);
        if (n > 0) {
            got_bytes = true;
            if (reader.token_stage() && !reader.draining())
                state.extend(after(read_time, to.idle));
            else if (reader.headers_done() && !handler.is_token_stream())
                state.extend(after(read_time, to.idle));
        }
        if (!rec)
            continue;
        if (reader.draining()) {
            handler.on_broken(read_time, error::truncated_stream, rec.message());
            co_return outcome::close;
        }
        if (auto why = abort_reason()) {
            handler.on_failure(read_time, *why, abort_text(*why));
            co_return outcome::close;
        }
        const bool eof = rec == asio::error::eof || rec == asio::ssl::error::stream_truncated;
        if (!got_bytes && may_retry && (eof || rec == asio::error::connection_reset))
            co_return outcome::retry;
        reader.end(read_time, eof, where(), rec.message());
        co_return outcome::close;
    }
}

} // namespace llmcap::client::detail
