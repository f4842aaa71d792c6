#pragma once

// OpenAI-compatible request bodies, chunk decoding and stream-to-trace assembly.
#include <llmcap/openai/chunk_decoder.hpp>
#include <llmcap/openai/dialect.hpp>
#include <llmcap/openai/error.hpp>
#include <llmcap/openai/error_body.hpp>
#include <llmcap/openai/request.hpp>
#include <llmcap/openai/trace_builder.hpp>
