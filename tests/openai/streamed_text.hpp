#pragma once

// The answer text a response carried, read the slow, obvious way (a JSON DOM per event): the
// oracle for what openai::trace_builder captures into its answer-text sink.

#include <boost/json/parse.hpp> // parse
#include <boost/json/value.hpp> // value, object, array

#include <cstddef>     // size_t
#include <string>      // string
#include <string_view> // string_view

namespace llmcap::test {

/// Appends the answer text of one chunk or complete body: per choice, `delta.content`,
/// `message.content` or `text` when it is a string. Payloads that are not JSON add nothing.
inline void append_answer_of(std::string_view json, std::string& out) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(json, ec);
    if (ec || !v.is_object())
        return;
    const boost::json::value* choices = v.as_object().if_contains("choices");
    if (choices == nullptr || !choices->is_array())
        return;
    for (const boost::json::value& c : choices->as_array()) {
        if (!c.is_object())
            continue;
        const boost::json::object& choice = c.as_object();
        for (const char* key : {"delta", "message"})
            if (const boost::json::value* d = choice.if_contains(key); d && d->is_object())
                if (const boost::json::value* s = d->as_object().if_contains("content");
                    s && s->is_string())
                    out += s->as_string();
        if (const boost::json::value* s = choice.if_contains("text"); s && s->is_string())
            out += s->as_string();
    }
}

/// The answer text of a whole SSE body (events separated by a blank line, `data: ` lines; the
/// captures have one data line per event), or of a complete JSON body when `sse` is false.
inline std::string streamed_answer(std::string_view body, bool sse = true) {
    std::string out;
    if (!sse) {
        append_answer_of(body, out);
        return out;
    }
    constexpr std::string_view data = "data: ";
    std::size_t at = 0;
    while (at < body.size()) {
        const std::size_t end = body.find("\n\n", at);
        const std::string_view event =
            body.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
        if (event.substr(0, data.size()) == data && event.substr(data.size()) != "[DONE]")
            append_answer_of(event.substr(data.size()), out);
        if (end == std::string_view::npos)
            break;
        at = end + 2;
    }
    return out;
}

} // namespace llmcap::test
