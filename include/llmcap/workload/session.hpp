#pragma once

#include <llmcap/core/clock.hpp>
#include <llmcap/core/request_trace.hpp>
#include <llmcap/core/think_time.hpp>
#include <llmcap/openai/request.hpp>
#include <llmcap/workload/load_driver.hpp>
#include <llmcap/workload/prompt_factory.hpp>
#include <llmcap/workload/request_options.hpp>

#include <algorithm>   // max, min
#include <cmath>       // exp, log, isfinite, llround
#include <cstdint>     // uint32_t, uint64_t
#include <optional>    // optional
#include <random>      // mt19937_64, distributions
#include <stdexcept>   // invalid_argument
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::workload {

/**
 * A session workload (DESIGN.md §9): `users` users, each holding a conversation of `turns`
 * turns. Each turn sends the whole history so far — the system prompt, every earlier user
 * message and the server's actual answers, as a chat client does — plus a new user message of
 * about `turn_tokens` tokens, asks for `output_tokens`, and is followed by a think time before
 * the next turn. A user who has finished `turns` turns leaves and a new user takes the slot, so
 * the population stays at `users`.
 */
struct session_spec {
    /// Users holding a conversation at once (the load).
    std::uint32_t users = 1;
    /// Turns per conversation.
    std::uint32_t turns = 8;
    /// Tokens of each new user message, counted as the server counts a prompt holding only that
    /// message (chat template included).
    std::uint32_t turn_tokens = 512;
    /// When > 0, each message's length is drawn from a lognormal distribution with mean
    /// `turn_tokens` and this log-space standard deviation (lengths then follow the text's
    /// bytes per token, not the server's exact count).
    double turn_tokens_sigma = 0.0;
    /// Output tokens asked for per turn (`max_tokens`).
    std::uint32_t output_tokens = 256;
    /// The pause between an answer and the user's next turn; also the pause before a new user's
    /// first turn.
    think_time think;
    /// Tokens of a system prompt shared by the users of a group (as behind one product); 0 for
    /// none.
    std::uint32_t system_prompt_tokens = 0;
    /// Groups of users sharing a system prompt (conversation n belongs to group n mod groups).
    std::uint32_t groups = 1;
    /// True to let the server's prefix cache work (the history resent each turn is cached);
    /// false for the cache-off comparison: every request gets a unique first token, a unique
    /// `cache_salt` (vLLM) and `cache_prompt: false` (llama.cpp), so nothing is reused.
    bool prefix_caching = true;
    /// The model's context window, tokens; 0 when unknown. A conversation whose next turn would
    /// not fit (prompt so far + answer + new message + output) ends and a new one starts,
    /// counted in session_result::ended_by_context.
    std::uint64_t max_context_tokens = 0;
    /// `cache_salt` of every request when prefix caching is on (vLLM shares cached blocks only
    /// between requests with the same salt): a value per run keeps a second run from finding
    /// the first run's conversations cached. Empty sends none.
    std::string cache_salt;
    /// Seed of the think times, turn lengths and user stagger.
    std::uint64_t seed = 1;

    friend bool operator==(const session_spec&, const session_spec&) = default;
};

/// Checks a session_spec; returns an empty string when it is valid, else what is wrong.
[[nodiscard]] inline std::string validate(const session_spec& s) {
    if (s.users == 0)
        return "sessions need at least one user";
    if (s.turns == 0)
        return "sessions need at least one turn";
    if (s.turn_tokens == 0)
        return "turn tokens must be at least 1";
    if (s.output_tokens == 0)
        return "output tokens per turn must be at least 1";
    if (s.groups == 0)
        return "groups must be at least 1";
    if (!(s.turn_tokens_sigma >= 0.0 && s.turn_tokens_sigma <= 4.0))
        return "the turn-length sigma must be in [0, 4]";
    return {};
}

/// One user's conversation: the messages sent so far and the tokens the server counted.
struct conversation {
    /// Its id, from 1 (request_trace::conversation).
    std::uint64_t id = 0;
    /// The group whose system prompt it starts with.
    std::uint32_t group = 0;
    /// Turns sent so far.
    std::uint32_t turns_sent = 0;
    /// The history: system prompt, user and assistant messages, in order.
    std::vector<openai::chat_message> messages;
    /// Prompt tokens of the last turn as the server counted them (usage), 0 before a turn.
    std::uint64_t last_prompt_tokens = 0;
    /// Output tokens of the last turn's answer.
    std::uint64_t last_output_tokens = 0;
};

/**
 * Makes the requests of a session workload: a conversation's next turn from its history and a
 * new user message, built from calibrated prompts of a prompt_factory (each user message starts
 * with the factory's per-request nonce, so no two users share a prefix beyond their group's
 * system prompt).
 *
 * The factory must have nonces on (prompt_options::cache_busting); the request options' own
 * cache busting is replaced by the spec's `prefix_caching` choice.
 */
class session_source {
public:
    /**
     * A source for `spec`, with `turn` calibrated for spec.turn_tokens and, when the spec has a
     * system prompt, `system` calibrated for spec.system_prompt_tokens. Throws
     * std::invalid_argument for an invalid spec, a completions API (sessions are chat), a
     * factory without nonces or a missing system calibration.
     */
    session_source(prompt_factory& prompts, session_spec spec, request_options options,
                   calibrated_prompt turn, std::optional<calibrated_prompt> system = std::nullopt)
        : prompts_(&prompts), spec_(std::move(spec)), options_(std::move(options)),
          turn_(std::move(turn)), system_(std::move(system)), rng_(spec_.seed) {
        if (const std::string e = validate(spec_); !e.empty())
            throw std::invalid_argument("session_source: " + e);
        if (options_.kind != openai::api::chat_completions)
            throw std::invalid_argument("session_source: sessions need the chat completions API");
        if (!prompts.options().cache_busting)
            throw std::invalid_argument(
                "session_source: the prompt factory must start prompts with nonces");
        if (spec_.system_prompt_tokens > 0 && !system_)
            throw std::invalid_argument("session_source: the system prompt is not calibrated");
        options_.cache_busting = false;
        options_.max_tokens = spec_.output_tokens;
    }

    /// The spec.
    [[nodiscard]] const session_spec& spec() const noexcept {
        return spec_;
    }

    /// A new conversation with id `id` (from 1), holding its group's system prompt.
    [[nodiscard]] conversation start(std::uint64_t id) {
        conversation c;
        c.id = id;
        c.group = static_cast<std::uint32_t>(id % spec_.groups);
        if (system_) {
            // Index space of the group prompts, far from the requests' indices.
            const std::uint64_t index = (std::uint64_t{1} << 40) + c.group;
            c.messages.push_back({"system", prompts_->prompt(*system_, index)});
        }
        return c;
    }

    /// True when the conversation's next turn fits the model's context (always when the spec
    /// does not know the context).
    [[nodiscard]] bool next_turn_fits(const conversation& c) const noexcept {
        if (spec_.max_context_tokens == 0 || c.turns_sent == 0)
            return true;
        const std::uint64_t need =
            c.last_prompt_tokens + c.last_output_tokens + spec_.turn_tokens + spec_.output_tokens;
        return need <= spec_.max_context_tokens;
    }

    /**
     * The conversation's next turn as request `index`: appends the new user message to the
     * history and returns the request (the whole history, `max_tokens` = output_tokens), with
     * no prompt length aimed for (prepared_request::prompt_tokens_target 0): the server's count
     * is the prompt's length.
     */
    [[nodiscard]] prepared_request next_turn(conversation& c, std::uint64_t index) {
        std::string text;
        if (spec_.turn_tokens_sigma == 0.0) {
            text = prompts_->prompt(turn_, index);
        } else {
            const double k = spec_.turn_tokens;
            const double mu = std::log(k) - spec_.turn_tokens_sigma * spec_.turn_tokens_sigma / 2;
            const double drawn =
                std::lognormal_distribution<double>(mu, spec_.turn_tokens_sigma)(rng_);
            const double scale = std::max(1.0, drawn) / k;
            const std::string nonce = prompts_->nonce(index);
            const auto bytes = static_cast<std::size_t>(
                std::llround(static_cast<double>(turn_.body_bytes) * scale));
            text = nonce;
            text.append(prompts_->body(std::max<std::size_t>(bytes, 1)));
        }
        c.messages.push_back({"user", std::move(text)});
        ++c.turns_sent;
        openai::completion_request r = make_request(options_, std::string(), index);
        r.messages = c.messages;
        if (spec_.prefix_caching) {
            if (!spec_.cache_salt.empty())
                r.cache_salt = spec_.cache_salt;
        } else {
            // A unique first token defeats every prefix cache; the salt and cache_prompt say
            // so to the servers that take them.
            r.messages.front().content.insert(0, "#" + std::to_string(index) + " ");
            r.cache_salt =
                "llmcap-nocache-" + std::to_string(spec_.seed) + "-" + std::to_string(index);
            r.extra["cache_prompt"] = false;
        }
        openai::restrict_to(options_.extensions, r);
        return {std::move(r), 0}; // a history has no length aimed for
    }

    /// Records the answer to the conversation's last turn: its text becomes the assistant's
    /// message, and the server's counts are kept for the context check.
    void answered(conversation& c, std::string answer, const request_trace& t) {
        c.messages.push_back({"assistant", std::move(answer)});
        c.last_prompt_tokens = t.usage ? t.usage->prompt_tokens : 0;
        c.last_output_tokens = t.output_tokens();
    }

    /// A think time drawn from the spec's distribution.
    [[nodiscard]] duration think() {
        return spec_.think.draw(rng_);
    }

    /// A stagger for a user's first turn: uniform in [0, mean think time), so that users do not
    /// all start at once (0 for agents).
    [[nodiscard]] duration stagger() {
        const double m = to_seconds(spec_.think.mean);
        if (m <= 0.0)
            return duration::zero();
        return from_seconds(std::uniform_real_distribution<double>(0.0, m)(rng_));
    }

private:
    prompt_factory* prompts_;
    session_spec spec_;
    request_options options_;
    calibrated_prompt turn_;
    std::optional<calibrated_prompt> system_;
    std::mt19937_64 rng_;
};

} // namespace llmcap::workload
