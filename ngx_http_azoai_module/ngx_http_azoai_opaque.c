/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Content the PII scan cannot inspect (azoai_pii_opaque): base64 images
 * and files in JSON bodies, file uploads that are not JSONL.
 * deny: 403 UninspectableContent naming what and the directive that lets
 * it through; pass: forwarded unchanged, counted in $azoai_pii_opaque and
 * azoai_pii_opaque_total.
 */


#include "ngx_http_azoai_ctx.h"


/*
 * n pieces of content that could not be inspected, the first described
 * by what (static text, never content).  NGX_OK: passed and counted;
 * NGX_DONE: denied, ctx->verdict set.
 */

ngx_int_t
ngx_http_azoai_pii_opaque(ngx_http_request_t *r, ngx_http_azoai_ctx_t *ctx,
    const char *what, ngx_uint_t n)
{
    ngx_http_azoai_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_azoai_module);

    if (alcf->pass_opaque) {
        ctx->pii_opaque += n;

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "azoai: %ui piece(s) of content not inspected for "
                       "PII, passed (azoai_pii_opaque pass): %s", n, what);
        return NGX_OK;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "azoai: %ui piece(s) of content not inspectable for "
                   "PII, denied: %s", n, what);

    ngx_http_azoai_deny(ctx, AZOAI_UNINSPECTABLE,
                        "the request holds content the PII scan cannot "
                        "inspect: %s (%ui in all); azoai_pii_opaque pass "
                        "forwards such content unscanned", what, n);

    return NGX_DONE;
}
