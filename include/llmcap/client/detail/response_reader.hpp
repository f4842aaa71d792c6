#pragma once

// The parsing half of an exchange: HTTP/1.1 response bytes, as they are read, into a
// response_handler. transact() owns the socket, the reads and the deadlines; this class owns
// Beast's parser and the rules that turn its states into handler calls, so that the same code
// can be driven by bytes that did not come from a socket (fuzz/http_response.cpp).

#include <llmcap/client/detail/exchange.hpp>
#include <llmcap/client/detail/sink_body.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <algorithm>   // min
#include <cstddef>     // size_t
#include <cstdint>     // uint32_t
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::client::detail {

/// What the reader needs after a put().
enum class read_state {
    /// Bytes are left in what was given: call put() again with them.
    again,
    /// Everything given was used (or the parser needs more to go on): read more.
    need_more,
    /// The response is complete and the connection can carry another request.
    keep,
    /// The exchange is over (complete, failed or stopped by the handler); close the connection.
    close,
};

/**
 * Reads one response into a response_handler. Each put() parses bytes from the front of what it
 * is given and says how many it used; on_headers() sees the header before any body byte. When
 * the input ends without a complete response, end() records why. The phases a caller times
 * (headers read, draining, first token) are exposed so it can set its deadlines.
 */
class response_reader {
public:
    /// Reads into `handler`; a header larger than `header_limit_bytes` is a bad response.
    response_reader(response_handler& handler, std::size_t header_limit_bytes)
        : handler_(handler), header_limit_(header_limit_bytes) {
        parser_.header_limit(
            static_cast<std::uint32_t>(std::min<std::size_t>(header_limit_bytes, 0xffffffffu)));
        parser_.body_limit(boost::none); // the handlers apply their own limits
        parser_.get().body() = &handler_;
        parser_.eager(false); // stop after the header: on_headers() must see it before any body
    }

    response_reader(const response_reader&) = delete;
    response_reader& operator=(const response_reader&) = delete;

    /**
     * Parses bytes from the front of `data`, read at `at`, and sets `used` to how many were
     * consumed. `where` names the server in messages ("127.0.0.1:8000"). Never called again
     * after keep or close.
     */
    read_state put(std::string_view data, time_point at, std::string_view where,
                   std::size_t& used) {
        namespace http = boost::beast::http;
        handler_.set_read_time(at);
        boost::system::error_code ec;
        used = parser_.put(boost::asio::buffer(data.data(), data.size()), ec);
        const bool need_more = ec == http::error::need_more;
        if (need_more)
            ec = {};
        // Beast measures its limit from where a read resumed (a whole header may be the status
        // line plus the limit); the limit holds for the whole header however it was read.
        if (!ec && !headers_done_) {
            header_bytes_ += used;
            const std::size_t seen =
                header_bytes_ + (parser_.is_header_done() ? 0 : data.size() - used);
            if (seen > header_limit_)
                ec = http::error::header_limit;
        }
        if (ec) {
            std::string what = "invalid HTTP response from ";
            what.append(where).append(": ").append(ec.message());
            if (!headers_done_)
                handler_.on_failure(at, error::bad_response, std::move(what));
            else
                handler_.on_broken(at, error::bad_response, std::move(what));
            return read_state::close;
        }
        if (!headers_done_ && parser_.is_header_done()) {
            headers_done_ = true;
            parser_.eager(true);
            if (!handler_.on_headers(parser_.get().base(), at))
                return read_state::close;
        }
        if (handler_.action() == body_action::close)
            return read_state::close;
        if (handler_.action() == body_action::drain)
            draining_ = true;
        if (parser_.is_done()) {
            handler_.on_complete(at); // after a drain: checks the output length
            return parser_.keep_alive() ? read_state::keep : read_state::close;
        }
        if (headers_done_ && !draining_ && handler_.first_token_seen())
            token_stage_ = true;
        return need_more || used == 0 ? read_state::need_more : read_state::again;
    }

    /**
     * The input ended at `at` before the response did: `eof` when the server closed the
     * connection (a body without a length ends there), otherwise `cause` is why the read failed.
     * Records the outcome on the handler: complete, a bad response before the headers, or a
     * truncated stream after them. `where` names the server.
     */
    void end(time_point at, bool eof, std::string_view where, std::string_view cause) {
        if (eof && headers_done_) {
            boost::system::error_code ec;
            handler_.set_read_time(at);
            parser_.put_eof(ec);
            if (!ec && parser_.is_done()) {
                handler_.on_complete(at); // body delimited by the close
                return;
            }
        }
        std::string what = eof ? "connection closed by " : "connection to ";
        what.append(where);
        if (!eof)
            what.append(" failed (").append(cause).append(")");
        if (!headers_done_)
            handler_.on_failure(at, error::bad_response, what + " before the response headers");
        else
            handler_.on_broken(at, error::truncated_stream,
                               what + " before the end of the response");
    }

    /// True once the response headers were read and given to the handler.
    [[nodiscard]] bool headers_done() const noexcept {
        return headers_done_;
    }
    /// True once the handler has what it needs and the rest is read only to reuse the
    /// connection.
    [[nodiscard]] bool draining() const noexcept {
        return draining_;
    }
    /// True once a token stream's first token arrived (and it is not draining).
    [[nodiscard]] bool token_stage() const noexcept {
        return token_stage_;
    }

private:
    response_handler& handler_;
    boost::beast::http::response_parser<sink_body> parser_;
    std::size_t header_limit_;
    std::size_t header_bytes_ = 0; // used before the header was complete
    bool headers_done_ = false;
    bool draining_ = false;
    bool token_stage_ = false;
};

} // namespace llmcap::client::detail
