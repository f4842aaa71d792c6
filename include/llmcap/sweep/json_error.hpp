#pragma once

// The sweep's JSON readers (results, traces, plans) report llmcap::json_error and return
// llmcap::json_result<T>: the library's one error and result types (core/json_error.hpp). This
// header stays so that code including it keeps compiling.
#include <llmcap/core/json_error.hpp>
