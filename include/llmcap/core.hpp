#pragma once

// Core vocabulary: clock, request trace, error taxonomy, the JSON toolkit.
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/json.hpp>
#include <llmcap/core/request_trace.hpp>
