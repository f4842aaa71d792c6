#pragma once

#include <llmcap/analysis/roofline.hpp>

#include <optional> // optional
#include <string>   // string

namespace llmcap::report {

/// Choices a reader of the results makes that the measurements do not fix.
struct report_options {
    /// Electricity price used for cost figures, US dollars per kWh.
    double usd_per_kwh = 0.10;
    /// The use case whose capacity is a highlight (the reference report shows the chatbot's);
    /// the first use case is used when the results have no use case of this name.
    std::string highlight_use_case = "general_chatbot";
    /// The model for the physical-bound section; looked up from the run's model name when
    /// empty (analysis/catalogue.hpp).
    std::optional<analysis::model_spec> model;
    /// The GPU for the physical-bound section; looked up from the run's GPU description when
    /// empty.
    std::optional<analysis::gpu_spec> gpu;
};

} // namespace llmcap::report
