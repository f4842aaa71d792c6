#pragma once
// Shared by tests/emulator/prefix_cache.cpp (virtual time) and tests/emulator/server.cpp (HTTP):
// a multi-turn conversation built by hand, each turn resending the whole history with the
// answer text the endpoint streamed (request_context::answer_text) and a new user message, and
// what its prefix-cache hits must be.

#include <llmcap/client/request_context.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/openai/request.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef> // size_t
#include <cstdint> // uint32_t, uint64_t
#include <string>  // string, to_string
#include <utility> // move
#include <vector>  // vector

namespace llmcap_test {

/// A user message of about `words` words, different for every turn (words of at most 4
/// bytes: one emulator token each).
inline std::string user_message(std::size_t turn, std::size_t words) {
    std::string s = "turn " + std::to_string(turn) + ":";
    for (std::size_t i = 0; i < words; ++i) {
        s += ' ';
        s += static_cast<char>('a' + (turn + i) % 26);
        s += static_cast<char>('a' + (turn * 7 + i / 26) % 26);
        s += "xy";
    }
    return s;
}

/// One turn of a conversation: its trace and the answer text the endpoint streamed.
struct conversation_turn {
    llmcap::request_trace trace;
    std::string answer;
};

/**
 * Holds a conversation of `turns` turns with `ep` (any streaming endpoint): a system prompt of
 * `system_words` words, then for each turn a new user message of `user_words` words; each turn
 * sends the whole history (the assistant's earlier answers as the endpoint streamed them) and
 * asks for exactly `output_tokens` tokens, with `cache_salt` when not empty. Request indices
 * count from `first_index`. Stops after a failed turn.
 */
template <class Endpoint>
boost::asio::awaitable<std::vector<conversation_turn>>
converse(Endpoint& ep, std::size_t turns, std::uint32_t output_tokens, std::string cache_salt,
         std::size_t system_words = 300, std::size_t user_words = 60,
         std::uint64_t first_index = 0) {
    std::vector<llmcap::openai::chat_message> history;
    history.push_back({"system", user_message(1000, system_words)});
    std::vector<conversation_turn> out;
    for (std::size_t turn = 0; turn < turns; ++turn) {
        history.push_back({"user", user_message(turn, user_words)});
        llmcap::openai::completion_request r;
        r.model = "glm";
        r.messages = history;
        r.max_tokens = output_tokens;
        r.ignore_eos = true;
        if (!cache_salt.empty())
            r.cache_salt = cache_salt;
        conversation_turn t;
        llmcap::client::request_context ctx;
        ctx.index = first_index + turn;
        ctx.answer_text = &t.answer;
        t.trace = co_await ep.stream(r, ctx);
        const bool ok = t.trace.ok();
        history.push_back({"assistant", t.answer});
        out.push_back(std::move(t));
        if (!ok)
            break;
    }
    co_return out;
}

/**
 * The prompt tokens turn `turn` (from 1) of `c` must find in the prefix cache: the full blocks
 * of what the previous turn left in the KV cache (its prompt and all its output but the last
 * token, which is sampled, never computed), its own prompt extending that one token for token.
 */
inline std::uint64_t expected_cached_tokens(const std::vector<conversation_turn>& c,
                                            std::size_t turn, std::uint32_t block_size) {
    const llmcap::request_trace& previous = c[turn - 1].trace;
    const std::uint64_t computed = previous.usage->prompt_tokens + previous.output_tokens() - 1;
    return computed / block_size * block_size;
}

} // namespace llmcap_test
