#pragma once

#include <llmcap/report/document.hpp>
#include <llmcap/report/svg_chart.hpp>

#include <string>      // string
#include <string_view> // string_view
#include <type_traits> // decay_t, is_same_v
#include <variant>     // visit
#include <vector>      // vector

namespace llmcap::report {

namespace detail {

/// Escapes text for HTML and turns `**bold**` spans into `<strong>`.
[[nodiscard]] inline std::string html_text(std::string_view s) {
    std::string escaped = xml_escape(s);
    std::string out;
    bool open = false;
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        if (escaped[i] == '*' && i + 1 < escaped.size() && escaped[i + 1] == '*') {
            out += open ? "</strong>" : "<strong>";
            open = !open;
            ++i;
        } else {
            out += escaped[i];
        }
    }
    if (open)
        out += "</strong>";
    return out;
}

inline void html_table(std::string& o, const table& t, std::string_view cls = "") {
    o += "<table";
    if (!cls.empty())
        o += " class=\"" + std::string(cls) + "\"";
    o += "><thead><tr>";
    for (std::size_t i = 0; i < t.header.size(); ++i)
        o += std::string(i < t.alignment.size() && t.alignment[i] == align::right
                             ? "<th class=\"num\">"
                             : "<th>") +
             html_text(t.header[i]) + "</th>";
    o += "</tr></thead><tbody>\n";
    for (const std::vector<std::string>& row : t.rows) {
        o += "<tr>";
        for (std::size_t i = 0; i < row.size(); ++i)
            o += std::string(i < t.alignment.size() && t.alignment[i] == align::right
                                 ? "<td class=\"num\">"
                                 : "<td>") +
                 html_text(row[i]) + "</td>";
        o += "</tr>\n";
    }
    o += "</tbody>";
    if (!t.caption.empty())
        o += "<caption>" + html_text(t.caption) + "</caption>";
    o += "</table>\n";
}

/// The page's stylesheet: screen and print, no external resources.
inline constexpr std::string_view html_style = R"css(
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --accent: #0072B2; --warn: #B00020; }
* { box-sizing: border-box; }
body { font-family: Helvetica, Arial, sans-serif; color: var(--ink); margin: 0 auto;
       max-width: 980px; padding: 24px 28px 48px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 30px; margin: 8px 0 4px; }
h2 { font-size: 22px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 18px; margin: 26px 0 8px; }
.subtitle { color: var(--muted); font-size: 17px; margin: 0 0 18px; }
.badge { display: inline-block; font-size: 11px; font-weight: bold; color: #fff; background: var(--warn);
         border-radius: 3px; padding: 2px 6px; margin-left: 10px; vertical-align: middle; }
.watermark { position: fixed; top: 0; left: 0; right: 0; text-align: center; font-weight: bold;
             color: #fff; background: var(--warn); padding: 4px; font-size: 13px; z-index: 10; }
body.simulated { padding-top: 44px; }
table { border-collapse: collapse; margin: 10px 0 18px; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid var(--rule); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f2f5f8; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 13px; padding-top: 4px; }
figure { margin: 14px 0 22px; page-break-inside: avoid; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 13px; }
details { margin-top: 4px; font-size: 13px; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; margin: 12px 0 20px; }
.card { flex: 1 1 200px; border: 1px solid var(--rule); border-top: 4px solid var(--accent);
        padding: 12px 14px; }
.card .value { font-size: 28px; font-weight: bold; }
.card .label { font-weight: bold; }
.card .detail { color: var(--muted); font-size: 13px; }
.note { border-left: 4px solid var(--accent); background: #f4f8fb; padding: 8px 12px; margin: 12px 0; }
.note.warning { border-left-color: var(--warn); background: #fbf2f3; }
nav ol { columns: 2; font-size: 14px; }
@media print {
  body { max-width: none; padding: 36px 0 0; font-size: 11pt; }
  nav { page-break-after: always; }
  h2 { page-break-after: avoid; }
  table, figure { page-break-inside: avoid; }
  details { display: none; }
  a { color: inherit; text-decoration: none; }
}
)css";

} // namespace detail

/**
 * The document as one self-contained HTML page: inline CSS and SVG, no script, no external
 * resource, so it opens offline and prints as it shows. Every chart is followed by a collapsed
 * table of its data. With a watermark, a fixed banner shows it on every screen and printed page
 * and every section heading carries a badge.
 */
[[nodiscard]] inline std::string render_html(const document& d) {
    std::string o;
    o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    o += "<meta name=\"generator\" content=\"llmcap\">\n";
    o += "<title>" + xml_escape(d.title) + "</title>\n<style>" + std::string(detail::html_style) +
         "</style>\n</head>\n";
    const bool marked = !d.watermark.empty();
    o += marked ? "<body class=\"simulated\">\n" : "<body>\n";
    if (marked)
        o += "<div class=\"watermark\">" + xml_escape(d.watermark) + "</div>\n";
    o += "<header>\n<h1>" + xml_escape(d.title) + "</h1>\n";
    if (!d.subtitle.empty())
        o += "<p class=\"subtitle\">" + detail::html_text(d.subtitle) + "</p>\n";
    o += "</header>\n";

    // Table of contents from the section headings.
    std::string toc;
    for (const block& b : d.blocks)
        if (const heading* h = std::get_if<heading>(&b); h && h->level == 2 && !h->id.empty())
            toc +=
                "<li><a href=\"#" + xml_escape(h->id) + "\">" + xml_escape(h->text) + "</a></li>\n";
    if (!toc.empty())
        o += "<nav>\n<h2>Contents</h2>\n<ol>\n" + toc + "</ol>\n</nav>\n";

    const std::string badge =
        marked ? "<span class=\"badge\">" + xml_escape(d.badge) + "</span>" : "";
    for (const block& b : d.blocks) {
        std::visit(
            [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, heading>) {
                    const std::string tag = "h" + std::to_string(x.level < 1   ? 1
                                                                 : x.level > 4 ? 4
                                                                               : x.level);
                    o += "<" + tag;
                    if (!x.id.empty())
                        o += " id=\"" + xml_escape(x.id) + "\"";
                    o += ">" + detail::html_text(x.text) + (x.level <= 2 ? badge : "") + "</" +
                         tag + ">\n";
                } else if constexpr (std::is_same_v<T, paragraph>) {
                    o += "<p>" + detail::html_text(x.text) + "</p>\n";
                } else if constexpr (std::is_same_v<T, bullet_list>) {
                    o += "<ul>\n";
                    for (const std::string& i : x.items)
                        o += "<li>" + detail::html_text(i) + "</li>\n";
                    o += "</ul>\n";
                } else if constexpr (std::is_same_v<T, table>) {
                    detail::html_table(o, x);
                } else if constexpr (std::is_same_v<T, figure>) {
                    o += "<figure>\n" + render_svg(x.chart);
                    o += "<figcaption>" + detail::html_text(x.caption) + "</figcaption>\n";
                    o += "<details><summary>Data</summary>\n";
                    detail::html_table(o, chart_data_table(x.chart), "data");
                    o += "</details>\n</figure>\n";
                } else if constexpr (std::is_same_v<T, highlights>) {
                    o += "<div class=\"cards\">\n";
                    for (const highlight& h : x.cards)
                        o += "<div class=\"card\"><div class=\"value\">" + xml_escape(h.value) +
                             "</div><div class=\"label\">" + xml_escape(h.label) +
                             "</div><div class=\"detail\">" + xml_escape(h.detail) +
                             "</div></div>\n";
                    o += "</div>\n";
                } else if constexpr (std::is_same_v<T, note>) {
                    o += std::string("<div class=\"note") +
                         (x.kind == note_kind::warning ? " warning" : "") + "\">" +
                         detail::html_text(x.text) + "</div>\n";
                }
            },
            b);
    }
    o += "</body>\n</html>\n";
    return o;
}

} // namespace llmcap::report
