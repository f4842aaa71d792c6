#pragma once

// Core vocabulary: clock, request trace, error taxonomy.
#include <llmcap/core/clock.hpp>
#include <llmcap/core/error.hpp>
#include <llmcap/core/request_trace.hpp>
