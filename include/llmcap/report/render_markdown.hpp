#pragma once

#include <llmcap/report/document.hpp>

#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // decay_t, is_same_v
#include <variant>     // visit
#include <vector>      // vector

namespace llmcap::report {

namespace detail {

/// ASCII lower-case copy.
[[nodiscard]] inline std::string lower_ascii(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return s;
}

/// Escapes the characters that would break a Markdown table cell.
[[nodiscard]] inline std::string markdown_cell(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '|')
            out += "\\|";
        else if (c == '\n')
            out += ' ';
        else
            out += c;
    }
    return out;
}

inline void markdown_table(std::string& o, const table& t) {
    o += "|";
    for (const std::string& h : t.header) {
        o += ' ';
        o += markdown_cell(h);
        o += " |";
    }
    o += "\n|";
    for (std::size_t i = 0; i < t.header.size(); ++i)
        o += i < t.alignment.size() && t.alignment[i] == align::right ? "---:|" : "---|";
    o += "\n";
    for (const std::vector<std::string>& row : t.rows) {
        o += "|";
        for (const std::string& c : row) {
            o += ' ';
            o += markdown_cell(c);
            o += " |";
        }
        o += "\n";
    }
    if (!t.caption.empty())
        o += "\n*" + t.caption + "*\n";
}

} // namespace detail

/**
 * The document as GitHub-flavoured Markdown. Charts become the tables of their data (exact
 * values), titled "Chart: …". With a watermark, the document opens with it and every section
 * heading carries the badge in brackets ("[simulated]").
 */
[[nodiscard]] inline std::string render_markdown(const document& d) {
    std::string o;
    o += "# " + d.title + "\n\n";
    if (!d.subtitle.empty())
        o += "*" + d.subtitle + "*\n\n";
    if (!d.watermark.empty())
        o += "> **" + d.watermark + "**\n\n";
    for (const block& b : d.blocks) {
        std::visit(
            [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, heading>) {
                    o += std::string(static_cast<std::size_t>(x.level < 1 ? 1 : x.level), '#') +
                         " " + x.text;
                    if (!d.watermark.empty() && x.level <= 2)
                        o += " [" + detail::lower_ascii(d.badge) + "]";
                    o += "\n\n";
                } else if constexpr (std::is_same_v<T, paragraph>) {
                    o += x.text + "\n\n";
                } else if constexpr (std::is_same_v<T, bullet_list>) {
                    for (const std::string& i : x.items)
                        o += "- " + i + "\n";
                    o += "\n";
                } else if constexpr (std::is_same_v<T, table>) {
                    detail::markdown_table(o, x);
                    o += "\n";
                } else if constexpr (std::is_same_v<T, figure>) {
                    o += "**Chart: " + x.chart.title + "**\n\n";
                    detail::markdown_table(o, chart_data_table(x.chart));
                    if (!x.caption.empty())
                        o += "\n" + x.caption + "\n";
                    o += "\n";
                } else if constexpr (std::is_same_v<T, highlights>) {
                    for (const highlight& h : x.cards)
                        o += "- **" + h.value + "** " + h.label +
                             (h.detail.empty() ? "" : " (" + h.detail + ")") + "\n";
                    o += "\n";
                } else if constexpr (std::is_same_v<T, note>) {
                    o += std::string("> **") + (x.kind == note_kind::warning ? "Warning" : "Note") +
                         ":** " + x.text + "\n\n";
                }
            },
            b);
    }
    while (o.size() > 1 && o[o.size() - 1] == '\n' && o[o.size() - 2] == '\n')
        o.pop_back();
    return o;
}

} // namespace llmcap::report
