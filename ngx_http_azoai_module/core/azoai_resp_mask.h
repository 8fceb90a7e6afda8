/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * azoai_pii_response: PII in the text of a response.  The raw content of
 * one text field (found by azoai_restore_scan()) is scanned with the
 * location's engine, and each match replaced as in requests: mask, hash
 * and partial render as they do there, pseudonym and block as "[TYPE]".
 * The text is masked before pseudonyms are put back in it, so a restored
 * value is never masked again.
 */

#ifndef _AZOAI_RESP_MASK_H_INCLUDED_
#define _AZOAI_RESP_MASK_H_INCLUDED_


#include "azoai_core.h"
#include "azoai_pii.h"
#include "azoai_pseudo.h"


/*
 * A streamed text holds back at most this many bytes for a value that may
 * still be growing (a phone number, an e-mail address); a longer value
 * is masked in parts.
 */
#define AZOAI_RESP_MASK_HOLD   256

/* and a "[TAG" that may begin a pseudonym */
#define AZOAI_RESP_MASK_CARRY  (AZOAI_RESP_MASK_HOLD + AZOAI_PSEUDO_TOKEN_MAX)

/* azoai_resp_mask_string() flags for a text the walker did not see */
#define AZOAI_RESP_MASK_ANY    0xff


/* the masked text; the buffers are kept and reused from field to field */
typedef struct {
    /* set: the masked text goes there in pieces, not into buf */
    int                      (*out)(void *data, const u_char *p, size_t len);
    void                      *out_data;

    const azoai_pii_engine_t  *engine;
    azoai_alloc_t             *alloc;
    const u_char              *raw;     /* the field being masked */
    size_t                     from;    /* raw bytes written so far */
    u_char                    *buf;
    size_t                     len;
    size_t                     size;
    size_t                     masked;  /* values masked, all fields */
    uint32_t                   counts[AZOAI_PII_MAX_TYPES]; /* by type */
    azoai_pii_match_t         *matches; /* of a streamed piece */
    size_t                     nmatches;
    size_t                     matches_size;
} azoai_resp_mask_t;


void azoai_resp_mask_init(azoai_resp_mask_t *m,
    const azoai_pii_engine_t *e, azoai_alloc_t *a);

/*
 * Masks the raw content of one JSON string into m->buf, m->len bytes
 * (valid content of a string of the same escaping), or to m->out when it
 * is set; flags: what the walker saw in it (AZOAI_JSON_ESCAPED,
 * AZOAI_JSON_NON_ASCII; AZOAI_RESP_MASK_ANY when not known).  Returns
 * AZOAI_OK, or AZOAI_ERROR on allocation failure, when a detector failed
 * (the caller fails closed) or when m->out failed.
 */
int azoai_resp_mask_string(azoai_resp_mask_t *m, const u_char *raw,
    size_t len, unsigned flags);

/*
 * A streamed piece: text is the held tail of the same text followed by
 * the new piece.  *final is set to the length of its prefix that no match
 * or token can still grow across (the rest, AZOAI_RESP_MASK_CARRY bytes
 * at most, is held back for the next piece); that prefix is masked into
 * m->buf.
 */
int azoai_resp_mask_prefix(azoai_resp_mask_t *m, const u_char *text,
    size_t len, size_t *final);


#endif /* _AZOAI_RESP_MASK_H_INCLUDED_ */
