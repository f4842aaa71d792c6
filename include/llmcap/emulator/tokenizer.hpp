#pragma once

#include <array>       // array
#include <cstddef>     // size_t
#include <cstdint>     // uint32_t, uint64_t
#include <string>      // string
#include <string_view> // string_view
#include <vector>      // vector

namespace llmcap::emulator {

/**
 * The emulator's deterministic tokenizer, so that a client can know a prompt's length in
 * server tokens without a model's vocabulary.
 *
 * Text is split into words at ASCII whitespace (space, tab, CR, LF, FF, VT); each word is cut
 * into pieces of at most `max_piece_bytes` (4) bytes from its start, and every piece is one
 * token. Whitespace itself costs nothing. So "hello world" is `hell` `o` `worl` `d`: 4 tokens,
 * and a word of n bytes costs ceil(n / 4) tokens. Bytes, not characters: a multi-byte UTF-8
 * character may straddle two pieces.
 *
 * A chat prompt costs the tokens of every message's content plus `message_overhead_tokens` (2)
 * per message (role and end markers), plus `generation_prompt_tokens` (1) for the assistant
 * turn the server opens (vLLM's `add_generation_prompt`, on by default).
 *
 * Token ids are a 32-bit FNV-1a hash of the piece modulo the vocabulary size, from 3 up; the
 * chat markers have ids 0 (start of a system or user message), 1 (end of a message) and 2
 * (start of an assistant message, which is also the generation prompt). A message is
 * `start, content ids, 1`. So a conversation's prompts extend each other token for token, as a
 * prefix cache needs: the prompt of turn n + 1 is the prompt of turn n (ending with 2), the ids
 * of the answer generated, 1, the new user message `0, ids, 1`, and 2. The text of an answer
 * (output_piece()) tokenizes back to exactly the ids generated (output_id()).
 */
struct tokenizer {
    /// Longest piece, bytes.
    static constexpr std::size_t max_piece_bytes = 4;
    /// Tokens a chat message costs besides its content.
    static constexpr std::uint32_t message_overhead_tokens = 2;
    /// Tokens of the assistant turn opened after the messages.
    static constexpr std::uint32_t generation_prompt_tokens = 1;
    /// Id of the token starting a system or user message (any role but `assistant`).
    static constexpr std::uint32_t message_start_id = 0;
    /// Id of the token ending a message.
    static constexpr std::uint32_t message_end_id = 1;
    /// Id of the token starting an assistant message: the generation prompt too.
    static constexpr std::uint32_t assistant_start_id = 2;

    /// The words of generated text (output_piece()), each a space and 1 to 4 letters.
    static constexpr std::array<std::string_view, 32> output_words{
        " the",  " a",    " of",   " to",   " and",  " in",   " is",   " it",
        " for",  " on",   " we",   " can",  " run",  " fast", " data", " load",
        " test", " user", " time", " step", " each", " more", " next", " one",
        " two",  " so",   " as",   " be",   " by",   " or",   " at",   " if"};

    /// Which of output_words is output token `index` of a response seeded with `seed`.
    [[nodiscard]] static constexpr std::size_t output_word(std::uint64_t seed,
                                                           std::uint64_t index) noexcept {
        std::uint64_t x = seed + index * 0x9E3779B97F4A7C15ull;
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9ull;
        x ^= x >> 29;
        return static_cast<std::size_t>(x % output_words.size());
    }

    /// Vocabulary size used for token ids (at least 4).
    std::uint32_t vocab_size = 151552;

    /// True for the bytes that separate words.
    [[nodiscard]] static constexpr bool is_space(char c) noexcept {
        // One comparison for the bytes above space, which most are.
        return static_cast<unsigned char>(c) <= ' ' &&
               (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v');
    }

    /// Tokens in `text`. O(size).
    [[nodiscard]] static constexpr std::uint64_t count(std::string_view text) noexcept {
        std::uint64_t tokens = 0;
        std::size_t word = 0;
        for (char c : text) {
            if (is_space(c)) {
                tokens += (word + max_piece_bytes - 1) / max_piece_bytes;
                word = 0;
            } else {
                ++word;
            }
        }
        return tokens + (word + max_piece_bytes - 1) / max_piece_bytes;
    }

    /// Calls `f(piece)` for every token of `text`, in order.
    template <class F>
    static constexpr void for_each_piece(std::string_view text, F&& f) {
        std::size_t i = 0;
        while (i < text.size()) {
            while (i < text.size() && is_space(text[i]))
                ++i;
            std::size_t end = i;
            while (end < text.size() && !is_space(text[end]))
                ++end;
            for (std::size_t p = i; p < end; p += max_piece_bytes)
                f(text.substr(p, end - p < max_piece_bytes ? end - p : max_piece_bytes));
            i = end;
        }
    }

    /// The id of one piece.
    [[nodiscard]] constexpr std::uint32_t id(std::string_view piece) const noexcept {
        std::uint32_t h = 2166136261u;
        for (char c : piece) {
            h ^= static_cast<unsigned char>(c);
            h *= 16777619u;
        }
        return 3 + h % (vocab_size - 3);
    }

    /// The ids of `text`'s tokens, appended to `out`: id() of every piece, in one pass, with
    /// the remainder taken by multiplication (Lemire's fastmod). O(size).
    void encode(std::string_view text, std::vector<std::uint32_t>& out) const {
        const std::uint32_t d = vocab_size - 3;
        const std::uint64_t m = ~std::uint64_t{0} / d + 1;
        // h % d: the high 64 bits of (m * h mod 2^64) * d.
        const auto id_of = [d, m](std::uint32_t h) noexcept {
            const std::uint64_t low = m * h;
            return 3 + static_cast<std::uint32_t>(
                           ((low >> 32) * d + (((low & 0xFFFFFFFFu) * d) >> 32)) >> 32);
        };
        out.reserve(out.size() + text.size() / 2 + 1); // a piece takes a byte and a separator
        std::uint32_t h = 2166136261u;                 // id()'s hash of the piece so far
        std::size_t bytes = 0;                         // in the piece so far
        for (const char c : text) {
            if (is_space(c)) {
                if (bytes > 0) {
                    out.push_back(id_of(h));
                    h = 2166136261u;
                    bytes = 0;
                }
                continue;
            }
            h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
            if (++bytes == max_piece_bytes) {
                out.push_back(id_of(h));
                h = 2166136261u;
                bytes = 0;
            }
        }
        if (bytes > 0)
            out.push_back(id_of(h));
    }

    /// The ids of one chat message of role `role` with text `content`, appended to `out`: its
    /// start (assistant_start_id for `assistant`, else message_start_id), the text's ids and
    /// message_end_id.
    void encode_message(std::string_view role, std::string_view content,
                        std::vector<std::uint32_t>& out) const {
        out.push_back(role == "assistant" ? assistant_start_id : message_start_id);
        encode(content, out);
        out.push_back(message_end_id);
    }

    /// The pieces of `text`, appended to `out` (vLLM's `token_strs`).
    static void pieces(std::string_view text, std::vector<std::string>& out) {
        for_each_piece(text, [&](std::string_view piece) { out.emplace_back(piece); });
    }

    /**
     * The text of output token `index` of a response seeded with `seed`: a space and a word of
     * 2 to 4 lowercase letters, so that the response text tokenizes back to exactly as many
     * tokens as were generated.
     */
    [[nodiscard]] static constexpr std::string_view output_piece(std::uint64_t seed,
                                                                 std::uint64_t index) noexcept {
        return output_words[output_word(seed, index)];
    }

    /// The id of output token `index` of a response seeded with `seed`: what its text
    /// (output_piece(), one word of at most 4 bytes after a space) tokenizes to.
    [[nodiscard]] constexpr std::uint32_t output_id(std::uint64_t seed,
                                                    std::uint64_t index) const noexcept {
        return id(output_piece(seed, index).substr(1));
    }

    /// The ids of output tokens 0 to `tokens` - 1 of a response seeded with `seed`, appended to
    /// `out`.
    void output_ids(std::uint64_t seed, std::uint64_t tokens,
                    std::vector<std::uint32_t>& out) const {
        // Each token is one of output_words: their ids once, then a look-up each.
        std::array<std::uint32_t, output_words.size()> ids{};
        for (std::size_t w = 0; w < output_words.size(); ++w)
            ids[w] = id(output_words[w].substr(1));
        out.reserve(out.size() + tokens);
        for (std::uint64_t i = 0; i < tokens; ++i)
            out.push_back(ids[output_word(seed, i)]);
    }
};

} // namespace llmcap::emulator
