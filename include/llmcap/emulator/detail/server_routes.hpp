#pragma once

// The emulator's routes: which endpoint a request asks for, the control routes that the
// server answers at once (/tokenize, /v1/models), error responses, and the access log.

#include <llmcap/core/clock.hpp>
#include <llmcap/emulator/detail/server_format.hpp>
#include <llmcap/emulator/detail/server_request.hpp>
#include <llmcap/emulator/detail/server_session.hpp>
#include <llmcap/emulator/server_records.hpp>
#include <llmcap/emulator/tokenizer.hpp>

#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cmath>       // round
#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <functional>  // function
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace llmcap::emulator::detail {

/// What a request asks for, by its path and method.
enum class server_route {
    chat_completions,   ///< `POST /v1/chat/completions`
    completions,        ///< `POST /v1/completions`
    tokenize,           ///< `POST /tokenize`
    health,             ///< `GET /health`
    models,             ///< `GET /v1/models`
    metrics,            ///< `GET /metrics`
    method_not_allowed, ///< a known path with another method (405)
    not_found,          ///< any other path (404)
};

/// The request's path: its target without the query.
[[nodiscard]] inline std::string_view request_path(const http_request& req) noexcept {
    std::string_view target(req.target().data(), req.target().size());
    if (const std::size_t q = target.find('?'); q != std::string_view::npos)
        target = target.substr(0, q);
    return target;
}

/// The route of `req`.
[[nodiscard]] inline server_route route_of(const http_request& req) noexcept {
    const std::string_view target = request_path(req);
    const bool get = req.method() == boost::beast::http::verb::get;
    const bool post = req.method() == boost::beast::http::verb::post;
    const auto when = [](bool allowed, server_route r) {
        return allowed ? r : server_route::method_not_allowed;
    };
    if (target == "/v1/chat/completions")
        return when(post, server_route::chat_completions);
    if (target == "/v1/completions")
        return when(post, server_route::completions);
    if (target == "/tokenize")
        return when(post, server_route::tokenize);
    if (target == "/health")
        return when(get, server_route::health);
    if (target == "/v1/models")
        return when(get, server_route::models);
    if (target == "/metrics")
        return when(get, server_route::metrics);
    return server_route::not_found;
}

/// The server's access log: receives one line per request; may be empty (no log).
using access_log = std::function<void(std::string_view line)>;

/// Answers with an OpenAI error body (429 and 503 ask to retry after a second) and logs
/// `POST TARGET STATUS error="MESSAGE"`.
inline void respond_error(server_session& s, std::string_view target, int status,
                          std::string_view message, const access_log& log) {
    std::string_view extra;
    if (status == 429 || status == 503)
        extra = "retry-after: 1\r\n";
    s.respond(status, "application/json", error_body(status, message), false, extra);
    std::string line = "POST ";
    line += target;
    line += ' ';
    append_uint(line, static_cast<std::uint64_t>(status));
    line += " error=\"";
    line += message;
    line += '"';
    if (log)
        log(line);
}

/// Answers `GET /v1/models`: the one model served, `created` at that Unix time.
inline void respond_models(server_session& s, std::string_view served_model_name,
                           std::uint64_t created, std::uint64_t max_model_len) {
    std::string body = "{\"object\":\"list\",\"data\":[{\"id\":\"";
    append_json_escaped(body, served_model_name);
    body += "\",\"object\":\"model\",\"created\":";
    append_uint(body, created);
    body += ",\"owned_by\":\"vllm\",\"root\":\"";
    append_json_escaped(body, served_model_name);
    body += "\",\"parent\":null,\"max_model_len\":";
    append_uint(body, max_model_len);
    body += ",\"permission\":[]}]}";
    s.respond(200, "application/json", body);
}

/// Answers `POST /tokenize` (vLLM's): the prompt's token count and ids, and with
/// `return_token_strs` their pieces.
inline void respond_tokenize(server_session& s, std::string_view request_body, const tokenizer& tok,
                             std::uint64_t max_model_len, const access_log& log) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(request_body, ec);
    if (ec || !v.is_object())
        return respond_error(s, "/tokenize", 400, "request body must be a JSON object", log);
    const boost::json::object& o = v.get_object();
    const server_api api =
        o.contains("messages") ? server_api::chat_completions : server_api::completions;
    bool generation_prompt = true;
    bool want_strs = false;
    std::string error;
    if (!read_bool(o, "add_generation_prompt", generation_prompt, error) ||
        !read_bool(o, "return_token_strs", want_strs, error))
        return respond_error(s, "/tokenize", 400, error, log);
    std::vector<std::uint32_t> ids;
    std::vector<std::string> strs;
    std::uint64_t count = 0;
    if (!prompt_of(tok, o, api, generation_prompt, count, error, &ids, want_strs ? &strs : nullptr))
        return respond_error(s, "/tokenize", 400, error, log);
    std::string body = "{\"count\":";
    append_uint(body, count);
    body += ",\"max_model_len\":";
    append_uint(body, max_model_len);
    body += ",\"tokens\":[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i > 0)
            body += ',';
        append_uint(body, ids[i]);
    }
    body += "],\"token_strs\":";
    if (want_strs) {
        body += '[';
        for (std::size_t i = 0; i < strs.size(); ++i) {
            if (i > 0)
                body += ',';
            body += '"';
            append_json_escaped(body, strs[i]);
            body += '"';
        }
        body += ']';
    } else {
        body += "null";
    }
    body += '}';
    s.respond(200, "application/json", body);
}

/// The access-log line of a finished completion request to `target`:
/// `POST TARGET 200 id=... prompt=N output=N finish=... [ttft_ms=X e2e_ms=X] [fault=...]
/// [client_lost]`.
[[nodiscard]] inline std::string finished_log_line(std::string_view target,
                                                   const request_record& rec) {
    std::string line = "POST ";
    line += target;
    line += " 200 id=";
    line += rec.response_id;
    line += " prompt=";
    append_uint(line, rec.truth.prompt_tokens);
    line += " output=";
    append_uint(line, rec.truth.tokens.size());
    line += " finish=";
    line += rec.finish_reason;
    if (!rec.truth.tokens.empty()) {
        line += " ttft_ms=";
        append_double(
            line,
            std::round(to_milliseconds(rec.truth.tokens.front() - rec.received) * 1000.0) / 1000.0);
        line += " e2e_ms=";
        append_double(line,
                      std::round(to_milliseconds(rec.truth.tokens.back() - rec.received) * 1000.0) /
                          1000.0);
    }
    if (!rec.fault.empty()) {
        line += " fault=";
        line += rec.fault;
    }
    if (rec.client_lost)
        line += " client_lost";
    return line;
}

} // namespace llmcap::emulator::detail
