#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>     // size_t
#include <fstream>     // ifstream
#include <iterator>    // istreambuf_iterator
#include <string>      // string, to_string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

namespace llmcap::workload {

/// The format of a user corpus file.
enum class corpus_format {
    /// Decide from the content: `[` first → sharegpt, `{` or `"` first → jsonl, else plain text.
    detect,
    /// Plain text: documents separated by blank lines.
    plain_text,
    /// JSON Lines: each non-empty line a string, or an object with `prompt`, `text` or
    /// `content` (a string), or `messages` (an array of {role, content}; user turns are taken).
    jsonl,
    /// ShareGPT-style JSON: an array of objects with `conversations` (an array of {from, value};
    /// turns from "human" or "user" are taken).
    sharegpt,
};

/// A corpus: the texts prompts are cut from, in file order.
struct corpus {
    /// Non-empty texts.
    std::vector<std::string> texts;
};

/// The outcome of parse_corpus: a corpus, or an error naming where the input was wrong.
struct corpus_parse_result {
    /// The corpus (empty on error).
    corpus value;
    /// Empty on success; else "corpus: line 3: expected a string or an object" and the like.
    std::string error;

    /// True when the input was read without error.
    [[nodiscard]] bool ok() const noexcept {
        return error.empty();
    }
};

namespace detail {

inline bool take_string(const boost::json::object& o, std::string_view key, std::string& out) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string())
        return false;
    out.assign(v->get_string().data(), v->get_string().size());
    return true;
}

/// Appends the user texts of a `messages` array; returns an error or "".
inline std::string take_messages(const boost::json::value& v, const std::string& where,
                                 std::vector<std::string>& out, std::string_view role_key,
                                 std::string_view text_key) {
    if (!v.is_array())
        return where + ": expected an array";
    const auto& a = v.as_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string at = where + "[" + std::to_string(i) + "]";
        if (!a[i].is_object())
            return at + ": expected an object";
        const auto& m = a[i].as_object();
        std::string role;
        std::string text;
        if (!take_string(m, role_key, role))
            return at + "." + std::string(role_key) + ": expected a string";
        if (!take_string(m, text_key, text))
            return at + "." + std::string(text_key) + ": expected a string";
        if ((role == "user" || role == "human") && !text.empty())
            out.push_back(std::move(text));
    }
    return {};
}

} // namespace detail

/**
 * Reads a corpus from `content` in `format`. Never throws on bad input: the error names the line
 * (JSONL) or the element (ShareGPT) and what was wrong. An input without any text is an error.
 */
[[nodiscard]] inline corpus_parse_result
parse_corpus(std::string_view content, corpus_format format = corpus_format::detect) {
    corpus_parse_result r;
    if (format == corpus_format::detect) {
        std::size_t i = 0;
        while (i < content.size() && (content[i] == ' ' || content[i] == '\n' ||
                                      content[i] == '\r' || content[i] == '\t'))
            ++i;
        const char c = i < content.size() ? content[i] : '\0';
        format = c == '['                 ? corpus_format::sharegpt
                 : (c == '{' || c == '"') ? corpus_format::jsonl
                                          : corpus_format::plain_text;
    }
    std::vector<std::string>& texts = r.value.texts;
    if (format == corpus_format::plain_text) {
        std::string current;
        std::size_t pos = 0;
        while (pos <= content.size()) {
            std::size_t end = content.find('\n', pos);
            if (end == std::string_view::npos)
                end = content.size();
            std::string_view line = content.substr(pos, end - pos);
            if (!line.empty() && line.back() == '\r')
                line.remove_suffix(1);
            if (line.find_first_not_of(" \t") == std::string_view::npos) {
                if (!current.empty())
                    texts.push_back(std::move(current));
                current.clear();
            } else {
                if (!current.empty())
                    current += '\n';
                current.append(line);
            }
            pos = end + 1;
        }
        if (!current.empty())
            texts.push_back(std::move(current));
    } else if (format == corpus_format::jsonl) {
        std::size_t pos = 0;
        std::size_t line_no = 0;
        while (pos < content.size()) {
            std::size_t end = content.find('\n', pos);
            if (end == std::string_view::npos)
                end = content.size();
            const std::string_view line = content.substr(pos, end - pos);
            pos = end + 1;
            ++line_no;
            if (line.find_first_not_of(" \t\r") == std::string_view::npos)
                continue;
            const std::string where = "corpus: line " + std::to_string(line_no);
            boost::system::error_code ec;
            const boost::json::value v = boost::json::parse(line, ec);
            if (ec) {
                r.error = where + ": invalid JSON (" + ec.message() + ")";
                break;
            }
            std::string text;
            if (v.is_string()) {
                text.assign(v.get_string().data(), v.get_string().size());
            } else if (v.is_object()) {
                const auto& o = v.as_object();
                if (!detail::take_string(o, "prompt", text) &&
                    !detail::take_string(o, "text", text) &&
                    !detail::take_string(o, "content", text)) {
                    if (const boost::json::value* m = o.if_contains("messages")) {
                        std::string e = detail::take_messages(*m, where + ": messages", texts,
                                                              "role", "content");
                        if (!e.empty()) {
                            r.error = std::move(e);
                            break;
                        }
                        continue;
                    }
                    r.error = where + ": expected a \"prompt\", \"text\" or \"content\" string "
                                      "or a \"messages\" array";
                    break;
                }
            } else {
                r.error = where + ": expected a string or an object";
                break;
            }
            if (!text.empty())
                texts.push_back(std::move(text));
        }
    } else {
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(content, ec);
        if (ec) {
            r.error = "corpus: invalid JSON (" + ec.message() + ")";
        } else if (!v.is_array()) {
            r.error = "corpus: expected an array of conversations";
        } else {
            const auto& a = v.as_array();
            for (std::size_t i = 0; i < a.size(); ++i) {
                const std::string where = "corpus: [" + std::to_string(i) + "]";
                const boost::json::object* o = a[i].if_object();
                const boost::json::value* conv = o ? o->if_contains("conversations") : nullptr;
                if (conv == nullptr) {
                    r.error = where + ": expected an object with \"conversations\"";
                    break;
                }
                std::string e =
                    detail::take_messages(*conv, where + ".conversations", texts, "from", "value");
                if (!e.empty()) {
                    r.error = std::move(e);
                    break;
                }
            }
        }
    }
    if (r.ok() && texts.empty())
        r.error = "corpus: no text found";
    if (!r.ok())
        texts.clear();
    return r;
}

/// Reads a corpus file; the error names the file when it cannot be read.
[[nodiscard]] inline corpus_parse_result load_corpus(const std::string& path,
                                                     corpus_format format = corpus_format::detect) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        corpus_parse_result r;
        r.error = "corpus: cannot read " + path;
        return r;
    }
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    return parse_corpus(content, format);
}

} // namespace llmcap::workload
