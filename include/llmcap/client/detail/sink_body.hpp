#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional/optional.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string_view> // string_view

namespace llmcap::client::detail {

/// Receives the de-chunked body bytes of a response as the HTTP parser produces them.
class body_sink {
public:
    /// Bytes of the body, in order.
    virtual void on_body(std::string_view bytes) = 0;

protected:
    ~body_sink() = default;
};

/// A Beast Body whose reader forwards every body byte to a body_sink instead of storing it:
/// the client never holds a whole streamed body.
struct sink_body {
    /// The sink the parser feeds.
    using value_type = body_sink*;

    /// Beast's BodyReader for sink_body.
    class reader {
    public:
        template <bool IsRequest, class Fields>
        reader(boost::beast::http::header<IsRequest, Fields>&, value_type& sink) : sink_(sink) {}

        void init(const boost::optional<std::uint64_t>&, boost::system::error_code& ec) {
            ec = {};
        }

        template <class ConstBufferSequence>
        std::size_t put(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
            std::size_t n = 0;
            for (const auto b : boost::beast::buffers_range_ref(buffers)) {
                sink_->on_body({static_cast<const char*>(b.data()), b.size()});
                n += b.size();
            }
            ec = {};
            return n;
        }

        void finish(boost::system::error_code& ec) {
            ec = {};
        }

    private:
        value_type& sink_;
    };
};

} // namespace llmcap::client::detail
