#pragma once

#include <llmcap/core/clock.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h> // recv, MSG_PEEK, MSG_DONTWAIT

#include <algorithm> // min
#include <cerrno>    // errno, EAGAIN
#include <cstddef>   // size_t
#include <cstring>   // memmove
#include <memory>    // unique_ptr
#include <optional>  // optional
#include <tuple>     // tuple

namespace llmcap::client::detail {

/// A growable byte buffer for one connection's reads: bytes [begin, end) are received and not
/// yet consumed. Grows only when a read fills it (up to a maximum), so an idle stream keeps a
/// few KiB.
class read_buffer {
public:
    /// Unconsumed bytes.
    [[nodiscard]] std::string_view data() const noexcept {
        return {buf_.get() + begin_, end_ - begin_};
    }
    /// Marks n bytes of data() consumed.
    void consume(std::size_t n) noexcept {
        begin_ += n;
        if (begin_ == end_)
            begin_ = end_ = 0;
    }
    /// Space for the next read of at most `limit` bytes, at least `first` bytes of capacity in
    /// all; the buffer doubles (up to `grow_to` plus what is unconsumed) when the last read
    /// filled it or when unconsumed bytes leave no room.
    boost::asio::mutable_buffer prepare(std::size_t first, std::size_t grow_to, std::size_t limit) {
        if (!buf_) {
            cap_ = std::max<std::size_t>(first, 1);
            buf_ = std::make_unique<char[]>(cap_);
        }
        if (begin_ > 0 && (end_ == cap_ || begin_ >= cap_ / 2)) {
            std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        const bool full = end_ == cap_;
        if (full || (filled_ && cap_ < grow_to)) {
            std::size_t cap = cap_ * 2;
            auto bigger = std::make_unique<char[]>(cap);
            std::memcpy(bigger.get(), buf_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
            buf_ = std::move(bigger);
            cap_ = cap;
        }
        last_size_ = std::min(cap_ - end_, limit);
        return {buf_.get() + end_, last_size_};
    }
    /// Marks n bytes of the last prepare() received.
    void commit(std::size_t n) noexcept {
        filled_ = n == last_size_ && n > 0;
        end_ += n;
    }
    /// Bytes of memory held.
    [[nodiscard]] std::size_t capacity() const noexcept {
        return cap_;
    }
    /// Drops everything (for a new connection).
    void clear() noexcept {
        begin_ = end_ = 0;
        filled_ = false;
    }

private:
    std::unique_ptr<char[]> buf_;
    std::size_t cap_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::size_t last_size_ = 0;
    bool filled_ = false;
};

/// One HTTP/1.1 connection, plain or TLS, with its read buffer.
class connection {
public:
    explicit connection(const boost::asio::any_io_executor& ex) : sock_(ex) {}

    /// The TCP socket (under TLS, the lowest layer).
    [[nodiscard]] boost::asio::ip::tcp::socket& socket() noexcept {
        return tls_ ? tls_->next_layer() : sock_;
    }
    /// True once connected (and, for TLS, after the handshake).
    [[nodiscard]] bool is_open() noexcept {
        return ready_ && socket().is_open();
    }
    /// Marks the connection ready for requests.
    void set_ready() noexcept {
        ready_ = true;
    }
    /// Wraps the connected socket in a TLS stream (before the handshake).
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket>&
    start_tls(boost::asio::ssl::context& ctx) {
        tls_.emplace(std::move(sock_), ctx);
        return *tls_;
    }
    /// Reads some bytes; as_tuple so that no exception is ever thrown for I/O errors.
    boost::asio::awaitable<std::tuple<boost::system::error_code, std::size_t>>
    read_some(boost::asio::mutable_buffer b) {
        if (tls_)
            return tls_->async_read_some(b, boost::asio::as_tuple(boost::asio::use_awaitable));
        return sock_.async_read_some(b, boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    /// Writes all of the given buffers.
    template <class ConstBufferSequence>
    boost::asio::awaitable<std::tuple<boost::system::error_code, std::size_t>>
    write(const ConstBufferSequence& buffers) {
        if (tls_)
            return boost::asio::async_write(*tls_, buffers,
                                            boost::asio::as_tuple(boost::asio::use_awaitable));
        return boost::asio::async_write(sock_, buffers,
                                        boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    /// Closes the socket (no TLS close_notify: the peer sees a plain close).
    void close() noexcept {
        boost::system::error_code ec;
        socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        socket().close(ec);
        ready_ = false;
    }
    /**
     * True when an idle keep-alive connection can no longer carry a request: the peer closed
     * it or reset it, or (plain HTTP) sent bytes nobody asked for. Over TLS, pending bytes
     * may be a session ticket and do not make it stale; a close_notify there shows up as end
     * of stream on the next read, which the request retries. A non-blocking peek; costs one
     * system call.
     */
    [[nodiscard]] bool is_stale(bool tls) noexcept {
        if (!is_open())
            return true;
        char byte = 0;
        const auto n = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0)
            return !(errno == EAGAIN || errno == EWOULDBLOCK);
        return n == 0 || !tls; // 0: orderly close; > 0: unsolicited bytes
    }

    /// The connection's read buffer.
    read_buffer buffer;
    /// When the connection went back to the pool.
    time_point idle_since{};
    /// Requests completed on this connection.
    std::size_t requests = 0;

private:
    boost::asio::ip::tcp::socket sock_;
    std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls_;
    bool ready_ = false;
};

} // namespace llmcap::client::detail
