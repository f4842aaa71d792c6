#pragma once

#include <array>       // array
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::workload {

/// What the built-in generator writes.
enum class text_style {
    /// Natural-language-like prose: sentences of varied length, punctuation, paragraphs.
    prose,
    /// Code-like text: functions, assignments, calls, comments and indentation.
    code,
};

/// The stable name of a text style ("prose" or "code").
[[nodiscard]] constexpr std::string_view text_style_name(text_style s) noexcept {
    return s == text_style::code ? "code" : "prose";
}

namespace detail {

/// splitmix64: a small, fast, well-mixed deterministic sequence (no global state).
class mix64 {
public:
    explicit constexpr mix64(std::uint64_t seed) noexcept : x_(seed) {}

    /// The next 64 random bits.
    constexpr std::uint64_t next() noexcept {
        std::uint64_t z = (x_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    /// A number in [0, n), n ≥ 1.
    constexpr std::size_t below(std::size_t n) noexcept {
        return static_cast<std::size_t>(next() % n);
    }

private:
    std::uint64_t x_;
};

inline constexpr std::array<std::string_view, 97> prose_words{
    "the",       "system",    "request",  "model",     "answer",    "question", "memory",
    "server",    "user",      "time",     "result",    "report",    "engine",   "river",
    "mountain",  "city",      "history",  "language",  "window",    "garden",   "market",
    "library",   "signal",    "network",  "weather",   "journey",   "problem",  "method",
    "example",   "evidence",  "picture",  "morning",   "evening",   "village",  "council",
    "theory",    "practice",  "season",   "harbour",   "bridge",    "student",  "teacher",
    "kitchen",   "document",  "chapter",  "argument",  "decision",  "process",  "quality",
    "balance",   "pattern",   "surface",  "distance",  "material",  "energy",   "festival",
    "and",       "of",        "to",       "in",        "for",       "with",     "on",
    "that",      "is",        "was",      "are",       "were",      "has",      "had",
    "quickly",   "carefully", "often",    "rarely",    "finally",   "together", "already",
    "bright",    "quiet",     "ancient",  "modern",    "careful",   "simple",   "complex",
    "describes", "explains",  "follows",  "improves",  "measures",  "builds",   "changes",
    "remembers", "reaches",   "connects", "considers", "publishes", "returns",
};

inline constexpr std::array<std::string_view, 40> code_names{
    "count",  "buffer", "index", "value",  "result", "node",   "items", "total", "offset", "size",
    "parser", "token",  "queue", "client", "config", "record", "cache", "frame", "state",  "entry",
    "width",  "height", "limit", "cursor", "reader", "writer", "batch", "label", "score",  "delta",
    "left",   "right",  "key",   "data",   "path",   "line",   "start", "stop",  "step",   "name",
};

inline constexpr std::array<std::string_view, 12> code_calls{
    "len",    "append", "update", "process", "parse", "emit",
    "lookup", "insert", "merge",  "flush",   "check", "render",
};

inline void append_prose_sentence(std::string& out, mix64& rng) {
    const std::size_t words = 6 + rng.below(18);
    for (std::size_t i = 0; i < words; ++i) {
        std::string_view w = prose_words[rng.below(prose_words.size())];
        if (i == 0) {
            out += static_cast<char>(w[0] - 'a' + 'A');
            out.append(w.substr(1));
        } else {
            out += ' ';
            out.append(w);
            if (i + 1 < words && rng.below(9) == 0)
                out += ',';
        }
    }
    out += rng.below(7) == 0 ? "?" : ".";
}

inline void append_code_block(std::string& out, mix64& rng) {
    const auto name = [&] { return code_names[rng.below(code_names.size())]; };
    out += "def ";
    out.append(code_calls[rng.below(code_calls.size())]);
    out += '_';
    out.append(name());
    out += '(';
    out.append(name());
    out += ", ";
    out.append(name());
    out += "):\n";
    const std::size_t lines = 3 + rng.below(8);
    for (std::size_t i = 0; i < lines; ++i) {
        out += "    ";
        switch (rng.below(5)) {
        case 0:
            out += "# ";
            out.append(prose_words[rng.below(prose_words.size())]);
            out += ' ';
            out.append(name());
            out += '\n';
            break;
        case 1:
            out += "if ";
            out.append(name());
            out += " > ";
            out += std::to_string(rng.below(1000));
            out += ":\n        ";
            out.append(name());
            out += " = ";
            out.append(name());
            out += " - 1\n";
            break;
        case 2:
            out += "for ";
            out.append(name());
            out += " in range(";
            out += std::to_string(1 + rng.below(64));
            out += "):\n        ";
            out.append(name());
            out += '.';
            out.append(code_calls[rng.below(code_calls.size())]);
            out += '(';
            out.append(name());
            out += ")\n";
            break;
        case 3:
            out.append(name());
            out += " = ";
            out.append(code_calls[rng.below(code_calls.size())]);
            out += '(';
            out.append(name());
            out += ") * ";
            out += std::to_string(rng.below(100));
            out += '\n';
            break;
        default:
            out.append(name());
            out += "[\"";
            out.append(name());
            out += "\"] = ";
            out.append(name());
            out += '\n';
            break;
        }
    }
    out += "    return ";
    out.append(name());
    out += "\n\n";
}

} // namespace detail

/**
 * A deterministic generator of varied text: natural-language-like prose or code-like text.
 * The same style and seed always give the same text; different seeds give different text.
 * No global state.
 */
class builtin_text {
public:
    /// A generator of `style` text seeded with `seed`.
    explicit builtin_text(text_style style = text_style::prose, std::uint64_t seed = 1)
        : style_(style), seed_(seed) {}

    /// The style.
    [[nodiscard]] text_style style() const noexcept {
        return style_;
    }

    /// At least `min_bytes` bytes of text (a whole sentence or block past that size). O(size).
    [[nodiscard]] std::string generate(std::size_t min_bytes) const {
        std::string out;
        out.reserve(min_bytes + 512);
        detail::mix64 rng(seed_);
        std::size_t sentences = 0;
        while (out.size() < min_bytes) {
            if (style_ == text_style::code) {
                detail::append_code_block(out, rng);
            } else {
                if (!out.empty())
                    out += (++sentences % 5 == 0) ? "\n\n" : " ";
                detail::append_prose_sentence(out, rng);
            }
        }
        return out;
    }

private:
    text_style style_;
    std::uint64_t seed_;
};

} // namespace llmcap::workload
