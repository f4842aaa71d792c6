// Fuzzes the reader of user corpora (workload::parse_corpus, include/llmcap/workload/corpus.hpp):
// plain text, JSON Lines and ShareGPT JSON, chosen by the caller or detected from the first
// character, as --corpus reads them.
// Checks: no crash; a failure is about "corpus" and keeps no text; a success has at least one
// text and no empty one; plain text splits at blank lines, so no text holds a line of only
// spaces and tabs; detection picks the reader its rule names (the result equals that reader's);
// reading is a pure function of the input; every record has a non-empty prompt that is one of
// the texts, an answer that is not empty, a stated output length above 0, and records come in
// file order; a failure keeps no record and no skip count.
// Input layout: byte 0 picks the format (0 detect, 1 plain text, 2 JSON Lines, 3 ShareGPT), then
// the text.
#include <llmcap/workload/corpus.hpp>

#include "fuzz_check.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using llmcap::workload::corpus_format;

bool same(const llmcap::workload::corpus_parse_result& a,
          const llmcap::workload::corpus_parse_result& b) {
    if (a.error != b.error || a.value.texts != b.value.texts ||
        a.value.skipped != b.value.skipped || a.value.records.size() != b.value.records.size())
        return false;
    for (std::size_t i = 0; i < a.value.records.size(); ++i) {
        const auto& x = a.value.records[i];
        const auto& y = b.value.records[i];
        if (x.prompt != y.prompt || x.answer != y.answer || x.output_tokens != y.output_tokens ||
            x.source != y.source)
            return false;
    }
    return true;
}

// The format detection's rule, written out independently.
corpus_format detected(std::string_view text) {
    const std::size_t i = text.find_first_not_of(" \n\r\t");
    const char c = i == std::string_view::npos ? '\0' : text[i];
    return c == '['                 ? corpus_format::sharegpt
           : (c == '{' || c == '"') ? corpus_format::jsonl
                                    : corpus_format::plain_text;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace llmcap::workload;
    if (size < 1)
        return 0;
    constexpr corpus_format formats[] = {corpus_format::detect, corpus_format::plain_text,
                                         corpus_format::jsonl, corpus_format::sharegpt};
    const corpus_format format = formats[data[0] % 4];
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const corpus_parse_result r = parse_corpus(text, format);
    FUZZ_CHECK(same(parse_corpus(text, format), r), "reading is not a function of the input");
    if (format == corpus_format::detect)
        FUZZ_CHECK(same(parse_corpus(text, detected(text)), r),
                   "detection did not pick the reader its rule names");
    if (!r.ok()) {
        FUZZ_CHECK(r.error.rfind("corpus: ", 0) == 0, "an error about something else");
        FUZZ_CHECK(r.value.texts.empty(), "texts kept beside an error");
        FUZZ_CHECK(r.value.records.empty() && r.value.skipped.empty(),
                   "records kept beside an error");
        return 0;
    }
    std::size_t last_source = 0;
    for (const llmcap::workload::corpus_record& rec : r.value.records) {
        FUZZ_CHECK(!rec.prompt.empty(), "a record without a prompt");
        FUZZ_CHECK(std::find(r.value.texts.begin(), r.value.texts.end(), rec.prompt) !=
                       r.value.texts.end(),
                   "a record's prompt is not among the texts");
        FUZZ_CHECK(!rec.answer || !rec.answer->empty(), "an empty answer kept");
        FUZZ_CHECK(!rec.output_tokens || *rec.output_tokens > 0, "a stated output length of 0");
        FUZZ_CHECK(rec.source > last_source, "records out of file order");
        last_source = rec.source;
    }
    for (const auto& [why, n] : r.value.skipped)
        FUZZ_CHECK(n > 0 && !why.empty(), "a skip count of 0 or without a reason");
    FUZZ_CHECK(!r.value.texts.empty(), "a corpus without text");
    const bool plain =
        (format == corpus_format::detect ? detected(text) : format) == corpus_format::plain_text;
    for (const std::string& t : r.value.texts) {
        FUZZ_CHECK(!t.empty(), "an empty text");
        if (!plain)
            continue;
        std::size_t pos = 0;
        while (pos <= t.size()) {
            std::size_t end = t.find('\n', pos);
            if (end == std::string::npos)
                end = t.size();
            const std::string_view line(t.data() + pos, end - pos);
            FUZZ_CHECK(line.find_first_not_of(" \t") != std::string_view::npos,
                       "a plain text holds a blank line");
            pos = end + 1;
        }
    }
    return 0;
}
