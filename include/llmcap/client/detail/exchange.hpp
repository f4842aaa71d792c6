#pragma once

#include <llmcap/client/detail/sink_body.hpp>
#include <llmcap/client/http_response.hpp>
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/openai/error_body.hpp>
#include <llmcap/openai/trace_builder.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>

#include <algorithm>   // min
#include <cctype>      // tolower
#include <cstddef>     // size_t
#include <string>      // string, to_string
#include <string_view> // string_view

namespace llmcap::client::detail {

/// What the reader does after a piece of body.
enum class body_action {
    /// Keep reading.
    keep,
    /// The caller has what it needs; read the rest of the message only to reuse the
    /// connection (bounded by the drain time).
    drain,
    /// Stop reading and close the connection.
    close,
};

/// The response side of one exchange: what the HTTP reader reports, and how the result is
/// recorded (a request_trace for completions, an http_response for plain helpers).
class response_handler : public body_sink {
public:
    /// The request's first byte is about to be written.
    virtual void on_send(time_point at) = 0;
    /// Response headers are complete; false stops reading (a failure was recorded).
    virtual bool on_headers(const boost::beast::http::response_header<>& h, time_point at) = 0;
    /// The read stamp for the body bytes that follow.
    void set_read_time(time_point at) noexcept {
        read_time_ = at;
    }
    /// What to do after the body bytes given so far.
    [[nodiscard]] body_action action() const noexcept {
        return action_;
    }
    /// The whole HTTP message was received (the body ended normally) at `at`.
    virtual void on_complete(time_point at) = 0;
    /// The connection broke or the response was invalid after the headers.
    virtual void on_broken(time_point at, error kind, std::string message) = 0;
    /// The exchange failed before the headers, or a timeout or cancellation ended it.
    virtual void on_failure(time_point at, error kind, std::string message) = 0;
    /// True once the first token event arrived (the idle limit applies from then on).
    [[nodiscard]] virtual bool first_token_seen() const noexcept = 0;
    /// True when a streamed completion is being read (the first-token limit applies).
    [[nodiscard]] virtual bool is_token_stream() const noexcept = 0;

protected:
    ~response_handler() = default;
    time_point read_time_{};
    body_action action_ = body_action::keep;
};

/// True when a Content-Type names `text/event-stream` (parameters and case ignored).
[[nodiscard]] inline bool is_event_stream(std::string_view content_type) noexcept {
    constexpr std::string_view want = "text/event-stream";
    while (!content_type.empty() && content_type.front() == ' ')
        content_type.remove_prefix(1);
    if (content_type.size() < want.size())
        return false;
    for (std::size_t i = 0; i < want.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(content_type[i])) != want[i])
            return false;
    return content_type.size() == want.size() || content_type[want.size()] == ';' ||
           content_type[want.size()] == ' ';
}

/// Fills a request_trace from a completion response (streamed or not) with a trace_builder,
/// and the answer's text into `answer_text` when it is not null.
class trace_handler final : public response_handler {
public:
    trace_handler(request_trace& trace, openai::trace_builder& builder, bool streaming,
                  std::size_t body_limit, std::size_t error_body_limit,
                  std::string* answer_text = nullptr)
        : t_(trace), builder_(builder), streaming_(streaming), body_limit_(body_limit),
          error_body_limit_(error_body_limit), answer_text_(answer_text) {}

    void on_send(time_point at) override {
        t_.send = at;
    }

    bool on_headers(const boost::beast::http::response_header<>& h, time_point at) override {
        t_.headers = at;
        t_.http_status = static_cast<int>(h.result_int());
        if (t_.http_status < 200 || t_.http_status >= 300) {
            mode_ = mode::error_body;
            return true;
        }
        if (!streaming_) {
            mode_ = mode::whole_body;
            return true;
        }
        const std::string_view ct = h[boost::beast::http::field::content_type];
        if (!is_event_stream(ct)) {
            t_.fail(error::bad_response,
                    "expected Content-Type text/event-stream, got '" + std::string(ct) + "'");
            t_.end = at;
            return false;
        }
        mode_ = mode::stream;
        builder_.begin(t_, answer_text_);
        return true;
    }

    void on_body(std::string_view bytes) override {
        switch (mode_) {
        case mode::stream:
            if (!builder_.put(bytes, read_time_))
                action_ = body_action::drain;
            return;
        case mode::error_body:
            if (body_.size() + bytes.size() > error_body_limit_) {
                body_.append(bytes.substr(0, error_body_limit_ - body_.size()));
                t_.fail(error::http_status, openai::describe_error_response(t_.http_status, body_) +
                                                " (body cut at " +
                                                std::to_string(error_body_limit_) + " bytes)");
                t_.end = read_time_;
                action_ = body_action::close;
                mode_ = mode::done;
                return;
            }
            body_.append(bytes);
            return;
        case mode::whole_body:
            if (body_.size() + bytes.size() > body_limit_) {
                t_.fail(error::bad_response,
                        "response body larger than " + std::to_string(body_limit_) + " bytes");
                t_.end = read_time_;
                action_ = body_action::close;
                mode_ = mode::done;
                return;
            }
            body_.append(bytes);
            return;
        case mode::before_headers:
        case mode::done:
            return;
        }
    }

    void on_complete(time_point at) override {
        switch (mode_) {
        case mode::stream:
            builder_.finish(at, true);
            break;
        case mode::error_body:
            t_.fail(error::http_status, openai::describe_error_response(t_.http_status, body_));
            t_.end = at;
            break;
        case mode::whole_body:
            builder_.begin(t_, answer_text_);
            builder_.put_complete_body(body_, at);
            break;
        case mode::before_headers:
        case mode::done:
            break;
        }
        mode_ = mode::done;
    }

    void on_broken(time_point at, error kind, std::string message) override {
        if (mode_ == mode::stream) {
            if (!builder_.ended())
                t_.fail(kind, std::move(message));
            builder_.finish(at, false);
        } else if (mode_ != mode::done) {
            t_.fail(kind, std::move(message));
            t_.end = at;
        }
        mode_ = mode::done;
    }

    void on_failure(time_point at, error kind, std::string message) override {
        t_.fail(kind, std::move(message));
        if (mode_ == mode::stream)
            builder_.finish(at, false);
        t_.end = at;
        mode_ = mode::done;
    }

    bool first_token_seen() const noexcept override {
        return !t_.events.empty();
    }
    bool is_token_stream() const noexcept override {
        return streaming_;
    }

private:
    enum class mode { before_headers, stream, error_body, whole_body, done };

    request_trace& t_;
    openai::trace_builder& builder_;
    bool streaming_;
    std::size_t body_limit_;
    std::size_t error_body_limit_;
    std::string* answer_text_;
    mode mode_ = mode::before_headers;
    std::string body_;
};

/// Fills an http_response (plain GET/POST helpers).
class plain_handler final : public response_handler {
public:
    plain_handler(http_response& r, std::size_t body_limit) : r_(r), body_limit_(body_limit) {}

    void on_send(time_point) override {}

    bool on_headers(const boost::beast::http::response_header<>& h, time_point) override {
        r_.status = static_cast<int>(h.result_int());
        r_.content_type = h[boost::beast::http::field::content_type];
        r_.server = h[boost::beast::http::field::server];
        return true;
    }

    void on_body(std::string_view bytes) override {
        if (action_ != body_action::keep)
            return;
        if (r_.body.size() + bytes.size() > body_limit_) {
            // The body keeps its first body_limit_ bytes, however the reads fell.
            r_.body.append(bytes.substr(0, body_limit_ - r_.body.size()));
            r_.failure = error::bad_response;
            r_.error_message =
                "response body larger than " + std::to_string(body_limit_) + " bytes";
            action_ = body_action::close;
            return;
        }
        r_.body.append(bytes);
    }

    void on_complete(time_point) override {
        if (!r_.failure && (r_.status < 200 || r_.status >= 300)) {
            r_.failure = error::http_status;
            r_.error_message = openai::describe_error_response(r_.status, r_.body);
        }
    }

    void on_broken(time_point, error kind, std::string message) override {
        on_failure({}, kind, std::move(message));
    }

    void on_failure(time_point, error kind, std::string message) override {
        if (r_.failure)
            return;
        r_.failure = kind;
        r_.error_message = std::move(message);
    }

    bool first_token_seen() const noexcept override {
        return true;
    }
    bool is_token_stream() const noexcept override {
        return false;
    }

private:
    http_response& r_;
    std::size_t body_limit_;
};

} // namespace llmcap::client::detail
