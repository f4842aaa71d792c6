#pragma once

#include <llmcap/core/request_trace.hpp>
#include <llmcap/openai/error.hpp>

#include <boost/json/basic_parser.hpp> // basic_parser (handler requirements)
#include <boost/system/error_code.hpp> // error_code

#include <array>       // array
#include <cstddef>     // size_t
#include <cstdint>     // int64_t, uint64_t, uint8_t
#include <optional>    // optional
#include <string>      // string, to_string
#include <string_view> // string_view

namespace llmcap::openai::detail {

/// Where a JSON value sits in a chunk: the parts of the OpenAI chunk shapes we read.
enum class node : std::uint8_t {
    ignore,        // anything we do not read (any depth below it is ignored too)
    root,          // the top-level object
    choices,       // root.choices (array)
    choice,        // root.choices[i] (object)
    delta,         // choice.delta, or choice.message in a non-streaming body (object)
    content,       // delta.content (string or null)
    reasoning,     // delta.reasoning or delta.reasoning_content
    tool_calls,    // delta.tool_calls (array)
    role,          // delta.role
    text,          // choice.text (completions)
    finish_reason, // choice.finish_reason
    usage,         // root.usage (object or null)
    prompt_tokens, // usage.prompt_tokens
    completion_tokens,
    total_tokens,
    prompt_details,     // usage.prompt_tokens_details
    cached_tokens,      // usage.prompt_tokens_details.cached_tokens
    completion_details, // usage.completion_tokens_details
    reasoning_tokens,   // ...completion_tokens_details.reasoning_tokens, or usage.reasoning_tokens
    timings,            // root.timings (llama.cpp)
    t_cache_n,
    t_prompt_n,
    t_prompt_ms,
    t_predicted_n,
    t_predicted_ms,
    error,         // root.error (object or string)
    error_message, // error.message, or root.message when root.object == "error"
    error_type,
    error_code,
    id,     // root.id
    model,  // root.model
    object, // root.object
};

/// The name of a usage/timings field, for messages.
constexpr std::string_view field_name(node n) noexcept {
    switch (n) {
    case node::prompt_tokens:
        return "usage.prompt_tokens";
    case node::completion_tokens:
        return "usage.completion_tokens";
    case node::total_tokens:
        return "usage.total_tokens";
    case node::cached_tokens:
        return "usage.prompt_tokens_details.cached_tokens";
    case node::reasoning_tokens:
        return "usage reasoning_tokens";
    case node::t_cache_n:
        return "timings.cache_n";
    case node::t_prompt_n:
        return "timings.prompt_n";
    case node::t_prompt_ms:
        return "timings.prompt_ms";
    case node::t_predicted_n:
        return "timings.predicted_n";
    case node::t_predicted_ms:
        return "timings.predicted_ms";
    case node::content:
        return "delta.content";
    case node::reasoning:
        return "delta.reasoning";
    case node::role:
        return "delta.role";
    case node::text:
        return "choices[].text";
    case node::finish_reason:
        return "choices[].finish_reason";
    case node::error:
        return "error";
    case node::choices:
        return "choices";
    case node::choice:
        return "choices[]";
    case node::delta:
        return "delta";
    case node::usage:
        return "usage";
    case node::timings:
        return "timings";
    case node::tool_calls:
        return "delta.tool_calls";
    case node::prompt_details:
        return "usage.prompt_tokens_details";
    case node::completion_details:
        return "usage.completion_tokens_details";
    default:
        return "field";
    }
}

/// What one chunk said, filled by chunk_handler. Strings are kept in reused buffers.
struct chunk_fields {
    bool has_content = false;
    bool has_reasoning = false;
    bool has_tool_calls = false;
    bool has_text = false;
    bool has_role = false;
    bool has_choices = false;
    std::size_t choice_count = 0;
    bool has_usage = false;
    usage_info usage;
    bool has_timings = false;
    server_timings timings;
    bool has_error = false;
    std::optional<std::int64_t> error_code;
    std::string finish_reason;
    std::string error_message;
    std::string error_type;
    std::string error_code_text;
    std::string id;
    std::string model;
    std::string object;

    void clear() noexcept {
        has_content = has_reasoning = has_tool_calls = has_text = has_role = false;
        has_choices = false;
        choice_count = 0;
        has_usage = false;
        usage = {};
        has_timings = false;
        timings = {};
        has_error = false;
        error_code.reset();
        finish_reason.clear();
        error_message.clear();
        error_type.clear();
        error_code_text.clear();
        id.clear();
        model.clear();
        object.clear();
    }
};

/// SAX handler for boost::json::basic_parser reading the chunk fields llmcap uses and checking
/// their shapes, with no allocation beyond the reused string buffers.
class chunk_handler {
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    chunk_fields fields;
    /// Where the text of `delta.content` / `message.content` and `text` goes, appended piece by
    /// piece as the parser hands it over (escapes decoded); null keeps none.
    std::string* answer = nullptr;
    /// Details of a shape or usage error, for the decoder's message.
    std::string problem;
    /// The openai::error of a handler failure (the basic_parser sees a generic code).
    std::optional<openai::error> failure;

    void start() noexcept {
        fields.clear();
        problem.clear();
        failure.reset();
        depth_ = 0;
        ignore_depth_ = 0;
        key_len_ = 0;
        key_overflow_ = false;
        pending_ = node::ignore;
    }

    bool on_document_begin(boost::system::error_code&) {
        return true;
    }
    bool on_document_end(boost::system::error_code&) {
        return true;
    }

    bool on_object_begin(boost::system::error_code& ec) {
        if (ignore_depth_ > 0) {
            ++ignore_depth_;
            return true;
        }
        if (depth_ == 0) {
            return push(node::root, ec);
        }
        const node n = value_node();
        switch (n) {
        case node::choice:
            fields.choice_count++;
            return push(n, ec);
        case node::delta:
        case node::usage:
        case node::prompt_details:
        case node::completion_details:
        case node::timings:
            if (n == node::usage)
                fields.has_usage = true;
            if (n == node::timings)
                fields.has_timings = true;
            return push(n, ec);
        case node::error:
            fields.has_error = true;
            return push(n, ec);
        case node::ignore:
            ++ignore_depth_;
            return true;
        default:
            return shape(n, "an object", ec);
        }
    }

    bool on_object_end(std::size_t, boost::system::error_code&) {
        return pop();
    }

    bool on_array_begin(boost::system::error_code& ec) {
        if (ignore_depth_ > 0) {
            ++ignore_depth_;
            return true;
        }
        if (depth_ == 0)
            return top_level(ec);
        const node n = value_node();
        switch (n) {
        case node::choices:
            fields.has_choices = true;
            return push(n, ec);
        case node::tool_calls:
            return push(n, ec);
        case node::ignore:
            ++ignore_depth_;
            return true;
        default:
            return shape(n, "an array", ec);
        }
    }

    bool on_array_end(std::size_t count, boost::system::error_code&) {
        if (ignore_depth_ == 0 && depth_ > 0 && stack_[depth_ - 1] == node::tool_calls && count > 0)
            fields.has_tool_calls = true;
        return pop();
    }

    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        if (ignore_depth_ == 0)
            append_key(s);
        return true;
    }

    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        if (ignore_depth_ > 0)
            return true;
        append_key(s);
        pending_ = key_overflow_
                       ? node::ignore
                       : child(stack_[depth_ - 1], std::string_view(key_.data(), key_len_));
        key_len_ = 0;
        key_overflow_ = false;
        return true;
    }

    bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        if (ignore_depth_ > 0 || depth_ == 0)
            return true;
        keep_string_piece(value_node_peek(), s);
        return true;
    }

    bool on_string(boost::json::string_view s, std::size_t total, boost::system::error_code& ec) {
        if (ignore_depth_ > 0)
            return true;
        if (depth_ == 0)
            return top_level(ec);
        const node n = value_node();
        keep_string_piece(n, s);
        switch (n) {
        case node::content:
            fields.has_content |= total > 0;
            return true;
        case node::reasoning:
            fields.has_reasoning |= total > 0;
            return true;
        case node::text:
            fields.has_text |= total > 0;
            return true;
        case node::role:
            fields.has_role = true;
            return true;
        case node::error:
            fields.has_error = true;
            return true; // "error": "text"
        case node::finish_reason:
        case node::error_message:
        case node::error_type:
        case node::error_code:
        case node::id:
        case node::model:
        case node::object:
        case node::ignore:
            return true;
        default:
            return shape(n, "a string", ec);
        }
    }

    bool on_number_part(boost::json::string_view, boost::system::error_code&) {
        return true;
    }

    bool on_int64(std::int64_t v, boost::json::string_view, boost::system::error_code& ec) {
        if (ignore_depth_ > 0)
            return true;
        if (depth_ == 0)
            return top_level(ec);
        const node n = value_node();
        if (v < 0 && is_count(n)) {
            problem = std::string(field_name(n)) + " is negative (" + std::to_string(v) + ")";
            return fail(openai::error::invalid_usage, ec);
        }
        return number(n, static_cast<std::uint64_t>(v), static_cast<double>(v), true, ec);
    }

    bool on_uint64(std::uint64_t v, boost::json::string_view, boost::system::error_code& ec) {
        if (ignore_depth_ > 0)
            return true;
        if (depth_ == 0)
            return top_level(ec);
        return number(value_node(), v, static_cast<double>(v), true, ec);
    }

    bool on_double(double v, boost::json::string_view, boost::system::error_code& ec) {
        if (ignore_depth_ > 0)
            return true;
        if (depth_ == 0)
            return top_level(ec);
        const node n = value_node();
        if (is_count(n)) {
            problem = std::string(field_name(n)) + " is not a whole number";
            return fail(openai::error::invalid_usage, ec);
        }
        return number(n, 0, v, false, ec);
    }

    bool on_bool(bool, boost::system::error_code& ec) {
        if (ignore_depth_ > 0)
            return true;
        if (depth_ == 0)
            return top_level(ec);
        const node n = value_node();
        if (n == node::ignore)
            return true;
        return shape(n, "a boolean", ec);
    }

    bool on_null(boost::system::error_code& ec) {
        if (ignore_depth_ > 0)
            return true;
        if (depth_ == 0)
            return top_level(ec);
        // null stands for "absent" wherever a server may send it (content, usage, ...),
        // except for the array of choices.
        const node n = value_node();
        if (n == node::choices)
            return shape(n, "null", ec);
        return true;
    }

    bool on_comment_part(boost::json::string_view, boost::system::error_code&) {
        return true;
    }
    bool on_comment(boost::json::string_view, boost::system::error_code&) {
        return true;
    }

private:
    static constexpr std::size_t max_depth = 16;

    static bool is_count(node n) noexcept {
        switch (n) {
        case node::prompt_tokens:
        case node::completion_tokens:
        case node::total_tokens:
        case node::cached_tokens:
        case node::reasoning_tokens:
        case node::t_cache_n:
        case node::t_prompt_n:
        case node::t_predicted_n:
            return true;
        default:
            return false;
        }
    }

    static node child(node parent, std::string_view key) noexcept {
        switch (parent) {
        case node::root:
            if (key == "choices")
                return node::choices;
            if (key == "usage")
                return node::usage;
            if (key == "timings")
                return node::timings;
            if (key == "error")
                return node::error;
            if (key == "id")
                return node::id;
            if (key == "model")
                return node::model;
            if (key == "object")
                return node::object;
            if (key == "message")
                return node::error_message; // {"object":"error","message":...}
            if (key == "type")
                return node::error_type;
            if (key == "code")
                return node::error_code;
            return node::ignore;
        case node::choice:
            if (key == "delta" || key == "message")
                return node::delta;
            if (key == "text")
                return node::text;
            if (key == "finish_reason")
                return node::finish_reason;
            return node::ignore;
        case node::delta:
            if (key == "content")
                return node::content;
            if (key == "reasoning" || key == "reasoning_content")
                return node::reasoning;
            if (key == "tool_calls")
                return node::tool_calls;
            if (key == "role")
                return node::role;
            return node::ignore;
        case node::usage:
            if (key == "prompt_tokens")
                return node::prompt_tokens;
            if (key == "completion_tokens")
                return node::completion_tokens;
            if (key == "total_tokens")
                return node::total_tokens;
            if (key == "prompt_tokens_details")
                return node::prompt_details;
            if (key == "completion_tokens_details")
                return node::completion_details;
            if (key == "reasoning_tokens")
                return node::reasoning_tokens;
            return node::ignore;
        case node::prompt_details:
            return key == "cached_tokens" ? node::cached_tokens : node::ignore;
        case node::completion_details:
            return key == "reasoning_tokens" ? node::reasoning_tokens : node::ignore;
        case node::timings:
            if (key == "cache_n")
                return node::t_cache_n;
            if (key == "prompt_n")
                return node::t_prompt_n;
            if (key == "prompt_ms")
                return node::t_prompt_ms;
            if (key == "predicted_n")
                return node::t_predicted_n;
            if (key == "predicted_ms")
                return node::t_predicted_ms;
            return node::ignore;
        case node::error:
            if (key == "message")
                return node::error_message;
            if (key == "type")
                return node::error_type;
            if (key == "code")
                return node::error_code;
            return node::ignore;
        default:
            return node::ignore;
        }
    }

    // The node of the value about to be read: the pending key's in an object, the element
    // kind in an array. Consumes the pending key.
    node value_node() noexcept {
        const node n = value_node_peek();
        pending_ = node::ignore;
        return n;
    }
    node value_node_peek() const noexcept {
        const node top = stack_[depth_ - 1];
        if (top == node::choices)
            return node::choice;
        if (top == node::tool_calls)
            return node::ignore;
        return pending_;
    }

    bool push(node n, boost::system::error_code& ec) {
        if (depth_ == max_depth) {
            problem = "nesting deeper than 16 levels";
            return fail(openai::error::unexpected_shape, ec);
        }
        stack_[depth_++] = n;
        pending_ = node::ignore;
        return true;
    }

    bool pop() noexcept {
        if (ignore_depth_ > 0)
            --ignore_depth_;
        else if (depth_ > 0)
            --depth_;
        return true;
    }

    void append_key(boost::json::string_view s) noexcept {
        if (key_len_ + s.size() > key_.size()) {
            key_overflow_ = true;
            return;
        }
        for (char c : s)
            key_[key_len_++] = c;
    }

    // Appends a piece of a string value to the buffer of the field it belongs to, if kept.
    void keep_string_piece(node n, boost::json::string_view s) {
        std::string* target = nullptr;
        switch (n) {
        case node::content:
        case node::text:
            // Answer text is the caller's, whole: no bound.
            if (answer != nullptr)
                answer->append(s.data(), s.size());
            return;
        case node::finish_reason:
            target = &fields.finish_reason;
            break;
        case node::error_message:
        case node::error:
            target = &fields.error_message;
            break;
        case node::error_type:
            target = &fields.error_type;
            break;
        case node::error_code:
            target = &fields.error_code_text;
            break;
        case node::id:
            target = &fields.id;
            break;
        case node::model:
            target = &fields.model;
            break;
        case node::object:
            target = &fields.object;
            break;
        default:
            return;
        }
        // Messages from servers can be long; keep a bounded prefix.
        if (target->size() < 4096)
            target->append(s.data(), std::min(s.size(), 4096 - target->size()));
    }

    bool number(node n, std::uint64_t u, double d, bool integral, boost::system::error_code& ec) {
        switch (n) {
        case node::prompt_tokens:
            fields.usage.prompt_tokens = u;
            return true;
        case node::completion_tokens:
            fields.usage.completion_tokens = u;
            return true;
        case node::total_tokens:
            fields.usage.total_tokens = u;
            return true;
        case node::cached_tokens:
            fields.usage.cached_tokens = u;
            return true;
        case node::reasoning_tokens:
            fields.usage.reasoning_tokens = u;
            return true;
        case node::t_cache_n:
            fields.timings.prompt_tokens_cached = u;
            return true;
        case node::t_prompt_n:
            fields.timings.prompt_tokens_evaluated = u;
            return true;
        case node::t_predicted_n:
            fields.timings.predicted_tokens = u;
            return true;
        case node::t_prompt_ms:
            if (d < 0)
                return negative(n, ec);
            fields.timings.prompt_ms = d;
            return true;
        case node::t_predicted_ms:
            if (d < 0)
                return negative(n, ec);
            fields.timings.predicted_ms = d;
            return true;
        case node::error_code:
            if (integral)
                fields.error_code = static_cast<std::int64_t>(u);
            return true;
        case node::ignore:
            return true;
        default:
            return shape(n, "a number", ec);
        }
    }

    bool negative(node n, boost::system::error_code& ec) {
        problem = std::string(field_name(n)) + " is negative";
        return fail(openai::error::invalid_usage, ec);
    }

    bool shape(node n, std::string_view got, boost::system::error_code& ec) {
        problem = std::string(field_name(n)) + " is " + std::string(got);
        if (n == node::choices)
            problem = "choices is " + std::string(got) + ", not an array";
        return fail(openai::error::unexpected_shape, ec);
    }

    bool top_level(boost::system::error_code& ec) {
        problem = "the chunk is not a JSON object";
        return fail(openai::error::unexpected_shape, ec);
    }

    bool fail(openai::error e, boost::system::error_code& ec) {
        failure = e;
        ec = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        return false;
    }

    std::array<node, max_depth> stack_{};
    std::size_t depth_ = 0;
    std::size_t ignore_depth_ = 0;
    std::array<char, 48> key_{};
    std::size_t key_len_ = 0;
    bool key_overflow_ = false;
    node pending_ = node::ignore;
};

} // namespace llmcap::openai::detail
