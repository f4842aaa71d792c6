#pragma once

// Incremental text/event-stream parsing.
#include <llmcap/sse/error.hpp>
#include <llmcap/sse/parser.hpp>
