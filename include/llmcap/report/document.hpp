#pragma once

#include <llmcap/report/svg_chart.hpp>

#include <algorithm> // sort, stable_sort, unique
#include <cmath>     // abs, isnan
#include <cstddef>   // size_t
#include <cstdint>   // uint8_t
#include <string>    // string
#include <utility>   // move
#include <variant>   // variant
#include <vector>    // vector

/**
 * A report as a sequence of blocks (headings, paragraphs, tables, charts, highlight cards,
 * notes) independent of the output format. The Markdown and HTML reporters render the same
 * document, so both carry the same content; the Markdown one writes each chart as the table
 * of its data.
 *
 * Paragraph and cell text may mark emphasis with `**bold**`; nothing else is interpreted.
 */
namespace llmcap::report {

/// A section title. Level 1 is the report's title, 2 a section, 3 a subsection.
struct heading {
    /// 1, 2 or 3.
    int level = 2;
    /// The text.
    std::string text;
    /// Anchor id (letters, digits, '-'), unique in the document.
    std::string id;
};

/// A paragraph of text.
struct paragraph {
    /// The text, with optional `**bold**` spans.
    std::string text;
};

/// A bulleted list.
struct bullet_list {
    /// The items, with optional `**bold**` spans.
    std::vector<std::string> items;
};

/// How a table column is aligned.
enum class align : std::uint8_t {
    /// Text.
    left,
    /// Numbers.
    right,
};

/// A table with a header row.
struct table {
    /// Column titles.
    std::vector<std::string> header;
    /// Rows; each has header.size() cells.
    std::vector<std::vector<std::string>> rows;
    /// Per column alignment; missing columns are left-aligned.
    std::vector<align> alignment;
    /// Caption written below the table; may be empty.
    std::string caption;
};

/// A chart and its caption.
struct figure {
    /// The chart.
    line_chart chart;
    /// Caption written below the chart.
    std::string caption;
};

/// One highlight card: a large value, what it is, and under which condition.
struct highlight {
    /// "458.3 tok/s".
    std::string value;
    /// "Peak system throughput".
    std::string label;
    /// "4 concurrent requests, 1K context".
    std::string detail;
};

/// A row of highlight cards.
struct highlights {
    /// The cards.
    std::vector<highlight> cards;
};

/// How a note is shown.
enum class note_kind : std::uint8_t {
    /// Neutral information.
    info,
    /// Something the reader must keep in mind (simulated data, flagged checks).
    warning,
};

/// A boxed note.
struct note {
    /// Information or warning.
    note_kind kind = note_kind::info;
    /// The text, with optional `**bold**` spans.
    std::string text;
};

/// One block of a document.
using block = std::variant<heading, paragraph, bullet_list, table, figure, highlights, note>;

/// A whole report.
struct document {
    /// Title (the first heading, and the HTML page title).
    std::string title;
    /// A line under the title ("GLM-4.7-Flash on 1x H200 SXM").
    std::string subtitle;
    /// When not empty, shown on every page and beside every section heading: e.g.
    /// "SIMULATED — virtual-time emulator, not a measurement".
    std::string watermark;
    /// The short form of the watermark beside section headings ("SIMULATED", "EMULATED").
    std::string badge = "SIMULATED";
    /// The blocks, in order.
    std::vector<block> blocks;

    /// Appends a block; returns *this.
    template <class Block>
    document& add(Block b) {
        blocks.emplace_back(std::move(b));
        return *this;
    }
};

/**
 * The data behind a chart as a table: one row per x value (increasing), one column per series,
 * each value written in full with its unit ("-" where a series has no point). Reporters that
 * cannot draw (Markdown) show this table; the HTML one offers it beside the drawing.
 */
[[nodiscard]] inline table chart_data_table(const line_chart& c) {
    table t;
    t.header.push_back(c.x.label);
    t.alignment.push_back(align::right);
    std::vector<double> xs;
    for (const chart_series& s : c.series) {
        t.header.push_back(s.name);
        t.alignment.push_back(align::right);
        for (const chart_point& p : s.points)
            xs.push_back(p.x);
    }
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    // Each series' points ordered by x (the last of equal x last), walked beside `xs`: the
    // table takes O(n log n) for n points.
    std::vector<std::vector<std::size_t>> order;
    for (const chart_series& s : c.series) {
        std::vector<std::size_t>& o = order.emplace_back();
        o.reserve(s.points.size());
        for (std::size_t i = 0; i < s.points.size(); ++i)
            if (!std::isnan(s.points[i].x)) // a point at no x is in no row
                o.push_back(i);
        std::stable_sort(o.begin(), o.end(), [&](std::size_t a, std::size_t b) {
            return s.points[a].x < s.points[b].x;
        });
    }
    std::vector<std::size_t> next(c.series.size(), 0);
    t.rows.reserve(xs.size());
    for (double x : xs) {
        std::vector<std::string> row{c.x.style == value_style::tokens
                                         ? format_tokens_short(static_cast<std::uint64_t>(x))
                                         : format_value(x, c.x.style)};
        for (std::size_t k = 0; k < c.series.size(); ++k) {
            const std::vector<chart_point>& points = c.series[k].points;
            const std::vector<std::size_t>& o = order[k];
            std::size_t& i = next[k];
            while (i < o.size() && points[o[i]].x < x)
                ++i;
            std::string cell = "-";
            // Of the points at x, the last one given wins.
            while (i < o.size() && points[o[i]].x == x) {
                cell = format_value(points[o[i]].y, c.y.style);
                ++i;
            }
            row.push_back(std::move(cell));
        }
        t.rows.push_back(std::move(row));
    }
    std::string caption = c.y.label + " by " + c.x.label + ".";
    for (const threshold_line& l : c.thresholds)
        caption += " Dashed line: " + l.label + ".";
    for (const vertical_marker& m : c.markers)
        caption += " Marker: " + m.label + ".";
    t.caption = std::move(caption);
    return t;
}

} // namespace llmcap::report
