/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * Request classification from the raw path and query, as the client sent
 * them.  Route literals, the "/openai" prefix and query keys are matched
 * ignoring ASCII case, because Azure's front end routes them that way; a
 * path that only becomes "/openai/..." after decoding or normalisation is
 * ambiguous, so that "/%6Fpenai/..." cannot slip past the classifier.
 */


#include <string.h>

#include "azoai_ascii.h"
#include "azoai_pct.h"
#include "azoai_route.h"
#include "azoai_route_query.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


#define AZOAI_RULE_JSON        0x01
#define AZOAI_RULE_MULTIPART   0x02
#define AZOAI_RULE_PREVIEW     0x04
#define AZOAI_RULE_UPLOAD      0x08    /* a file upload: field "file" */
#define AZOAI_RULE_PART        0x10    /* an upload part: field "data" */
/* the body must name the deployment ("model", realtime "session.model") */
#define AZOAI_RULE_NAMES       0x20

#define AZOAI_RULE_SEGMENTS    6

/* rule segments carry their length: most literals fail on it alone */
#define azoai_seg(s)           { sizeof(s) - 1, (const u_char *) s }
#define AZOAI_SEG_ANY          azoai_seg("*")
#define AZOAI_SEG_REST         azoai_seg("**")
#define AZOAI_SEG_END          { 0, NULL }

/* what a path byte is to the splitter: 0 is an ordinary byte */
#define AZOAI_PATH_SLASH       1
#define AZOAI_PATH_PERCENT     2
#define AZOAI_PATH_BACKSLASH   3
#define AZOAI_PATH_SEMICOLON   4
#define AZOAI_PATH_CONTROL     5


typedef struct {
    /* ends at an empty one; "*" is one segment, "**" (last) any number */
    azoai_str_t      segment[AZOAI_RULE_SEGMENTS + 1];
    const char      *operation;
    unsigned         deployment_from;
    unsigned         flags;
    const char      *detail;
} azoai_route_rule_t;


typedef struct {
    azoai_str_t      segment[AZOAI_ROUTE_MAX_SEGMENTS];
    size_t           n;
    unsigned         truncated:1;
} azoai_route_path_t;


static int azoai_route_is_azure(const u_char *path, size_t len);
static int azoai_route_check_disguised(const azoai_request_t *req,
    azoai_route_t *route, azoai_alloc_t *a);
static size_t azoai_route_normalize(u_char *out, u_char *buf, size_t len);
static void azoai_route_split(const u_char *p, size_t len,
    azoai_route_path_t *path, azoai_route_t *route);
static size_t azoai_route_next_stop(const u_char *p, size_t i, size_t len);
#if defined(__SSE2__)
static inline unsigned azoai_route_stops16(const u_char *p);
#endif
static const char *azoai_route_add_segment(azoai_route_path_t *path,
    const u_char *seg, size_t n);
static void azoai_route_match(const azoai_route_path_t *path,
    const azoai_request_t *req, azoai_route_t *route);
static int azoai_route_rule_matches(const azoai_route_rule_t *rule,
    const azoai_str_t *segment, size_t n, unsigned truncated);
static int azoai_route_query(const azoai_request_t *req,
    azoai_route_t *route, azoai_alloc_t *a);
static void azoai_route_preview_signals(const azoai_route_path_t *path,
    const azoai_request_t *req, azoai_route_t *route);
static int azoai_route_has_body(const azoai_str_t *method);
static void azoai_route_set_ambiguous(azoai_route_t *route,
    const char *detail);
static void azoai_route_set_preview(azoai_route_t *route,
    const char *detail);
static int azoai_route_segment_is(const azoai_str_t *s,
    const azoai_str_t *lower);


static const char  azoai_responses_classic[] =
    "Responses API on classic routes is preview-only; use /openai/v1/responses";
static const char  azoai_assistants[] =
    "Assistants API (assistants, threads, runs) is a preview feature";
static const char  azoai_extensions[] =
    "extensions/chat/completions (On Your Data, legacy) is preview-only";
static const char  azoai_v1_evals[] =
    "Evaluations API (/openai/v1/evals) is preview-only";
static const char  azoai_v1_audio[] =
    "audio routes on /openai/v1 are preview-only";
static const char  azoai_v1_images[] =
    "image routes on /openai/v1 are preview-only";
static const char  azoai_v1_video[] =
    "video routes on /openai/v1 are preview-only";


static const azoai_str_t  azoai_seg_v1 = azoai_seg("v1");
static const azoai_str_t  azoai_seg_alpha = azoai_seg("alpha");


static const u_char  azoai_path_byte[256] = {
    [0x00 ... 0x20] = AZOAI_PATH_CONTROL,
    ['%'] = AZOAI_PATH_PERCENT,
    ['/'] = AZOAI_PATH_SLASH,
    [';'] = AZOAI_PATH_SEMICOLON,
    ['\\'] = AZOAI_PATH_BACKSLASH,
    [0x7f ... 0xff] = AZOAI_PATH_CONTROL
};


/* why a path byte makes the request ambiguous, by azoai_path_byte */
static const char  *azoai_path_byte_detail[] = {
    NULL,
    NULL,
    "percent-encoded byte in the Azure OpenAI path",
    "backslash in the Azure OpenAI path",
    "';' in the Azure OpenAI path",
    "control, space or non-ASCII byte in the Azure OpenAI path"
};


/* under /openai/, first match wins */

static const azoai_route_rule_t  azoai_classic_rules[] = {

    { { azoai_seg("deployments"), AZOAI_SEG_ANY, azoai_seg("chat"),
        azoai_seg("completions") },
      "chat.completions", AZOAI_DEP_PATH, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("deployments"), AZOAI_SEG_ANY, azoai_seg("completions") },
      "completions", AZOAI_DEP_PATH, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("deployments"), AZOAI_SEG_ANY, azoai_seg("embeddings") },
      "embeddings", AZOAI_DEP_PATH, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("deployments"), AZOAI_SEG_ANY, azoai_seg("images"),
        azoai_seg("generations") },
      "images.generations", AZOAI_DEP_PATH, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("deployments"), AZOAI_SEG_ANY, azoai_seg("images"),
        azoai_seg("edits") },
      "images.edits", AZOAI_DEP_PATH, AZOAI_RULE_MULTIPART, NULL },
    { { azoai_seg("deployments"), AZOAI_SEG_ANY, azoai_seg("audio"),
        azoai_seg("transcriptions") },
      "audio.transcriptions", AZOAI_DEP_PATH, AZOAI_RULE_MULTIPART, NULL },
    { { azoai_seg("deployments"), AZOAI_SEG_ANY, azoai_seg("audio"),
        azoai_seg("translations") },
      "audio.translations", AZOAI_DEP_PATH, AZOAI_RULE_MULTIPART, NULL },
    { { azoai_seg("deployments"), AZOAI_SEG_ANY, azoai_seg("audio"),
        azoai_seg("speech") },
      "audio.speech", AZOAI_DEP_PATH,
      AZOAI_RULE_JSON|AZOAI_RULE_MULTIPART, NULL },
    { { azoai_seg("deployments"), AZOAI_SEG_ANY, azoai_seg("extensions"),
        azoai_seg("chat"), azoai_seg("completions") },
      "extensions.chat.completions", AZOAI_DEP_PATH,
      AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW, azoai_extensions },

    { { azoai_seg("responses") },
      "responses", AZOAI_DEP_BODY,
      AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW|AZOAI_RULE_NAMES,
      azoai_responses_classic },
    { { azoai_seg("responses"), AZOAI_SEG_ANY },
      "responses.item", AZOAI_DEP_NONE, AZOAI_RULE_PREVIEW,
      azoai_responses_classic },
    { { azoai_seg("responses"), AZOAI_SEG_ANY, azoai_seg("input_items") },
      "responses.input_items", AZOAI_DEP_NONE, AZOAI_RULE_PREVIEW,
      azoai_responses_classic },
    { { azoai_seg("responses"), AZOAI_SEG_ANY, azoai_seg("cancel") },
      "responses.cancel", AZOAI_DEP_NONE,
      AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW, azoai_responses_classic },

    { { azoai_seg("assistants"), AZOAI_SEG_REST },
      "assistants", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_assistants },
    { { azoai_seg("threads"), azoai_seg("runs"), AZOAI_SEG_REST },
      "threads.runs", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_assistants },
    { { azoai_seg("threads"), AZOAI_SEG_ANY, azoai_seg("runs"),
        AZOAI_SEG_REST },
      "threads.runs", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_assistants },
    { { azoai_seg("threads"), AZOAI_SEG_REST },
      "threads", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_assistants },
    { { azoai_seg("vector_stores"), AZOAI_SEG_REST },
      "vector_stores", AZOAI_DEP_BODY, AZOAI_RULE_JSON, NULL },

    { { azoai_seg("realtime") },
      "realtime", AZOAI_DEP_QUERY, 0, NULL },
    { { azoai_seg("realtimeapi"), azoai_seg("sessions") },
      "realtime.sessions", AZOAI_DEP_BODY,
      AZOAI_RULE_JSON|AZOAI_RULE_NAMES, NULL },

    { { azoai_seg("files") },
      "files", AZOAI_DEP_NONE, AZOAI_RULE_MULTIPART|AZOAI_RULE_UPLOAD, NULL },
    { { azoai_seg("files"), AZOAI_SEG_REST },
      "files", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("uploads") },
      "uploads", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("uploads"), AZOAI_SEG_ANY, azoai_seg("parts") },
      "uploads.parts", AZOAI_DEP_NONE, AZOAI_RULE_MULTIPART|AZOAI_RULE_PART,
      NULL },
    { { azoai_seg("uploads"), AZOAI_SEG_REST },
      "uploads", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("batches"), AZOAI_SEG_REST },
      "batches", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("fine_tuning"), azoai_seg("jobs") },
      "fine_tuning.jobs", AZOAI_DEP_BASE_MODEL,
      AZOAI_RULE_JSON|AZOAI_RULE_NAMES, NULL },
    { { azoai_seg("fine_tuning"), AZOAI_SEG_REST },
      "fine_tuning", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("models"), AZOAI_SEG_REST },
      "models", AZOAI_DEP_NONE, 0, NULL },

    { { AZOAI_SEG_END }, NULL, 0, 0, NULL }
};


/* under /openai/v1/ */

static const azoai_route_rule_t  azoai_v1_rules[] = {

    { { azoai_seg("chat"), azoai_seg("completions") },
      "chat.completions", AZOAI_DEP_BODY,
      AZOAI_RULE_JSON|AZOAI_RULE_NAMES, NULL },
    { { azoai_seg("embeddings") },
      "embeddings", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_NAMES,
      NULL },

    { { azoai_seg("responses") },
      "responses", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_NAMES,
      NULL },
    { { azoai_seg("responses"), azoai_seg("compact") },
      "responses.compact", AZOAI_DEP_BODY,
      AZOAI_RULE_JSON|AZOAI_RULE_NAMES, NULL },
    { { azoai_seg("responses"), AZOAI_SEG_ANY },
      "responses.item", AZOAI_DEP_NONE, 0, NULL },
    { { azoai_seg("responses"), AZOAI_SEG_ANY, azoai_seg("input_items") },
      "responses.input_items", AZOAI_DEP_NONE, 0, NULL },
    { { azoai_seg("responses"), AZOAI_SEG_ANY, azoai_seg("cancel") },
      "responses.cancel", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },

    { { azoai_seg("files") },
      "files", AZOAI_DEP_NONE, AZOAI_RULE_MULTIPART|AZOAI_RULE_UPLOAD, NULL },
    { { azoai_seg("files"), AZOAI_SEG_REST },
      "files", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("uploads") },
      "uploads", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("uploads"), AZOAI_SEG_ANY, azoai_seg("parts") },
      "uploads.parts", AZOAI_DEP_NONE, AZOAI_RULE_MULTIPART|AZOAI_RULE_PART,
      NULL },
    { { azoai_seg("uploads"), AZOAI_SEG_REST },
      "uploads", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("fine_tuning"), azoai_seg("jobs") },
      "fine_tuning.jobs", AZOAI_DEP_BASE_MODEL,
      AZOAI_RULE_JSON|AZOAI_RULE_NAMES, NULL },
    { { azoai_seg("fine_tuning"), AZOAI_SEG_REST },
      "fine_tuning", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("models"), AZOAI_SEG_REST },
      "models", AZOAI_DEP_NONE, 0, NULL },
    { { azoai_seg("vector_stores"), AZOAI_SEG_REST },
      "vector_stores", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("batches"), AZOAI_SEG_REST },
      "batches", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },

    { { azoai_seg("realtime") },
      "realtime", AZOAI_DEP_QUERY, 0, NULL },
    { { azoai_seg("realtime"), azoai_seg("client_secrets") },
      "realtime.client_secrets", AZOAI_DEP_BODY,
      AZOAI_RULE_JSON|AZOAI_RULE_NAMES, NULL },
    /* WebRTC offer: the session (and model) is a multipart field */
    { { azoai_seg("realtime"), azoai_seg("calls") },
      "realtime.calls", AZOAI_DEP_FORM, AZOAI_RULE_MULTIPART, NULL },
    { { azoai_seg("realtime"), azoai_seg("calls"), AZOAI_SEG_ANY,
        azoai_seg("accept") },
      "realtime.calls.accept", AZOAI_DEP_BODY, AZOAI_RULE_JSON, NULL },
    { { azoai_seg("realtime"), azoai_seg("calls"), AZOAI_SEG_REST },
      "realtime.calls", AZOAI_DEP_NONE, AZOAI_RULE_JSON, NULL },

    { { azoai_seg("evals"), AZOAI_SEG_REST },
      "evals", AZOAI_DEP_NONE, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_v1_evals },

    { { azoai_seg("audio"), azoai_seg("transcriptions") },
      "audio.transcriptions", AZOAI_DEP_FORM,
      AZOAI_RULE_MULTIPART|AZOAI_RULE_PREVIEW, azoai_v1_audio },
    { { azoai_seg("audio"), azoai_seg("translations") },
      "audio.translations", AZOAI_DEP_FORM,
      AZOAI_RULE_MULTIPART|AZOAI_RULE_PREVIEW, azoai_v1_audio },
    { { azoai_seg("audio"), azoai_seg("speech") },
      "audio.speech", AZOAI_DEP_BODY,
      AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW|AZOAI_RULE_NAMES, azoai_v1_audio },
    { { azoai_seg("audio"), AZOAI_SEG_REST },
      "audio", AZOAI_DEP_FORM, AZOAI_RULE_MULTIPART|AZOAI_RULE_PREVIEW,
      azoai_v1_audio },

    { { azoai_seg("images"), azoai_seg("generations") },
      "images.generations", AZOAI_DEP_BODY,
      AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW|AZOAI_RULE_NAMES, azoai_v1_images },
    { { azoai_seg("images"), azoai_seg("edits") },
      "images.edits", AZOAI_DEP_FORM,
      AZOAI_RULE_MULTIPART|AZOAI_RULE_PREVIEW, azoai_v1_images },
    { { azoai_seg("images"), AZOAI_SEG_REST },
      "images", AZOAI_DEP_FORM, AZOAI_RULE_MULTIPART|AZOAI_RULE_PREVIEW,
      azoai_v1_images },

    /* creating a video job names the deployment; its sub-resources not */
    { { azoai_seg("video"), azoai_seg("generations"), azoai_seg("jobs") },
      "video", AZOAI_DEP_BODY,
      AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW|AZOAI_RULE_NAMES, azoai_v1_video },
    { { azoai_seg("videos") },
      "video", AZOAI_DEP_BODY,
      AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW|AZOAI_RULE_NAMES, azoai_v1_video },
    { { azoai_seg("video"), AZOAI_SEG_REST },
      "video", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_v1_video },
    { { azoai_seg("videos"), AZOAI_SEG_REST },
      "video", AZOAI_DEP_BODY, AZOAI_RULE_JSON|AZOAI_RULE_PREVIEW,
      azoai_v1_video },

    { { AZOAI_SEG_END }, NULL, 0, 0, NULL }
};


int
azoai_route_classify_full(const azoai_request_t *req, azoai_route_t *route,
    azoai_alloc_t *a)
{
    azoai_route_path_t  path;

    memset(route, 0, sizeof(azoai_route_t));
    route->operation = "unknown";
    route->deployment_from = AZOAI_DEP_NONE;

    if (!azoai_route_is_azure(req->path.data, req->path.len)) {
        return azoai_route_check_disguised(req, route, a);
    }

    route->azure = 1;

    /* the Azure part: everything after "/openai" */

    azoai_route_split(req->path.data + 7, req->path.len - 7, &path, route);

    azoai_route_match(&path, req, route);

    if (azoai_route_query(req, route, a) != AZOAI_OK) {
        return AZOAI_ERROR;
    }

    azoai_route_preview_signals(&path, req, route);

    if (req->header_repeated) {
        azoai_route_set_ambiguous(route, "a deployment or preview header"
                                         " is given more than once");
    }

    return AZOAI_OK;
}


/* "/openai" or "/openai/...", ignoring case */

static int
azoai_route_is_azure(const u_char *path, size_t len)
{
    static const char  prefix[] = "/openai";

    if (len < 7) {
        return 0;
    }

    /* as clients mostly send it, else in any case */

    if (memcmp(path, prefix, 7) != 0
        && !azoai_ascii_eq_lower(path, (const u_char *) prefix, 7))
    {
        return 0;
    }

    return len == 7 || path[7] == '/';
}


/*
 * A path that is not "/openai..." as sent, but would be once decoded,
 * with '\' read as '/', slashes merged and dot segments resolved, is an
 * Azure path in disguise: ambiguous.
 */

static int
azoai_route_check_disguised(const azoai_request_t *req,
    azoai_route_t *route, azoai_alloc_t *a)
{
    size_t         len, n;
    u_char        *buf, *out;
    const u_char  *p;

    p = req->path.data;
    len = req->path.len;

    if (len == 0
        || (memchr(p, '%', len) == NULL && memchr(p, '\\', len) == NULL
            && memchr(p, '.', len) == NULL
            && (len < 2 || p[0] != '/' || p[1] != '/')))
    {
        return AZOAI_OK;
    }

    buf = azoai_alloc(a, 2 * len + 2);
    if (buf == NULL) {
        return AZOAI_ERROR;
    }

    out = buf + len + 1;

    n = azoai_pct_decode(buf, p, len, 0);
    n = azoai_route_normalize(out, buf, n);

    if (azoai_route_is_azure(out, n)) {
        route->azure = 1;
        azoai_route_set_ambiguous(route, "the path is under /openai only"
                                         " after decoding or normalisation");
    }

    return AZOAI_OK;
}


/* out (len + 1 bytes): buf with '\' as '/', slashes merged, dots resolved */

static size_t
azoai_route_normalize(u_char *out, u_char *buf, size_t len)
{
    size_t  i, o, start, n;

    for (i = 0; i < len; i++) {
        if (buf[i] == '\\') {
            buf[i] = '/';
        }
    }

    o = 0;
    i = 0;

    while (i < len) {
        if (buf[i] == '/') {
            i++;
            continue;
        }

        start = i;

        while (i < len && buf[i] != '/') {
            i++;
        }

        n = i - start;

        if (n == 1 && buf[start] == '.') {
            continue;
        }

        if (n == 2 && buf[start] == '.' && buf[start + 1] == '.') {
            while (o > 0 && out[o - 1] != '/') {
                o--;
            }

            if (o > 0) {
                o--;
            }

            continue;
        }

        out[o++] = '/';
        memcpy(out + o, buf + start, n);
        o += n;
    }

    return o;
}


/*
 * p is "" or "/..." (the path after "/openai"): one pass finds both the
 * segments and the bytes that make the path ambiguous.  A bad byte
 * anywhere is reported before an empty or dot segment.
 */

static void
azoai_route_split(const u_char *p, size_t len, azoai_route_path_t *path,
    azoai_route_t *route)
{
    size_t       i, start;
    u_char       kind;
    const char  *bad, *shape, *s;

    path->n = 0;
    path->truncated = 0;

    if (len == 0) {
        return;
    }

    bad = NULL;
    shape = NULL;
    start = 1;

    for (i = 1; i < len; i++) {
        i = azoai_route_next_stop(p, i, len);

        if (i == len) {
            break;
        }

        kind = azoai_path_byte[p[i]];

        if (kind != AZOAI_PATH_SLASH) {
            if (bad == NULL) {
                bad = azoai_path_byte_detail[kind];
            }

            continue;
        }

        s = azoai_route_add_segment(path, p + start, i - start);

        if (shape == NULL) {
            shape = s;
        }

        start = i + 1;
    }

    s = azoai_route_add_segment(path, p + start, len - start);

    if (shape == NULL) {
        shape = s;
    }

    if (bad) {
        azoai_route_set_ambiguous(route, bad);
    }

    if (shape) {
        azoai_route_set_ambiguous(route, shape);
    }
}


/*
 * The first byte of p[i .. len) that is not ordinary (azoai_path_byte
 * not 0), or len: 16 bytes a step, and the last bytes of a path of 16 or
 * more as its last 16 (most segments are shorter than 16 bytes).
 */

static size_t
azoai_route_next_stop(const u_char *p, size_t i, size_t len)
{
#if defined(__SSE2__)
    unsigned  mask;

    while (len - i >= 16) {
        mask = azoai_route_stops16(p + i);

        if (mask) {
            return i + __builtin_ctz(mask);
        }

        i += 16;
    }

    if (len >= 16) {
        /* bytes len - 16 .. i - 1 were looked at: shifted out */

        mask = azoai_route_stops16(p + len - 16) >> (16 - (len - i));

        return mask ? i + __builtin_ctz(mask) : len;
    }
#endif

    while (i < len && azoai_path_byte[p[i]] == 0) {
        i++;
    }

    return i;
}


#if defined(__SSE2__)

/* bit k: p[k] is not ordinary, as azoai_path_byte says */

static inline unsigned
azoai_route_stops16(const u_char *p)
{
    __m128i  x, ordinary, special;

    x = _mm_loadu_si128((const __m128i *) p);

    /* 0x21 .. 0x7e; signed compares: bytes >= 0x80 are negative */
    ordinary = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x20)),
                             _mm_cmplt_epi8(x, _mm_set1_epi8(0x7f)));

    special = _mm_or_si128(
                  _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('%')),
                               _mm_cmpeq_epi8(x, _mm_set1_epi8('/'))),
                  _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(';')),
                               _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));

    return (~_mm_movemask_epi8(ordinary) & 0xffff)
           | _mm_movemask_epi8(special);
}

#endif


/* NULL, or why the segment makes the path ambiguous */

static const char *
azoai_route_add_segment(azoai_route_path_t *path, const u_char *seg,
    size_t n)
{
    if (path->n < AZOAI_ROUTE_MAX_SEGMENTS) {
        path->segment[path->n].data = seg;
        path->segment[path->n].len = n;
        path->n++;

    } else {
        path->truncated = 1;
    }

    if (n == 0) {
        return "empty segment in the Azure OpenAI path";
    }

    if (seg[0] == '.' && (n == 1 || (n == 2 && seg[1] == '.'))) {
        return "dot segment in the Azure OpenAI path";
    }

    return NULL;
}


static void
azoai_route_match(const azoai_route_path_t *path, const azoai_request_t *req,
    azoai_route_t *route)
{
    size_t                     n;
    const azoai_str_t         *segment;
    const azoai_route_rule_t  *rule;

    segment = path->segment;
    n = path->n;
    rule = azoai_classic_rules;

    if (n > 0 && azoai_route_segment_is(&segment[0], &azoai_seg_v1)) {
        route->v1 = 1;
        segment++;
        n--;
        rule = azoai_v1_rules;
    }

    route->api_version_required = !route->v1;

    for ( /* void */ ; rule->operation; rule++) {
        if (azoai_route_rule_matches(rule, segment, n, path->truncated)) {
            break;
        }
    }

    if (rule->operation == NULL) {
        return;
    }

    route->known = 1;
    route->operation = rule->operation;
    route->deployment_from = rule->deployment_from;

    if (rule->flags & AZOAI_RULE_PREVIEW) {
        azoai_route_set_preview(route, rule->detail);
    }

    if (rule->deployment_from == AZOAI_DEP_PATH) {
        route->deployment = segment[1];
        route->deployment_where = "path";
    }

    if (!azoai_route_has_body(&req->method)) {

        if (rule->deployment_from == AZOAI_DEP_BODY
            || rule->deployment_from == AZOAI_DEP_FORM
            || rule->deployment_from == AZOAI_DEP_BASE_MODEL)
        {
            route->deployment_from = AZOAI_DEP_NONE;
        }

        return;
    }

    route->json_body = (rule->flags & AZOAI_RULE_JSON) ? 1 : 0;
    route->multipart = (rule->flags & AZOAI_RULE_MULTIPART) ? 1 : 0;
    route->upload = (rule->flags & (AZOAI_RULE_UPLOAD|AZOAI_RULE_PART))
                    ? 1 : 0;
    route->upload_part = (rule->flags & AZOAI_RULE_PART) ? 1 : 0;
    route->body_names_deployment = (rule->flags & AZOAI_RULE_NAMES) ? 1 : 0;
}


static int
azoai_route_rule_matches(const azoai_route_rule_t *rule,
    const azoai_str_t *segment, size_t n, unsigned truncated)
{
    size_t              i;
    const azoai_str_t  *pattern;

    for (i = 0; i < AZOAI_RULE_SEGMENTS; i++) {
        pattern = &rule->segment[i];

        if (pattern->len == 0) {
            return i == n && !truncated;
        }

        if (pattern->data[0] == '*') {
            if (pattern->len == 2) {
                return 1;
            }

            if (i == n) {
                return 0;
            }

            continue;
        }

        if (i == n || !azoai_route_segment_is(&segment[i], pattern)) {
            return 0;
        }
    }

    return 0;
}


static int
azoai_route_query(const azoai_request_t *req, azoai_route_t *route,
    azoai_alloc_t *a)
{
    unsigned             n;
    azoai_str_t         *raw;
    const char          *where;
    azoai_route_query_t  q;

    /*
     * A '#' has no place in a request target (RFC 9112): NGINX ends the
     * query it parses there, while proxy_pass hands the target on as
     * received, so "?api-version=GA#&api-version=PREVIEW" could reach
     * Azure with the second version the check never saw
     */

    if (req->args.len
        && memchr(req->args.data, '#', req->args.len) != NULL)
    {
        azoai_route_set_ambiguous(route,
                                  "'#' in the query of the request target");
    }

    azoai_route_query_parse(req->args.data, req->args.len, &q);

    if (q.n_api_version > 1) {
        azoai_route_set_ambiguous(route, "api-version is given more than once");
    }

    if (azoai_pct_decode_str(&route->api_version, q.api_version.data,
                             q.api_version.len, 1, a)
        != AZOAI_OK)
    {
        return AZOAI_ERROR;
    }

    route->preview_api = azoai_api_version_is_preview(route->api_version.data,
                                                      route->api_version.len);

    if (route->deployment_from != AZOAI_DEP_QUERY) {
        return AZOAI_OK;
    }

    if (route->v1) {
        raw = &q.model;
        n = q.n_model;
        where = "query model";

    } else {
        raw = &q.deployment;
        n = q.n_deployment;
        where = "query deployment";
    }

    if (n > 1) {
        azoai_route_set_ambiguous(route,
                          "the realtime deployment (or model) query parameter"
                          " is given more than once");
    }

    route->deployment_where = where;

    return azoai_pct_decode_str(&route->deployment, raw->data, raw->len, 1, a);
}


static void
azoai_route_preview_signals(const azoai_route_path_t *path,
    const azoai_request_t *req, azoai_route_t *route)
{
    size_t  i;

    /* v1 only: on classic routes a deployment may be called "alpha" */

    for (i = 0; route->v1 && i < path->n; i++) {
        if (azoai_route_segment_is(&path->segment[i], &azoai_seg_alpha)) {
            azoai_route_set_preview(route,
                         "an \"alpha\" path segment marks a preview API");
            break;
        }
    }

    if (req->evals.len) {
        azoai_route_set_preview(route, "the aoai-evals header asks for the"
                                       " preview Evaluations API");
    }

    if (req->copy_checkpoints.len) {
        azoai_route_set_preview(route,
                     "the aoai-copy-ft-checkpoints header asks for the preview"
                     " checkpoint copy API");
    }
}


static int
azoai_route_has_body(const azoai_str_t *method)
{
    const char  *bodiless;

    switch (method->len) {

    case 3:
        bodiless = "GET";
        break;

    case 4:
        bodiless = "HEAD";
        break;

    case 6:
        bodiless = "DELETE";
        break;

    case 7:
        bodiless = "OPTIONS";
        break;

    default:
        bodiless = NULL;
        break;
    }

    if (bodiless
        && azoai_bytes_eq(method->data, (const u_char *) bodiless,
                          method->len))
    {
        return 0;
    }

    /* POST, PUT, PATCH and anything unknown: fail closed */

    return 1;
}


static void
azoai_route_set_ambiguous(azoai_route_t *route, const char *detail)
{
    if (!route->ambiguous) {
        route->ambiguous = 1;
        route->detail = detail;
    }
}


static void
azoai_route_set_preview(azoai_route_t *route, const char *detail)
{
    if (!route->ambiguous && !route->preview_feature) {
        route->detail = detail;
    }

    route->preview_feature = 1;
}


/* lower is a rule literal: lower-case ASCII letters, digits and '_' */

static int
azoai_route_segment_is(const azoai_str_t *s, const azoai_str_t *lower)
{
    if (s->len != lower->len) {
        return 0;
    }

    /* clients mostly send the literal as it is */

    return azoai_bytes_eq(s->data, lower->data, s->len)
           || azoai_ascii_eq_lower(s->data, lower->data, s->len);
}
