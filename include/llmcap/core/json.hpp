#pragma once

// The JSON toolkit every llmcap reader and writer uses: one error type carrying a JSONPath
// (json_error, json_result), one reader (json_reader), one parser whose numbers read back
// exactly (parse_json), and one policy for writing doubles (json_number_or_null,
// json_decimal_or_null). docs/json.md describes it.
#include <llmcap/core/json_error.hpp>
#include <llmcap/core/json_number.hpp>
#include <llmcap/core/json_parse.hpp>
#include <llmcap/core/json_reader.hpp>
