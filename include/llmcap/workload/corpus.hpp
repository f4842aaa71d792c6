#pragma once

#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>
#include <llmcap/core/text_lines.hpp>
#include <llmcap/workload/skip_counts.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>          // size_t
#include <cstdint>          // uint32_t, uint64_t
#include <fstream>          // ifstream
#include <initializer_list> // initializer_list
#include <iterator>         // istreambuf_iterator
#include <optional>         // optional
#include <string>           // string, to_string
#include <string_view>      // string_view
#include <utility>          // move
#include <vector>           // vector

namespace llmcap::workload {

/// The format of a user corpus file.
enum class corpus_format {
    /// Decide from the content: `[` first → sharegpt, `{` or `"` first → jsonl, else plain text.
    detect,
    /// Plain text: documents separated by blank lines.
    plain_text,
    /// JSON Lines: each non-empty line a string, or an object with `prompt`, `text` or
    /// `content` (a string), or `messages` (an array of {role, content}; user turns are taken).
    /// An object may give the answer (`output`, `completion`, `response` or `answer`) and an
    /// output length (`output_tokens`, `output_len` or `max_tokens`).
    jsonl,
    /// ShareGPT-style JSON: an array of objects with `conversations` (an array of {from, value};
    /// turns from "human" or "user" are taken; the turn after the first one is its answer).
    sharegpt,
};

/// One record of a dataset: a prompt and, where the data has them, the answer given to it or
/// the output length it asked for.
struct corpus_record {
    /// The prompt: a plain-text document, a JSON Lines prompt, or the first user turn of a
    /// conversation. Never empty.
    std::string prompt;
    /// The reply that followed the prompt (the next turn not from the user or the system, a
    /// JSON Lines `output`, `completion`, `response` or `answer`); empty when the data has none.
    std::optional<std::string> answer;
    /// An output length the record states (JSON Lines `output_tokens`, `output_len` or
    /// `max_tokens`), tokens; empty when none.
    std::optional<std::uint32_t> output_tokens;
    /// Where the record is: the line (JSON Lines), the conversation (ShareGPT, from 1) or the
    /// document (plain text, from 1).
    std::size_t source = 0;
};

/// A corpus: the texts prompts are cut from, and the records of a dataset, in file order.
struct corpus {
    /// Non-empty texts: every user text (all user turns of a conversation).
    std::vector<std::string> texts;
    /// One record per document, line or conversation that has a prompt.
    std::vector<corpus_record> records;
    /// Records left out, by reason ("no user turn", "empty prompt"): each a line, document or
    /// conversation that is valid but holds no prompt.
    skip_counts skipped;
};

/// The outcome of parse_corpus: a corpus, or an error naming where the input was wrong.
struct corpus_parse_result {
    /// The corpus (empty on error).
    corpus value;
    /// Empty on success; else json_error::message(), e.g. "corpus: line 3: $: expected a string
    /// or an object" or "corpus: $[0].conversations[1].value: expected a string, got null".
    std::string error;

    /// True when the input was read without error.
    [[nodiscard]] bool ok() const noexcept {
        return error.empty();
    }
};

namespace detail {

/// Appends the user texts of a list of turns ({role, content} or {from, value}) at `path` to
/// `out.texts`, and its record (the first non-empty user turn and the reply after it) to
/// `out.records`, or counts it as skipped.
inline bool take_turns(json_reader& in, const boost::json::value& v, const std::string& path,
                       corpus& out, std::string_view role_key, std::string_view text_key,
                       std::size_t source) {
    const boost::json::array* a = in.array(v, path);
    if (a == nullptr)
        return false;
    std::optional<corpus_record> record;
    bool replied = false; // the first turn after the prompt not from the user or the system
    for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string at = path + "[" + std::to_string(i) + "]";
        const boost::json::object* m = in.object((*a)[i], at);
        std::string role;
        std::string text;
        if (m == nullptr || !in.field(*m, role_key, at, role) || !in.field(*m, text_key, at, text))
            return false;
        const bool user = role == "user" || role == "human";
        if (user && !text.empty()) {
            if (!record)
                record = corpus_record{text, std::nullopt, std::nullopt, source};
            out.texts.push_back(std::move(text));
        } else if (!user && role != "system" && record && !replied) {
            replied = true;
            if (!text.empty())
                record->answer = std::move(text);
        }
    }
    if (record)
        out.records.push_back(std::move(*record));
    else
        ++out.skipped["no user turn"];
    return true;
}

/// The first of `keys` in `o` that holds a string.
inline bool take_string(const boost::json::object& o, std::initializer_list<std::string_view> keys,
                        std::string& out) {
    for (std::string_view key : keys)
        if (const boost::json::value* v = o.if_contains(key); v != nullptr && v->is_string()) {
            out.assign(v->get_string().data(), v->get_string().size());
            return true;
        }
    return false;
}

/// Reads a stated output length (`output_tokens`, `output_len` or `max_tokens`) of `o`.
inline void take_output_tokens(json_reader& in, const boost::json::object& o,
                               corpus_record& record) {
    for (std::string_view key : {"output_tokens", "output_len", "max_tokens"}) {
        const boost::json::value* v = o.if_contains(key);
        if (v == nullptr)
            continue;
        std::uint32_t n = 0;
        if (in.field(o, key, "$", n))
            record.output_tokens = n;
        return;
    }
}

/// Reads one JSON Lines line (numbered `line_no`) into `out`.
inline json_result<bool> read_jsonl_line(std::string_view line, std::size_t line_no, corpus& out) {
    const std::string subject = "corpus: line " + std::to_string(line_no);
    const json_result<boost::json::value> v = parse_json(line, subject);
    if (!v)
        return v.error();
    json_reader in(subject);
    corpus_record record;
    record.source = line_no;
    if (v->is_string()) {
        record.prompt.assign(v->get_string().data(), v->get_string().size());
    } else if (const boost::json::object* o = v->if_object()) {
        if (!take_string(*o, {"prompt", "text", "content"}, record.prompt)) {
            if (const boost::json::value* m = o->if_contains("messages")) {
                const std::size_t before = out.records.size();
                take_turns(in, *m, "$.messages", out, "role", "content", line_no);
                if (in.ok() && out.records.size() > before) {
                    take_output_tokens(in, *o, out.records.back());
                    if (out.records.back().output_tokens == 0u) {
                        out.records.pop_back();
                        ++out.skipped["output length 0"];
                    }
                }
                return in.result(true);
            }
            in.fail("$", "expected a \"prompt\", \"text\" or \"content\" string or a "
                         "\"messages\" array");
        }
        std::string answer;
        if (in.ok() && take_string(*o, {"output", "completion", "response", "answer"}, answer) &&
            !answer.empty())
            record.answer = std::move(answer);
        if (in.ok())
            take_output_tokens(in, *o, record);
    } else {
        in.fail("$", "expected a string or an object");
    }
    if (in.ok() && record.prompt.empty()) {
        ++out.skipped["empty prompt"];
    } else if (in.ok() && record.output_tokens == 0u) {
        out.texts.push_back(record.prompt);
        ++out.skipped["output length 0"];
    } else if (in.ok()) {
        out.texts.push_back(record.prompt);
        out.records.push_back(std::move(record));
    }
    return in.result(true);
}

/// Reads a ShareGPT document into `out`.
inline json_result<bool> read_sharegpt(std::string_view content, corpus& out) {
    const json_result<boost::json::value> v = parse_json(content, "corpus");
    if (!v)
        return v.error();
    json_reader in("corpus");
    const boost::json::array* a = v->if_array();
    if (a == nullptr)
        in.fail("$", "expected an array of conversations");
    for (std::size_t i = 0; a != nullptr && i < a->size() && in.ok(); ++i) {
        const std::string at = "$[" + std::to_string(i) + "]";
        const boost::json::object* o = (*a)[i].if_object();
        const boost::json::value* conv = o ? o->if_contains("conversations") : nullptr;
        if (conv == nullptr)
            in.fail(at, "expected an object with \"conversations\"");
        else
            take_turns(in, *conv, at + ".conversations", out, "from", "value", i + 1);
    }
    return in.result(true);
}

} // namespace detail

/**
 * Reads a corpus from `content` in `format`. Never throws on bad input: the error names the line
 * (JSONL) and the JSONPath of the element, and what was wrong. An input without any text is an
 * error.
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
    corpus& out = r.value;
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
                if (!current.empty()) {
                    texts.push_back(current);
                    out.records.push_back({std::move(current), {}, {}, out.records.size() + 1});
                }
                current.clear();
            } else {
                if (!current.empty())
                    current += '\n';
                current.append(line);
            }
            pos = end + 1;
        }
        if (!current.empty()) {
            texts.push_back(current);
            out.records.push_back({std::move(current), {}, {}, out.records.size() + 1});
        }
    } else if (format == corpus_format::jsonl) {
        line_cursor lines(content);
        std::string_view line;
        while (r.ok() && lines.next(line)) {
            if (line.find_first_not_of(" \t\r") == std::string_view::npos)
                continue;
            if (const json_result<bool> read = detail::read_jsonl_line(line, lines.number(), out);
                !read)
                r.error = read.error().message();
        }
    } else if (const json_result<bool> read = detail::read_sharegpt(content, out); !read) {
        r.error = read.error().message();
    }
    if (r.ok() && texts.empty())
        r.error = "corpus: no text found";
    if (!r.ok())
        r.value = corpus{};
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
