#pragma once

#include <llmcap/core/clock.hpp>

#include <charconv>     // from_chars
#include <chrono>       // duration
#include <cstdint>      // uint32_t
#include <optional>     // optional
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <system_error> // errc

namespace llmcap::emulator {

/**
 * Faults the emulator injects into one request, for reliability tests. Several may be
 * combined; a request with none behaves normally. Durations are wall-clock time (they are
 * meant for a client's timeouts), token positions count output tokens already streamed.
 *
 * Text form (the `x-llmcap-fault` request header and the server's `--fault` option): items
 * separated by commas, spaces ignored:
 *
 * | item              | effect                                                             |
 * |-------------------|--------------------------------------------------------------------|
 * | `refuse`          | reset the connection (TCP RST) without a response                  |
 * | `status=N`        | answer HTTP N (429, 500, 503, or any 4xx/5xx) with an error body   |
 * | `stall_first=MS`  | hold the request MS ms before it reaches the engine (headers sent) |
 * | `stall_mid=MS@K`  | after K tokens, send nothing for MS ms (0: until the client leaves) |
 * | `cut@K`           | after K tokens, close the connection without ending the stream     |
 * | `malformed@K`     | after K tokens, send one event whose JSON is cut short              |
 * | `error_event@K`   | after K tokens, send an error event and `[DONE]`, ending the stream |
 * | `slow_headers=MS` | send the response headers one byte at a time over MS ms            |
 * | `overlong=N`      | ignore `max_tokens`: stream N times as many tokens (N ≥ 2)          |
 *
 * `@K` may be left out: K is then 1 (the fault strikes after the first token, so the time to
 * first token is defined). Example: `x-llmcap-fault: stall_first=200, cut@10`.
 */
struct fault {
    /// Reset the connection without answering.
    bool refuse = false;
    /// Answer with this HTTP status and an OpenAI error body; 0 for none.
    int status = 0;
    /// Wall time the request is held before it reaches the engine.
    duration stall_first{};
    /// Tokens streamed before a mid-stream stall; empty for no stall.
    std::optional<std::uint32_t> stall_mid_after;
    /// Length of the mid-stream stall (wall time); zero stalls until the client disconnects.
    duration stall_mid{};
    /// Tokens streamed before the connection is cut; empty for no cut.
    std::optional<std::uint32_t> cut_after;
    /// Tokens streamed before a malformed event; empty for none.
    std::optional<std::uint32_t> malformed_after;
    /// Tokens streamed before an in-stream error event; empty for none.
    std::optional<std::uint32_t> error_after;
    /// Wall time over which the response headers trickle out; zero for a normal write.
    duration slow_headers{};
    /// Ignore `max_tokens` and stream this many times as many tokens (a server that does not
    /// honour the limit); 0 for none.
    std::uint32_t overlong = 0;

    /// True when any fault is set.
    [[nodiscard]] bool any() const noexcept {
        return refuse || status != 0 || stall_first != duration{} || stall_mid_after || cut_after ||
               malformed_after || error_after || slow_headers != duration{} || overlong != 0;
    }

    /// Adds every fault set in `o` to this one (o's values win where both set one).
    void merge(const fault& o) {
        refuse = refuse || o.refuse;
        if (o.status != 0)
            status = o.status;
        if (o.stall_first != duration{})
            stall_first = o.stall_first;
        if (o.stall_mid_after) {
            stall_mid_after = o.stall_mid_after;
            stall_mid = o.stall_mid;
        }
        if (o.cut_after)
            cut_after = o.cut_after;
        if (o.malformed_after)
            malformed_after = o.malformed_after;
        if (o.error_after)
            error_after = o.error_after;
        if (o.slow_headers != duration{})
            slow_headers = o.slow_headers;
        if (o.overlong != 0)
            overlong = o.overlong;
    }
};

namespace detail {

[[nodiscard]] inline std::string_view fault_trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

[[nodiscard]] inline bool fault_parse_ms(std::string_view s, duration& out) noexcept {
    double ms = 0.0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
    if (ec != std::errc{} || end != s.data() + s.size() || !(ms >= 0.0) || ms > 1e9)
        return false;
    // Rounded to the nearest nanosecond: from_seconds(ms / 1000.0) would truncate 2010 ms to
    // 2009.999999 ms, and the text form would read back as 2009.
    out = std::chrono::round<duration>(std::chrono::duration<double, std::milli>(ms));
    return true;
}

[[nodiscard]] inline bool fault_parse_u32(std::string_view s, std::uint32_t& out) noexcept {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
}

[[nodiscard]] inline std::string fault_ms_text(duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

} // namespace detail

/**
 * Parses the text form of a set of faults (see fault). Returns the faults, or nothing with
 * `error` naming the item that could not be read, e.g. `fault: unknown item "cutt@3"`.
 * An empty text gives no fault.
 */
[[nodiscard]] inline std::optional<fault> parse_fault(std::string_view text, std::string& error) {
    fault f;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const std::string_view item = detail::fault_trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        if (item.empty())
            continue;
        std::string_view name = item;
        std::string_view value;
        std::optional<std::uint32_t> at;
        if (const std::size_t a = name.find('@'); a != std::string_view::npos) {
            std::uint32_t k = 0;
            if (!detail::fault_parse_u32(name.substr(a + 1), k)) {
                error = "fault: bad token position in \"" + std::string(item) + "\"";
                return std::nullopt;
            }
            at = k;
            name = name.substr(0, a);
        }
        if (const std::size_t eq = name.find('='); eq != std::string_view::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const auto bad = [&] {
            error = "fault: bad value in \"" + std::string(item) + "\"";
            return std::nullopt;
        };
        const bool takes_position =
            name == "stall_mid" || name == "cut" || name == "malformed" || name == "error_event";
        const bool known = takes_position || name == "refuse" || name == "status" ||
                           name == "stall_first" || name == "slow_headers" || name == "overlong";
        if (!known) {
            error = "fault: unknown item \"" + std::string(item) + "\"";
            return std::nullopt;
        }
        if (at && !takes_position) {
            error = "fault: \"" + std::string(name) + "\" takes no token position";
            return std::nullopt;
        }
        const std::uint32_t k = at.value_or(1);
        if (name == "refuse" && value.empty()) {
            f.refuse = true;
        } else if (name == "status") {
            std::uint32_t s = 0;
            if (!detail::fault_parse_u32(value, s) || s < 400 || s > 599)
                return bad();
            f.status = static_cast<int>(s);
        } else if (name == "stall_first") {
            if (!detail::fault_parse_ms(value, f.stall_first))
                return bad();
        } else if (name == "stall_mid") {
            if (!detail::fault_parse_ms(value, f.stall_mid))
                return bad();
            f.stall_mid_after = k;
        } else if (name == "cut" && value.empty()) {
            f.cut_after = k;
        } else if (name == "malformed" && value.empty()) {
            f.malformed_after = k;
        } else if (name == "error_event" && value.empty()) {
            f.error_after = k;
        } else if (name == "slow_headers") {
            if (!detail::fault_parse_ms(value, f.slow_headers))
                return bad();
        } else if (name == "overlong") {
            if (!detail::fault_parse_u32(value, f.overlong) || f.overlong < 2 || f.overlong > 10000)
                return bad();
        } else {
            error = "fault: unknown item \"" + std::string(item) + "\"";
            return std::nullopt;
        }
    }
    return f;
}

/// The text form of `f`, readable by parse_fault (durations rounded to whole milliseconds).
[[nodiscard]] inline std::string to_string(const fault& f) {
    std::string s;
    const auto add = [&](const std::string& item) {
        if (!s.empty())
            s += ',';
        s += item;
    };
    if (f.refuse)
        add("refuse");
    if (f.status != 0)
        add("status=" + std::to_string(f.status));
    if (f.stall_first != duration{})
        add("stall_first=" + detail::fault_ms_text(f.stall_first));
    if (f.stall_mid_after)
        add("stall_mid=" + detail::fault_ms_text(f.stall_mid) + "@" +
            std::to_string(*f.stall_mid_after));
    if (f.cut_after)
        add("cut@" + std::to_string(*f.cut_after));
    if (f.malformed_after)
        add("malformed@" + std::to_string(*f.malformed_after));
    if (f.error_after)
        add("error_event@" + std::to_string(*f.error_after));
    if (f.slow_headers != duration{})
        add("slow_headers=" + detail::fault_ms_text(f.slow_headers));
    if (f.overlong != 0)
        add("overlong=" + std::to_string(f.overlong));
    return s;
}

} // namespace llmcap::emulator
