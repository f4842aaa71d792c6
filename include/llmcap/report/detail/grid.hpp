#pragma once

#include <llmcap/analysis/catalogue.hpp>
#include <llmcap/analysis/metric.hpp>
#include <llmcap/analysis/roofline.hpp>
#include <llmcap/prometheus/server_cell_metrics.hpp>
#include <llmcap/report/format.hpp>
#include <llmcap/report/svg_chart.hpp>
#include <llmcap/sweep/result.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>        // any_of, find, none_of, sort, stable_sort, unique
#include <cctype>           // tolower, toupper
#include <cmath>            // isfinite
#include <cstdint>          // uint32_t, uint64_t
#include <initializer_list> // initializer_list
#include <map>              // map
#include <optional>         // optional
#include <string>           // string
#include <utility>          // pair
#include <vector>           // vector

namespace llmcap::report::detail {

/// Lower-case copy.
[[nodiscard]] inline std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// True when `haystack` contains `needle`, ignoring case.
[[nodiscard]] inline bool contains_nocase(const std::string& haystack, const std::string& needle) {
    return lower(haystack).find(lower(needle)) != std::string::npos;
}

/// The open-loop arrival rate in a cell's key, when the key has one; empty for a closed loop
/// (and for a key type without rates).
template <class Key>
[[nodiscard]] std::optional<double> rate_of(const Key& key) {
    if constexpr (requires { key.rate_per_s; })
        return key.rate_per_s;
    else
        return std::nullopt;
}

/**
 * What one row or line of the report stands for: a scenario, the cells that share a name,
 * a prompt length and an output length, at every load measured. Two cells that differ in any
 * of these are different scenarios, never one row.
 */
struct scenario {
    /// The cell's name ("chat", "reasoning"); empty for a grid cell.
    std::string name;
    /// Prompt length asked for, tokens (0 for a fixed prompt).
    std::uint32_t context_tokens = 0;
    /// Output length asked for, tokens.
    std::uint32_t output_tokens = 0;

    /// True when `c` belongs to this scenario.
    [[nodiscard]] bool holds(const sweep::cell_result& c) const {
        return c.key.use_case == name && c.key.context_tokens == context_tokens &&
               c.key.output_tokens == output_tokens;
    }

    /// The scenario as tables and legends name it: "reasoning 1K/8K" (prompt/output tokens),
    /// "chat 256 out" for a fixed prompt, "32K/1K" for an unnamed grid cell.
    [[nodiscard]] std::string label() const {
        if (context_tokens == 0 && output_tokens == 0 && !name.empty())
            return name; // a mix or a trace: its requests' lengths vary
        const std::string lengths =
            context_tokens == 0
                ? format_tokens_short(output_tokens) + " out"
                : format_tokens_short(context_tokens) + "/" + format_tokens_short(output_tokens);
        return name.empty() ? lengths : name + " " + lengths;
    }
};

/**
 * The cells a sweep measured outside its capacity searches, one per cell key (scenario and
 * load): the grid and the named cells of the plan.
 *
 * When every one of them is an unnamed grid cell of one output length at a fixed concurrency,
 * a scenario is a context length and the report lays the cells out as context length against
 * concurrency (by_context). Otherwise it gives each scenario its own row or line, with the load
 * along the other axis.
 */
struct grid {
    /// The cells, in the order measured; when a sweep has no cell outside its searches, every
    /// cell.
    std::vector<const sweep::cell_result*> cells;
    /// Context lengths measured, increasing.
    std::vector<std::uint32_t> contexts;
    /// Concurrency levels measured, increasing.
    std::vector<std::uint32_t> concurrencies;
    /// Output length asked for by most cells.
    std::uint32_t output_tokens = 0;
    /// The scenarios, in the order first measured.
    std::vector<scenario> scenarios;
    /// True when the cells differ only in context length and concurrency (see above).
    bool by_context = true;
    /// True when some cell ran an open loop (its load is an arrival rate).
    bool any_rate = false;

    /// The cell at (context, concurrency), or nullptr (by_context).
    [[nodiscard]] const sweep::cell_result* at(std::uint32_t context,
                                               std::uint32_t concurrency) const {
        for (const sweep::cell_result* c : cells)
            if (c->key.context_tokens == context && c->key.concurrency == concurrency)
                return c;
        return nullptr;
    }

    /// The closed-loop cell of scenario `s` at `concurrency`, or nullptr.
    [[nodiscard]] const sweep::cell_result* at(const scenario& s, std::uint32_t concurrency) const {
        for (const sweep::cell_result* c : cells)
            if (s.holds(*c) && c->key.concurrency == concurrency && !rate_of(c->key))
                return c;
        return nullptr;
    }

    /// The cells of scenario `s`, by increasing load (concurrency, then arrival rate).
    [[nodiscard]] std::vector<const sweep::cell_result*> of(const scenario& s) const {
        std::vector<const sweep::cell_result*> out;
        for (const sweep::cell_result* c : cells)
            if (s.holds(*c))
                out.push_back(c);
        std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
            return std::pair{a->key.concurrency, rate_of(a->key)} <
                   std::pair{b->key.concurrency, rate_of(b->key)};
        });
        return out;
    }

    /// Every cell, scenario by scenario, each by increasing load.
    [[nodiscard]] std::vector<const sweep::cell_result*> ordered() const {
        std::vector<const sweep::cell_result*> out;
        for (const scenario& s : scenarios)
            for (const sweep::cell_result* c : of(s))
                out.push_back(c);
        return out;
    }

    /// The scenario of `c`, one of `scenarios`.
    [[nodiscard]] scenario scenario_of(const sweep::cell_result& c) const {
        return {c.key.use_case, c.key.context_tokens, c.key.output_tokens};
    }
};

/// The names of the use cases whose capacity a sweep searched: those it analysed and those
/// its plan (run.options.searches) lists.
[[nodiscard]] inline std::vector<std::string> searched_use_cases(const sweep::sweep_result& r) {
    std::vector<std::string> names;
    for (const sweep::use_case_result& u : r.use_cases)
        names.push_back(u.use_case.name);
    if (const boost::json::value* v = r.run.options.if_contains("searches"); v && v->is_array())
        for (const boost::json::value& s : v->get_array())
            if (const boost::json::value* uc =
                    s.is_object() ? s.as_object().if_contains("use_case") : nullptr;
                uc && uc->is_object())
                if (const boost::json::value* n = uc->as_object().if_contains("name");
                    n && n->is_string())
                    names.emplace_back(n->get_string());
    return names;
}

/// The grid of a sweep; it points into `r`, which must outlive it.
grid grid_of(const sweep::sweep_result&&) = delete;

/// The grid of a sweep; it points into `r`, which must outlive it.
[[nodiscard]] inline grid grid_of(const sweep::sweep_result& r) {
    grid g;
    const std::vector<std::string> searched = searched_use_cases(r);
    const auto from_search = [&](const sweep::cell_result& c) {
        return !c.key.use_case.empty() &&
               std::find(searched.begin(), searched.end(), c.key.use_case) != searched.end();
    };
    const bool any_grid = std::any_of(r.cells.begin(), r.cells.end(),
                                      [&](const sweep::cell_result& c) { return !from_search(c); });
    // Session cells count users, not requests in flight: their own section reports them, and
    // they form the grid only in a run that has nothing else.
    const bool any_single =
        std::any_of(r.cells.begin(), r.cells.end(),
                    [](const sweep::cell_result& c) { return !c.key.sessions; });
    std::map<std::uint32_t, std::uint64_t> outputs;
    for (const sweep::cell_result& c : r.cells) {
        if ((any_grid && from_search(c)) || (any_single && c.key.sessions))
            continue;
        if (std::any_of(g.cells.begin(), g.cells.end(),
                        [&](const sweep::cell_result* o) { return o->key == c.key; }))
            continue; // the same cell measured again: the first one stands
        g.cells.push_back(&c);
        g.contexts.push_back(c.key.context_tokens);
        g.concurrencies.push_back(c.key.concurrency);
        ++outputs[c.key.output_tokens];
        g.any_rate = g.any_rate || rate_of(c.key).has_value();
        g.by_context = g.by_context && c.key.use_case.empty();
        const scenario s = g.scenario_of(c);
        if (std::none_of(g.scenarios.begin(), g.scenarios.end(),
                         [&](const scenario& o) { return o.holds(c); }))
            g.scenarios.push_back(s);
    }
    g.by_context = g.by_context && outputs.size() <= 1 && !g.any_rate;
    for (auto* v : {&g.contexts, &g.concurrencies}) {
        std::sort(v->begin(), v->end());
        v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    std::uint64_t best = 0;
    for (const auto& [out, n] : outputs)
        if (n > best) {
            best = n;
            g.output_tokens = out;
        }
    return g;
}

/// A quantity the server reported for a cell (`/metrics` scrape deltas), when measured.
[[nodiscard]] inline std::optional<double> server_value(const sweep::cell_result* c,
                                                        const std::string& name) {
    if (c == nullptr || !c->server)
        return std::nullopt;
    const auto it = c->server->values.find(name);
    if (it == c->server->values.end() || it->second.state != prometheus::value_state::measured ||
        !it->second.value || !std::isfinite(*it->second.value))
        return std::nullopt;
    return it->second.value;
}

/// True when a cell's server-side metric comes from per-request timings (in the summary)
/// rather than from the server's histograms.
[[nodiscard]] inline bool from_requests(const sweep::cell_result* c, analysis::metric m) {
    return c != nullptr && c->summary.value(m, analysis::statistic::mean).has_value();
}

/**
 * One statistic of one metric of a cell; empty when not measured. Queue wait, prefill time
 * and prefill speed means fall back to the server's histograms (`queue_wait_mean_s`,
 * `prefill_time_mean_s` of the cell's scrape) when the requests carried no per-request
 * timings; prefill speed is then the context length ÷ the mean prefill time.
 */
[[nodiscard]] inline std::optional<double>
value_of(const sweep::cell_result* c, analysis::metric m,
         analysis::statistic s = analysis::statistic::mean) {
    if (c == nullptr)
        return std::nullopt;
    std::optional<double> v = c->summary.value(m, s);
    if (v && !std::isfinite(*v))
        v.reset();
    if (v || s != analysis::statistic::mean)
        return v;
    switch (m) {
    case analysis::metric::queue_wait:
        return server_value(c, "queue_wait_mean_s");
    case analysis::metric::prefill_time:
        return server_value(c, "prefill_time_mean_s");
    case analysis::metric::prefill_speed:
        if (const auto t = server_value(c, "prefill_time_mean_s"); t && *t > 0.0)
            return static_cast<double>(c->key.context_tokens) / *t;
        return std::nullopt;
    default:
        return std::nullopt;
    }
}

/// The cells measured for a use case: its search cells and the grid cells at its context
/// (and output length) that its search reused, one per concurrency, ordered by concurrency.
[[nodiscard]] inline std::vector<const sweep::cell_result*>
use_case_cells(const sweep::sweep_result& r, const analysis::use_case& uc) {
    std::vector<const sweep::cell_result*> out;
    const auto has = [&](std::uint32_t c) {
        return std::any_of(out.begin(), out.end(),
                           [&](const auto* x) { return x->key.concurrency == c; });
    };
    for (const sweep::cell_result& c : r.cells)
        if (c.key.use_case == uc.name && !has(c.key.concurrency))
            out.push_back(&c);
    for (const sweep::cell_result& c : r.cells)
        if (c.key.use_case.empty() && c.key.context_tokens == uc.context_tokens &&
            (uc.output_tokens == 0 || c.key.output_tokens == uc.output_tokens) &&
            !has(c.key.concurrency))
            out.push_back(&c);
    std::sort(out.begin(), out.end(),
              [](const auto* a, const auto* b) { return a->key.concurrency < b->key.concurrency; });
    return out;
}

/// How a metric is labelled on an axis and written in tables.
struct metric_look {
    /// Axis label with unit.
    std::string label;
    /// Short name for sentences.
    std::string name;
    /// Value style.
    value_style style = value_style::number;
};

/// The look of a metric.
[[nodiscard]] inline metric_look look_of(analysis::metric m) {
    using analysis::metric;
    switch (m) {
    case metric::ttft:
        return {"TTFT (s)", "TTFT", value_style::seconds};
    case metric::ttfa:
        return {"Time to first answer token (s)", "time to first answer token",
                value_style::seconds};
    case metric::e2e:
        return {"End-to-end latency (s)", "end-to-end latency", value_style::seconds};
    case metric::tpot:
        return {"Time per output token (s)", "time per output token", value_style::seconds};
    case metric::generation_speed:
        return {"Per-user generation speed (tok/s)", "generation speed", value_style::tokens_per_s};
    case metric::itl:
        return {"Inter-token latency (s)", "inter-token latency", value_style::seconds};
    case metric::request_itl:
        return {"Per-request mean ITL (s)", "per-request mean inter-token latency",
                value_style::seconds};
    case metric::throughput:
        return {"System throughput (tok/s)", "system throughput", value_style::tokens_per_s};
    case metric::queue_wait:
        return {"Queue wait (s)", "queue wait", value_style::seconds};
    case metric::prefill_time:
        return {"Prefill time (s)", "prefill time", value_style::seconds};
    case metric::prefill_speed:
        return {"Per-user prefill speed (tok/s)", "prefill speed", value_style::tokens_per_s};
    case metric::prefill_speed_lower_bound:
        return {"Prefill speed lower bound, prompt ÷ TTFT (tok/s)", "prefill speed lower bound",
                value_style::tokens_per_s};
    case metric::client_lag:
        return {"Client lag (s)", "client lag", value_style::seconds};
    case metric::output_tokens:
        return {"Output tokens", "output tokens", value_style::number};
    case metric::ttft_later_turns:
        return {"TTFT of later turns (s)", "TTFT of later turns", value_style::seconds};
    case metric::cached_prompt_tokens:
        return {"Cached prompt tokens", "cached prompt tokens", value_style::number};
    case metric::uncached_prompt_tokens:
        return {"Uncached prompt tokens", "uncached prompt tokens", value_style::number};
    case metric::effective_prefill_speed:
        return {"Effective prefill speed, uncached tokens (tok/s)", "effective prefill speed",
                value_style::tokens_per_s};
    case metric::cached_prompt_fraction:
        return {"Cached prompt fraction", "cached prompt fraction", value_style::number};
    case metric::mean_in_flight:
        return {"Mean requests in flight", "mean requests in flight", value_style::number};
    }
    return {"", "", value_style::number};
}

/// A threshold's bound with its unit, as people write it: "8 s", "15 tok/s", "0.5 s".
[[nodiscard]] inline std::string bound_text(const analysis::threshold& t) {
    std::string bound = format_fixed(t.bound, 3);
    if (bound.find('.') != std::string::npos) {
        while (bound.back() == '0')
            bound.pop_back();
        if (bound.back() == '.')
            bound.pop_back();
    }
    std::string unit;
    switch (look_of(t.what).style) {
    case value_style::seconds:
        unit = " s";
        break;
    case value_style::tokens_per_s:
        unit = " tok/s";
        break;
    case value_style::percent:
        unit = "%";
        break;
    case value_style::watts:
        unit = " W";
        break;
    case value_style::tokens:
        unit = " tokens";
        break;
    case value_style::number:
    case value_style::requests:
        break;
    }
    return group_thousands(bound) + unit;
}

/// A threshold in words: "TTFT mean < 8 s", "generation speed P95 > 15 tok/s".
[[nodiscard]] inline std::string describe_threshold(const analysis::threshold& t) {
    const metric_look l = look_of(t.what);
    std::string stat = t.stat == analysis::statistic::mean
                           ? "mean"
                           : std::string(analysis::statistic_name(t.stat));
    if (stat.size() > 1 && stat.front() == 'p') {
        stat[0] = 'P';
        for (char& c : stat)
            if (c == '_')
                c = '.';
    }
    std::string name = l.name;
    if (name == "end-to-end latency")
        name = "E2E latency";
    return name + " " + stat + (t.cmp == analysis::comparison::less ? " < " : " > ") +
           bound_text(t);
}

/// Capacity as written in tables: "24", "125+", "< 1".
[[nodiscard]] inline std::string capacity_text(const analysis::capacity_result& c) {
    switch (c.kind) {
    case analysis::capacity_kind::at_least:
        return format_count(c.capacity) + "+";
    case analysis::capacity_kind::below_minimum:
        return "< " + format_count(c.lowest_concurrency);
    case analysis::capacity_kind::interpolated:
    case analysis::capacity_kind::exact:
        break;
    }
    return format_count(c.capacity);
}

/// The kind of a capacity in words.
[[nodiscard]] inline std::string capacity_kind_text(analysis::capacity_kind k) {
    switch (k) {
    case analysis::capacity_kind::interpolated:
        return "interpolated between measured levels";
    case analysis::capacity_kind::exact:
        return "measured exactly on the threshold";
    case analysis::capacity_kind::at_least:
        return "lower bound: no threshold crossed";
    case analysis::capacity_kind::below_minimum:
        return "below the lowest level measured";
    }
    return "";
}

/// A string option of the run, or empty.
[[nodiscard]] inline std::string option_string(const sweep::run_info& run,
                                               std::initializer_list<const char*> keys) {
    for (const char* k : keys)
        if (const boost::json::value* v = run.options.if_contains(k); v && v->is_string())
            return std::string(v->get_string());
    return {};
}

/// Everything the run says about what was measured, in one lower-case string for look-ups.
[[nodiscard]] inline std::string run_words(const sweep::run_info& run) {
    return lower(run.model + " " + run.server.model_id + " " + run.preset + " " + run.server_url +
                 " " + run.gpu + " " + run.hardware);
}

/// The organisation behind a model family, from its name; empty when not known.
[[nodiscard]] inline std::string organisation_of(const std::string& model) {
    static const std::pair<const char*, const char*> families[] = {
        {"glm", "Z.ai"},           {"llama", "Meta"},         {"qwen", "Alibaba (Qwen)"},
        {"mistral", "Mistral AI"}, {"mixtral", "Mistral AI"}, {"gpt-oss", "OpenAI"},
        {"deepseek", "DeepSeek"},  {"gemma", "Google"},       {"phi", "Microsoft"},
        {"kimi", "Moonshot AI"},
    };
    const std::string m = lower(model);
    for (const auto& [prefix, org] : families)
        if (m.find(prefix) != std::string::npos)
            return org;
    return {};
}

/// The precision the run's names state ("BF16", "FP8", ...); empty when none does.
[[nodiscard]] inline std::string precision_of(const sweep::run_info& run) {
    const std::string words = run_words(run);
    for (const char* p : {"bf16", "fp16", "fp8", "fp4", "nvfp4", "int8", "int4", "awq", "gptq"})
        if (words.find(p) != std::string::npos) {
            std::string s = p;
            for (char& c : s)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            return s;
        }
    return {};
}

/// The model description for the physical bound, when the run names a known model.
[[nodiscard]] inline std::optional<analysis::model_spec> known_model(const sweep::run_info& run) {
    const std::string words = run_words(run);
    if (words.find("glm-4.7-flash") != std::string::npos ||
        words.find("glm 4.7 flash") != std::string::npos) {
        analysis::model_spec m = analysis::glm_4_7_flash_bf16();
        if (precision_of(run) == "FP8") {
            m.display_name = "GLM-4.7-Flash (FP8)";
            m.weight_bytes_per_param = 1.0;
        }
        return m;
    }
    return std::nullopt;
}

/// The GPU description for the physical bound, when the run names a known single GPU.
[[nodiscard]] inline std::optional<analysis::gpu_spec> known_gpu(const sweep::run_info& run) {
    const std::string words = run_words(run);
    for (const char* many : {"2x", "4x", "8x", "2 x", "4 x", "8 x"})
        if (lower(run.gpu).find(many) != std::string::npos)
            return std::nullopt; // one GPU's bound does not describe several
    if (words.find("h200") != std::string::npos)
        return analysis::nvidia_h200_sxm();
    if (words.find("h100") != std::string::npos)
        return analysis::nvidia_h100_sxm();
    if (words.find("b200") != std::string::npos)
        return analysis::nvidia_b200();
    return std::nullopt;
}

} // namespace llmcap::report::detail
