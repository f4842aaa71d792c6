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
 * Token ids are a 32-bit FNV-1a hash of the piece modulo the vocabulary size; the chat markers
 * have ids 0 (role), 1 (end of message) and 2 (generation prompt).
 */
struct tokenizer {
    /// Longest piece, bytes.
    static constexpr std::size_t max_piece_bytes = 4;
    /// Tokens a chat message costs besides its content.
    static constexpr std::uint32_t message_overhead_tokens = 2;
    /// Tokens of the assistant turn opened after the messages.
    static constexpr std::uint32_t generation_prompt_tokens = 1;

    /// Vocabulary size used for token ids (at least 4).
    std::uint32_t vocab_size = 151552;

    /// True for the bytes that separate words.
    [[nodiscard]] static constexpr bool is_space(char c) noexcept {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
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

    /// The ids of `text`'s tokens, appended to `out`.
    void encode(std::string_view text, std::vector<std::uint32_t>& out) const {
        for_each_piece(text, [&](std::string_view piece) { out.push_back(id(piece)); });
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
        constexpr std::array<std::string_view, 32> words{
            " the",  " a",    " of",   " to",   " and",  " in",   " is",   " it",
            " for",  " on",   " we",   " can",  " run",  " fast", " data", " load",
            " test", " user", " time", " step", " each", " more", " next", " one",
            " two",  " so",   " as",   " be",   " by",   " or",   " at",   " if"};
        std::uint64_t x = seed + index * 0x9E3779B97F4A7C15ull;
        x ^= x >> 31;
        x *= 0xBF58476D1CE4E5B9ull;
        x ^= x >> 29;
        return words[static_cast<std::size_t>(x % words.size())];
    }
};

} // namespace llmcap::emulator
