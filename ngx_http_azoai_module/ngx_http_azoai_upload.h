/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * What the two upload paths share: ngx_http_azoai_upload.c (a body in
 * memory) and ngx_http_azoai_upload_file.c (a body in a temp file, read
 * and rewritten block by block).
 */

#ifndef _NGX_HTTP_AZOAI_UPLOAD_H_INCLUDED_
#define _NGX_HTTP_AZOAI_UPLOAD_H_INCLUDED_


#include "ngx_http_azoai_ctx.h"

#include "azoai_body.h"
#include "azoai_multipart.h"


/* ngx_http_azoai_upload.c */
ngx_int_t ngx_http_azoai_upload_boundary(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    azoai_str_t *boundary);
void ngx_http_azoai_upload_grammar(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    const char *error, size_t offset);
ngx_int_t ngx_http_azoai_upload_fields(ngx_http_azoai_ctx_t *ctx,
    azoai_multipart_t *mp, azoai_multipart_part_t **file,
    azoai_multipart_part_t **purpose);
ngx_uint_t ngx_http_azoai_upload_purpose_is(ngx_str_t *value,
    ngx_str_t *want);
ngx_uint_t ngx_http_azoai_upload_is_jsonl(ngx_str_t *purpose,
    azoai_multipart_part_t *file);
ngx_int_t ngx_http_azoai_judge_batch_line(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx,
    azoai_str_t *line, azoai_body_result_t *res, ngx_uint_t part,
    azoai_alloc_t *a);
void ngx_http_azoai_upload_invalid(ngx_http_request_t *r,
    ngx_http_azoai_loc_conf_t *alcf, ngx_http_azoai_ctx_t *ctx);


#endif /* _NGX_HTTP_AZOAI_UPLOAD_H_INCLUDED_ */
