#pragma once

#include <llmcap/report/format.hpp>

#include <algorithm>   // min, max, min_element, max_element
#include <array>       // array
#include <cmath>       // ceil, floor, isfinite, log10, pow, round
#include <cstddef>     // size_t
#include <cstdint>     // uint8_t, uint64_t
#include <optional>    // optional
#include <string>      // string
#include <string_view> // string_view
#include <utility>     // move
#include <vector>      // vector

/**
 * Line charts as SVG text: several series, linear or logarithmic axes with "nice" ticks, dashed
 * horizontal threshold lines, dashed vertical markers, point markers whose SVG `<title>` gives
 * the exact value on hover, and a legend. Pure functions of their input: the same chart always
 * gives the same bytes, so reports built from saved results are reproducible and tests compare
 * text. Attributes are inline (no stylesheet needed) and colours are paired with marker shapes
 * so series stay apart in grey print.
 */
namespace llmcap::report {

/// How an axis maps values to positions.
enum class axis_scale : std::uint8_t {
    /// Equal distances for equal differences.
    linear,
    /// Equal distances for equal ratios; values ≤ 0 cannot be drawn and are skipped.
    log,
};

/// How a value is written in tick labels and tooltips.
enum class value_style : std::uint8_t {
    /// A plain number (tick labels) or three significant digits (tooltips).
    number,
    /// A token count in short form: 1K, 8K, 200K.
    tokens,
    /// Seconds, written with a unit chosen for the size ("66 ms", "1.6 s") in tooltips.
    seconds,
    /// Tokens per second ("458.3 tok/s" in tooltips).
    tokens_per_s,
    /// A percentage already multiplied by 100 ("72.5%" in tooltips).
    percent,
    /// Watts.
    watts,
    /// Requests in flight (an integer).
    requests,
};

/// One axis of a chart.
struct axis {
    /// The label, unit included: "Context length (tokens)", "TTFT (s)".
    std::string label;
    /// Linear or logarithmic.
    axis_scale scale = axis_scale::linear;
    /// How values on this axis are written.
    value_style style = value_style::number;
    /// Tick positions to use instead of computed ones (e.g. the measured context lengths).
    std::vector<double> ticks;
    /// Forces the lower end of the axis.
    std::optional<double> min;
    /// Forces the upper end of the axis.
    std::optional<double> max;
    /// A linear axis starts at 0 when every value is positive (bars of growth read honestly).
    bool include_zero = true;
};

/// An axis with a label, scale and value style, the rest defaulted.
[[nodiscard]] inline axis make_axis(std::string label, axis_scale scale = axis_scale::linear,
                                    value_style style = value_style::number) {
    axis a;
    a.label = std::move(label);
    a.scale = scale;
    a.style = style;
    return a;
}

/// One data point.
struct chart_point {
    /// Horizontal value, in the x axis' unit.
    double x = 0.0;
    /// Vertical value, in the y axis' unit.
    double y = 0.0;
};

/// A named line of points, drawn in order.
struct chart_series {
    /// Legend text, e.g. "4 concurrent".
    std::string name;
    /// The points; non-finite values (and non-positive ones on a log axis) are skipped.
    std::vector<chart_point> points;
};

/// A dashed horizontal line at a y value, e.g. a use case's threshold.
struct threshold_line {
    /// Where, in the y axis' unit.
    double y = 0.0;
    /// Label written at the line's right end, e.g. "threshold 8 s".
    std::string label;
};

/// A dashed vertical line at an x value, e.g. the capacity of a use case.
struct vertical_marker {
    /// Where, in the x axis' unit.
    double x = 0.0;
    /// Label written at the line's top, e.g. "capacity 12".
    std::string label;
};

/// A line chart.
struct line_chart {
    /// Identifier, unique within a page: the SVG element's `id` (letters, digits, '-').
    std::string id;
    /// Title drawn above the plot and used as the SVG's accessible name.
    std::string title;
    /// Horizontal axis.
    axis x;
    /// Vertical axis.
    axis y;
    /// The lines.
    std::vector<chart_series> series;
    /// Dashed horizontal lines.
    std::vector<threshold_line> thresholds;
    /// Dashed vertical lines.
    std::vector<vertical_marker> markers;
    /// Width of the drawing, px.
    int width = 760;
    /// Height of the drawing, px.
    int height = 380;
};

/// Computed ticks of an axis: its drawn range and the tick positions within it.
struct tick_set {
    /// Lower end of the drawn range.
    double min = 0.0;
    /// Upper end of the drawn range.
    double max = 1.0;
    /// Distance between ticks (linear), or 0 for log ticks.
    double step = 0.0;
    /// Tick positions, increasing.
    std::vector<double> ticks;
};

/// Heckbert's "nice number": the 1, 2, 5 or 10 times a power of ten closest to `x` (> 0); with
/// `round` false, the smallest such number ≥ x.
[[nodiscard]] inline double nice_number(double x, bool round) {
    const double exponent = std::floor(std::log10(x));
    const double power = std::pow(10.0, exponent);
    const double f = x / power;
    double nice = 10.0;
    if (round)
        nice = f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0;
    else
        nice = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0;
    return nice * power;
}

namespace detail {

/// Rounds away floating-point noise from a tick (0.30000000000000004 → 0.3).
[[nodiscard]] inline double clean_tick(double v, double step) {
    const double scale = std::pow(10.0, std::max(0.0, -std::floor(std::log10(step))) + 2.0);
    const double r = std::round(v * scale) / scale;
    return r == 0.0 ? 0.0 : r;
}

} // namespace detail

/**
 * Linear ticks for data in [lo, hi] with about `target` ticks (≥ 2): step = nice(nice(hi − lo,
 * false) ÷ (target − 1), true), the range widened to multiples of the step. [0, 458.3] gives
 * 0, 100, …, 500; [0, 1] gives 0, 0.2, …, 1. A degenerate range is widened around its value.
 */
[[nodiscard]] inline tick_set linear_ticks(double lo, double hi, int target = 5) {
    if (!(hi > lo)) {
        const double pad = lo == 0.0 ? 1.0 : std::abs(lo) * 0.5;
        lo -= pad;
        hi += pad;
    }
    const double range = nice_number(hi - lo, false);
    const double step = nice_number(range / static_cast<double>(std::max(target, 2) - 1), true);
    tick_set t;
    t.step = step;
    t.min = detail::clean_tick(std::floor(lo / step + 1e-9) * step, step);
    t.max = detail::clean_tick(std::ceil(hi / step - 1e-9) * step, step);
    const auto n = static_cast<std::size_t>(std::round((t.max - t.min) / step));
    for (std::size_t i = 0; i <= n; ++i)
        t.ticks.push_back(detail::clean_tick(t.min + static_cast<double>(i) * step, step));
    return t;
}

/**
 * Logarithmic ticks for data in [lo, hi] (0 < lo ≤ hi): the range widened to whole decades,
 * a tick at every power of ten, and at 2× and 5× each power when the range spans at most two
 * decades. [0.066, 35.9] gives 0.01, 0.1, 1, 10, 100; [15.2, 196.7] gives 10, 20, 50, 100,
 * 200, 500, 1000.
 */
[[nodiscard]] inline tick_set log_ticks(double lo, double hi) {
    int dmin = static_cast<int>(std::floor(std::log10(lo) + 1e-12));
    int dmax = static_cast<int>(std::ceil(std::log10(hi) - 1e-12));
    if (dmax <= dmin)
        dmax = dmin + 1;
    tick_set t;
    t.min = std::pow(10.0, dmin);
    t.max = std::pow(10.0, dmax);
    const bool fine = dmax - dmin <= 2;
    for (int d = dmin; d <= dmax; ++d) {
        const double p = std::pow(10.0, d);
        t.ticks.push_back(p);
        if (fine && d < dmax) {
            t.ticks.push_back(2.0 * p);
            t.ticks.push_back(5.0 * p);
        }
    }
    return t;
}

/// True when values spread widely enough that a log axis reads better: every value positive
/// and the largest at least `ratio` times the smallest.
[[nodiscard]] inline bool needs_log_scale(const std::vector<double>& values, double ratio = 30.0) {
    double lo = 0.0;
    double hi = 0.0;
    bool any = false;
    for (double v : values) {
        if (!std::isfinite(v))
            continue;
        if (v <= 0.0)
            return false;
        lo = any ? std::min(lo, v) : v;
        hi = any ? std::max(hi, v) : v;
        any = true;
    }
    return any && hi >= ratio * lo;
}

/// A tick label: short token counts, or a number with the decimals its step needs.
[[nodiscard]] inline std::string format_tick(double v, value_style style, double step = 0.0) {
    if (style == value_style::tokens && v >= 1.0 && std::abs(v - std::round(v)) < 1e-9)
        return format_tokens_short(static_cast<std::uint64_t>(std::round(v)));
    int decimals = 0;
    const double ref = step > 0.0 ? step : std::abs(v);
    if (ref > 0.0 && ref < 1.0)
        decimals = static_cast<int>(std::ceil(-std::log10(ref) - 1e-9));
    // A step such as 0.25 or 2.5 needs one more digit than its magnitude says.
    if (step > 0.0) {
        const double scaled = step * std::pow(10.0, decimals);
        if (std::abs(scaled - std::round(scaled)) > 1e-9)
            ++decimals;
    }
    return group_thousands(format_fixed(v, decimals));
}

/// A value written in full for a tooltip or a table.
[[nodiscard]] inline std::string format_value(double v, value_style style) {
    switch (style) {
    case value_style::tokens:
        return format_count(static_cast<std::uint64_t>(std::max(0.0, std::round(v)))) + " tokens";
    case value_style::seconds:
        return format_duration_s(v);
    case value_style::tokens_per_s:
        return format_rate(v);
    case value_style::percent:
        return format_fixed(v, 1) + "%";
    case value_style::watts:
        return format_watts(v);
    case value_style::requests:
        return format_fixed(v, 0);
    case value_style::number:
        break;
    }
    return format_significant(v, 3);
}

/// Escapes text for XML and HTML content and attribute values.
[[nodiscard]] inline std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

/// Colours of the series, in order (Okabe–Ito, distinguishable with colour-vision deficiency).
inline constexpr std::array<std::string_view, 7> series_colours = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};

namespace detail {

/// One axis mapped to a pixel interval.
struct axis_map {
    tick_set ticks;
    axis_scale scale = axis_scale::linear;
    double from_px = 0.0;
    double to_px = 1.0;

    [[nodiscard]] double t(double v) const {
        return scale == axis_scale::log ? std::log10(v) : v;
    }
    [[nodiscard]] double operator()(double v) const {
        const double a = t(ticks.min);
        const double b = t(ticks.max);
        const double f = b > a ? (t(v) - a) / (b - a) : 0.5;
        return from_px + f * (to_px - from_px);
    }
    [[nodiscard]] bool drawable(double v) const {
        return std::isfinite(v) && (scale == axis_scale::linear || v > 0.0);
    }
};

/// Pixel coordinates with one decimal.
[[nodiscard]] inline std::string px(double v) {
    return format_fixed(v, 1);
}

/// The drawn range and ticks of an axis holding `values`.
[[nodiscard]] inline tick_set ticks_for(const axis& a, std::vector<double> values) {
    std::vector<double> v;
    for (double x : values)
        if (std::isfinite(x) && (a.scale == axis_scale::linear || x > 0.0))
            v.push_back(x);
    for (double x : a.ticks)
        if (std::isfinite(x) && (a.scale == axis_scale::linear || x > 0.0))
            v.push_back(x);
    double lo = v.empty() ? (a.scale == axis_scale::log ? 1.0 : 0.0)
                          : *std::min_element(v.begin(), v.end());
    double hi = v.empty() ? (a.scale == axis_scale::log ? 10.0 : 1.0)
                          : *std::max_element(v.begin(), v.end());
    if (a.min && (a.scale == axis_scale::linear || *a.min > 0.0))
        lo = *a.min;
    if (a.max)
        hi = *a.max;
    if (a.scale == axis_scale::linear && a.include_zero && !a.min && lo > 0.0)
        lo = 0.0;
    if (!a.ticks.empty()) {
        tick_set t;
        t.min = lo;
        t.max = hi > lo ? hi : lo + 1.0;
        if (a.scale == axis_scale::log) {
            // Half a step of room on both ends so end points do not sit on the frame.
            const double pad = hi > lo ? std::pow(hi / lo, 0.04) : 2.0;
            t.min = lo / pad;
            t.max = (hi > lo ? hi : lo) * pad;
        } else {
            const double pad = hi > lo ? (hi - lo) * 0.04 : 1.0;
            t.min = lo - pad;
            t.max = hi + pad;
        }
        for (double x : a.ticks)
            t.ticks.push_back(x);
        std::sort(t.ticks.begin(), t.ticks.end());
        return t;
    }
    if (a.scale == axis_scale::log)
        return log_ticks(lo, hi);
    return linear_ticks(lo, hi);
}

/// Marker shape of series i at (x, y): circle, square, triangle, diamond, in turn.
[[nodiscard]] inline std::string marker(std::size_t i, double x, double y, std::string_view colour,
                                        const std::string& tooltip) {
    std::string shape;
    const std::string fill = " fill=\"" + std::string(colour) + "\"";
    switch (i % 4) {
    case 0:
        shape = "<circle cx=\"" + px(x) + "\" cy=\"" + px(y) + "\" r=\"4\"" + fill + ">";
        return shape + "<title>" + xml_escape(tooltip) + "</title></circle>";
    case 1:
        shape = "<rect x=\"" + px(x - 3.5) + "\" y=\"" + px(y - 3.5) +
                "\" width=\"7\" height=\"7\"" + fill + ">";
        return shape + "<title>" + xml_escape(tooltip) + "</title></rect>";
    case 2:
        shape = "<polygon points=\"" + px(x) + "," + px(y - 4.5) + " " + px(x + 4.5) + "," +
                px(y + 3.5) + " " + px(x - 4.5) + "," + px(y + 3.5) + "\"" + fill + ">";
        return shape + "<title>" + xml_escape(tooltip) + "</title></polygon>";
    default:
        shape = "<polygon points=\"" + px(x) + "," + px(y - 5) + " " + px(x + 5) + "," + px(y) +
                " " + px(x) + "," + px(y + 5) + " " + px(x - 5) + "," + px(y) + "\"" + fill + ">";
        return shape + "<title>" + xml_escape(tooltip) + "</title></polygon>";
    }
}

} // namespace detail

/**
 * The chart as one `<svg>` element (no XML declaration), ready to inline in HTML or save as
 * a file. Every drawn point has a `<title>` child: "series — x label: value, y label: value".
 * Deterministic: coordinates are written with one decimal, numbers through std::to_chars.
 */
[[nodiscard]] inline std::string render_svg(const line_chart& c) {
    constexpr double left = 78.0;
    constexpr double right = 180.0;
    constexpr double top = 40.0;
    constexpr double bottom = 58.0;
    const double w = static_cast<double>(c.width);
    const double h = static_cast<double>(c.height);

    std::vector<double> xs;
    std::vector<double> ys;
    for (const chart_series& s : c.series)
        for (const chart_point& p : s.points) {
            xs.push_back(p.x);
            ys.push_back(p.y);
        }
    for (const threshold_line& t : c.thresholds)
        ys.push_back(t.y);
    for (const vertical_marker& m : c.markers)
        xs.push_back(m.x);

    detail::axis_map mx{detail::ticks_for(c.x, xs), c.x.scale, left, w - right};
    detail::axis_map my{detail::ticks_for(c.y, ys), c.y.scale, h - bottom, top};

    std::string o;
    o += "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + xml_escape(c.id) +
         "\" class=\"chart\" viewBox=\"0 0 " + std::to_string(c.width) + " " +
         std::to_string(c.height) + "\" width=\"" + std::to_string(c.width) + "\" height=\"" +
         std::to_string(c.height) +
         "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" role=\"img\">\n";
    o += "<title>" + xml_escape(c.title) + "</title>\n";
    o += "<rect x=\"0\" y=\"0\" width=\"" + std::to_string(c.width) + "\" height=\"" +
         std::to_string(c.height) + "\" fill=\"#ffffff\"/>\n";
    o += "<text x=\"" + detail::px(left) + "\" y=\"22\" font-size=\"14\" font-weight=\"bold\" " +
         "fill=\"#111111\">" + xml_escape(c.title) + "</text>\n";

    // Grid and tick labels.
    o += "<g class=\"grid\" stroke=\"#dddddd\" stroke-width=\"1\">\n";
    for (double t : my.ticks.ticks) {
        const double y = my(t);
        o += "<line x1=\"" + detail::px(left) + "\" y1=\"" + detail::px(y) + "\" x2=\"" +
             detail::px(w - right) + "\" y2=\"" + detail::px(y) + "\"/>\n";
    }
    for (double t : mx.ticks.ticks) {
        const double x = mx(t);
        o += "<line x1=\"" + detail::px(x) + "\" y1=\"" + detail::px(top) + "\" x2=\"" +
             detail::px(x) + "\" y2=\"" + detail::px(h - bottom) + "\"/>\n";
    }
    o += "</g>\n";
    o += "<rect x=\"" + detail::px(left) + "\" y=\"" + detail::px(top) + "\" width=\"" +
         detail::px(w - right - left) + "\" height=\"" + detail::px(h - bottom - top) +
         "\" fill=\"none\" stroke=\"#555555\" stroke-width=\"1\"/>\n";
    o += "<g class=\"ticks\" fill=\"#333333\">\n";
    for (double t : my.ticks.ticks)
        o += "<text x=\"" + detail::px(left - 6) + "\" y=\"" + detail::px(my(t) + 4) +
             "\" text-anchor=\"end\">" + xml_escape(format_tick(t, c.y.style, my.ticks.step)) +
             "</text>\n";
    // x labels left to right, each skipped when it would touch the one before (the grid line
    // stays): close context lengths on a log axis (96K, 128K) would overprint.
    double last_right = -1e9;
    for (double t : mx.ticks.ticks) {
        const std::string label = format_tick(t, c.x.style, mx.ticks.step);
        const double half = 3.5 * static_cast<double>(label.size()) + 2.0;
        if (mx(t) - half < last_right)
            continue;
        last_right = mx(t) + half;
        o += "<text x=\"" + detail::px(mx(t)) + "\" y=\"" + detail::px(h - bottom + 16) +
             "\" text-anchor=\"middle\">" + xml_escape(label) + "</text>\n";
    }
    o += "</g>\n";
    // Axis labels.
    o += "<text x=\"" + detail::px((left + w - right) / 2) + "\" y=\"" + detail::px(h - 14) +
         "\" text-anchor=\"middle\" fill=\"#111111\">" + xml_escape(c.x.label) +
         (c.x.scale == axis_scale::log ? " (log scale)" : "") + "</text>\n";
    o += "<text transform=\"translate(16," + detail::px((top + h - bottom) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\" fill=\"#111111\">" + xml_escape(c.y.label) +
         (c.y.scale == axis_scale::log ? " (log scale)" : "") + "</text>\n";

    // Thresholds and markers.
    for (const threshold_line& t : c.thresholds) {
        if (!my.drawable(t.y))
            continue;
        const double y = my(t.y);
        o += "<g class=\"threshold\"><line x1=\"" + detail::px(left) + "\" y1=\"" + detail::px(y) +
             "\" x2=\"" + detail::px(w - right) + "\" y2=\"" + detail::px(y) +
             "\" stroke=\"#B00020\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"><title>" +
             xml_escape(t.label) + "</title></line>";
        o += "<text x=\"" + detail::px(w - right - 4) + "\" y=\"" + detail::px(y - 5) +
             "\" text-anchor=\"end\" fill=\"#B00020\">" + xml_escape(t.label) + "</text></g>\n";
    }
    for (const vertical_marker& m : c.markers) {
        if (!mx.drawable(m.x))
            continue;
        const double x = mx(m.x);
        o += "<g class=\"marker\"><line x1=\"" + detail::px(x) + "\" y1=\"" + detail::px(top) +
             "\" x2=\"" + detail::px(x) + "\" y2=\"" + detail::px(h - bottom) +
             "\" stroke=\"#333333\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"><title>" +
             xml_escape(m.label) + "</title></line>";
        o += "<text x=\"" + detail::px(x + 4) + "\" y=\"" + detail::px(top + 14) +
             "\" fill=\"#333333\">" + xml_escape(m.label) + "</text></g>\n";
    }

    // Series.
    for (std::size_t i = 0; i < c.series.size(); ++i) {
        const chart_series& s = c.series[i];
        const std::string_view colour = series_colours[i % series_colours.size()];
        o += "<g class=\"series\" data-series=\"" + xml_escape(s.name) + "\">";
        std::string points;
        std::string marks;
        for (const chart_point& p : s.points) {
            if (!mx.drawable(p.x) || !my.drawable(p.y))
                continue;
            const double x = mx(p.x);
            const double y = my(p.y);
            if (!points.empty())
                points += ' ';
            points += detail::px(x) + "," + detail::px(y);
            const std::string tip = s.name + " — " + c.x.label + ": " +
                                    format_value(p.x, c.x.style) + ", " + c.y.label + ": " +
                                    format_value(p.y, c.y.style);
            marks += detail::marker(i, x, y, colour, tip);
        }
        if (points.find(' ') != std::string::npos)
            o += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" +
                 std::string(colour) + "\" stroke-width=\"2\"/>";
        o += marks + "</g>\n";
    }

    // Legend.
    double ly = top + 8;
    const double lx = w - right + 16;
    o += "<g class=\"legend\">\n";
    for (std::size_t i = 0; i < c.series.size(); ++i) {
        const std::string_view colour = series_colours[i % series_colours.size()];
        o += "<line x1=\"" + detail::px(lx) + "\" y1=\"" + detail::px(ly) + "\" x2=\"" +
             detail::px(lx + 22) + "\" y2=\"" + detail::px(ly) + "\" stroke=\"" +
             std::string(colour) + "\" stroke-width=\"2\"/>";
        o += detail::marker(i, lx + 11, ly, colour, c.series[i].name);
        o += "<text x=\"" + detail::px(lx + 28) + "\" y=\"" + detail::px(ly + 4) +
             "\" fill=\"#111111\">" + xml_escape(c.series[i].name) + "</text>\n";
        ly += 18;
    }
    o += "</g>\n</svg>\n";
    return o;
}

} // namespace llmcap::report
