/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The fast path of the classifier: the requests clients send most,
 * written exactly as documented (POST /openai/deployments/{name}/chat/
 * completions, .../completions, .../embeddings and /openai/v1/chat/
 * completions, embeddings, responses, with no query or a single plain
 * api-version), recognised by a few compares instead of the split, the
 * rule tables and the query parser.  Anything else (other case, escapes,
 * odd bytes or segments, more query keys, preview headers) is left to
 * azoai_route_classify_full(), which says the same thing of these
 * requests: tests/test_route_fast.c and fuzz_route compare the two.
 * The path itself is azoai_route_fast.h's, inline where every request
 * takes it.
 */


#include "azoai_route_fast.h"


int
azoai_route_fast(const azoai_request_t *req, azoai_route_t *route)
{
    return azoai_route_fast_inline(req, route);
}
