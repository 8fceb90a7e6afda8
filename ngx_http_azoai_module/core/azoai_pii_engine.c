/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * PII engine configuration: the registry of detector types (built-in and
 * custom PCRE2 patterns), their actions, the hash key, and finalize(),
 * which checks the configuration and JIT-compiles the patterns.  All of it
 * runs at configuration time, before NGINX forks its workers.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "azoai_pii_int.h"


static void azoai_pii_engine_release(azoai_pii_engine_t *e);
static int azoai_pii_name_ok(const char *name, size_t len);
static void azoai_pii_make_tag(azoai_pii_type_t *t);
static void azoai_pii_note_action(azoai_pii_engine_t *e, unsigned type);
static int azoai_pii_mac_setup(azoai_pii_engine_t *e, char *err,
    size_t errlen);


static const char  *azoai_pii_builtin_names[AZOAI_PII_BUILTIN_N] = {
    "email", "phone", "credit_card", "iban", "us_ssn", "ipv4", "ipv6",
    "secret", "uk_nhs", "uk_nino", "us_itin", "us_mbi", "us_npi", "ca_sin",
    "de_tax_id", "fr_nir", "es_dni", "it_fiscal_code", "nl_bsn",
    "in_aadhaar", "br_cpf", "au_tfn", "sg_nric", "crypto_wallet"
};


typedef struct {
    const char             *name;
    unsigned                types;
} azoai_pii_group_t;


#define azoai_pii_bit(type)  (1u << (type))

static const azoai_pii_group_t  azoai_pii_groups[] = {
    { "secrets", azoai_pii_bit(AZOAI_PII_SECRET) },
    { "national_ids", azoai_pii_bit(AZOAI_PII_US_SSN)
                      | AZOAI_PII_NATID_MASK },
    { "financial", azoai_pii_bit(AZOAI_PII_CREDIT_CARD)
                   | azoai_pii_bit(AZOAI_PII_IBAN)
                   | azoai_pii_bit(AZOAI_PII_CRYPTO_WALLET) },
    { "network", azoai_pii_bit(AZOAI_PII_IPV4)
                 | azoai_pii_bit(AZOAI_PII_IPV6) },
    { "contact", azoai_pii_bit(AZOAI_PII_EMAIL)
                 | azoai_pii_bit(AZOAI_PII_PHONE) }
};


azoai_pii_engine_t *
azoai_pii_engine_create(void)
{
    size_t               i;
    azoai_pii_type_t    *t;
    azoai_pii_engine_t  *e;

    e = calloc(1, sizeof(azoai_pii_engine_t));
    if (e == NULL) {
        return NULL;
    }

    for (i = 0; i < AZOAI_PII_BUILTIN_N; i++) {
        t = &e->types[i];
        t->name_len = strlen(azoai_pii_builtin_names[i]);
        memcpy(t->name, azoai_pii_builtin_names[i], t->name_len + 1);

        azoai_pii_make_tag(t);
        azoai_pii_note_action(e, i);
    }

    e->ntypes = AZOAI_PII_BUILTIN_N;

    return e;
}


void
azoai_pii_engine_free(azoai_pii_engine_t *e)
{
    unsigned  i;

    if (e == NULL) {
        return;
    }

    azoai_pii_engine_release(e);

    for (i = 0; i < e->ntypes; i++) {
        if (e->types[i].re) {
            pcre2_code_free(e->types[i].re);
        }
    }

    if (e->key) {
        OPENSSL_cleanse(e->key, e->key_len);
        free(e->key);
    }

    free(e);
}


/* what finalize() creates */

static void
azoai_pii_engine_release(azoai_pii_engine_t *e)
{
    if (e->match_data) {
        pcre2_match_data_free(e->match_data);
        e->match_data = NULL;
    }

    if (e->match_ctx) {
        pcre2_match_context_free(e->match_ctx);
        e->match_ctx = NULL;
    }

    if (e->jit_stack) {
        pcre2_jit_stack_free(e->jit_stack);
        e->jit_stack = NULL;
    }

    if (e->mac_ctx) {
        EVP_MAC_CTX_free(e->mac_ctx);
        e->mac_ctx = NULL;
    }

    if (e->mac) {
        EVP_MAC_free(e->mac);
        e->mac = NULL;
    }

    e->finalized = 0;
}


int
azoai_pii_engine_enable(azoai_pii_engine_t *e, unsigned type,
    azoai_pii_action_e action)
{
    if (type >= e->ntypes || action > AZOAI_PII_ACTION_LAST) {
        return AZOAI_ERROR;
    }

    e->types[type].enabled = 1;
    e->types[type].action = action;
    azoai_pii_note_action(e, type);

    if (type < AZOAI_PII_BUILTIN_N) {
        e->builtin_mask |= 1u << type;
    }

    return AZOAI_OK;
}


int
azoai_pii_engine_add_pattern(azoai_pii_engine_t *e, const char *name,
    const u_char *regex, size_t len, azoai_pii_action_e action, char *err,
    size_t errlen)
{
    int                  rc;
    size_t               name_len;
    PCRE2_SIZE           offset;
    pcre2_code          *re;
    azoai_pii_type_t    *t;
    PCRE2_UCHAR          msg[256];

    name_len = strlen(name);

    if (!azoai_pii_name_ok(name, name_len)) {
        snprintf(err, errlen, "pii pattern name must be 1 to %d characters "
                 "of a-z, 0-9 and \"_\"", AZOAI_PII_NAME_MAX);
        return -1;
    }

    if (azoai_pii_type_by_name(e, (const u_char *) name, name_len) != -1) {
        snprintf(err, errlen, "pii pattern \"%s\": duplicate name", name);
        return -1;
    }

    if (e->ntypes == AZOAI_PII_MAX_TYPES) {
        snprintf(err, errlen, "pii pattern \"%s\": too many patterns (%d "
                 "types at most)", name, AZOAI_PII_MAX_TYPES);
        return -1;
    }

    if (action > AZOAI_PII_ACTION_LAST) {
        snprintf(err, errlen, "pii pattern \"%s\": bad action", name);
        return -1;
    }

    re = pcre2_compile((PCRE2_SPTR) regex, len,
                       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &rc, &offset,
                       NULL);

    if (re == NULL) {
        if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0) {
            msg[0] = '\0';
        }

        snprintf(err, errlen, "pii pattern \"%s\": %s at offset %zu",
                 name, (char *) msg, (size_t) offset);
        return -1;
    }

    t = &e->types[e->ntypes];
    memcpy(t->name, name, name_len + 1);
    t->name_len = name_len;

    azoai_pii_make_tag(t);

    t->re = re;
    t->action = action;
    t->enabled = 1;
    azoai_pii_note_action(e, e->ntypes);

    e->ncustom++;
    e->finalized = 0;

    return (int) e->ntypes++;
}


/*
 * The tag is the name upper-cased; its mask "[TAG]" is rendered here once
 * (azoai_pii_render() copies it)
 */

static void
azoai_pii_make_tag(azoai_pii_type_t *t)
{
    size_t  k;

    for (k = 0; k <= t->name_len; k++) {
        t->tag[k] = (char) ((t->name[k] >= 'a' && t->name[k] <= 'z')
                            ? t->name[k] - 'a' + 'A' : t->name[k]);
    }

    t->mask[0] = '[';
    memcpy(t->mask + 1, t->tag, t->name_len);
    t->mask[t->name_len + 1] = ']';
    t->mask_len = t->name_len + 2;
}


/*
 * What follows the action of type (below AZOAI_PII_MAX_TYPES) for the
 * match paths: its bit in e->blocked, which a match callback reads
 * instead of the action, and the short tag azoai_pii_render_short()
 * copies for the mask and block actions
 */

static void
azoai_pii_note_action(azoai_pii_engine_t *e, unsigned type)
{
    uint64_t                 bit;
    const azoai_pii_type_t  *t;

    t = &e->types[type];
    bit = (uint64_t) 1 << type;

    if (t->action == AZOAI_PII_ACTION_BLOCK) {
        e->blocked |= bit;

    } else {
        e->blocked &= ~bit;
    }

    memset(e->short_tag[type], 0, AZOAI_PII_SHORT_TAG);
    e->short_len[type] = 0;

    if ((t->action == AZOAI_PII_ACTION_MASK
         || t->action == AZOAI_PII_ACTION_BLOCK)
        && t->mask_len <= AZOAI_PII_SHORT_TAG)
    {
        memcpy(e->short_tag[type], t->mask, t->mask_len);
        e->short_len[type] = (u_char) t->mask_len;
    }
}


static int
azoai_pii_name_ok(const char *name, size_t len)
{
    size_t  i;

    if (len == 0 || len > AZOAI_PII_NAME_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || azoai_pii_digit(name[i]) || name[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}


int
azoai_pii_engine_set_hash_key(azoai_pii_engine_t *e, const u_char *key,
    size_t len)
{
    u_char  *copy;

    if (len == 0) {
        return AZOAI_ERROR;
    }

    copy = malloc(len);
    if (copy == NULL) {
        return AZOAI_ERROR;
    }

    memcpy(copy, key, len);

    if (e->key) {
        OPENSSL_cleanse(e->key, e->key_len);
        free(e->key);
    }

    e->key = copy;
    e->key_len = len;
    e->finalized = 0;

    return AZOAI_OK;
}


int
azoai_pii_engine_finalize(azoai_pii_engine_t *e, char *err, size_t errlen)
{
    int                rc;
    unsigned           i;
    azoai_pii_type_t  *t;

    azoai_pii_engine_release(e);

    for (i = 0; i < e->ntypes; i++) {
        t = &e->types[i];

        if (t->enabled && t->action == AZOAI_PII_ACTION_HASH
            && e->key == NULL)
        {
            snprintf(err, errlen, "pii action \"hash\" for \"%s\" needs a "
                     "hash key", t->name);
            return AZOAI_ERROR;
        }

        if (t->re) {
            /* PCRE2 built without JIT still matches, interpreted */
            rc = pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE);

            if (rc < 0 && rc != PCRE2_ERROR_JIT_BADOPTION) {
                snprintf(err, errlen, "pii pattern \"%s\": JIT compilation "
                         "failed (%d)", t->name, rc);
                return AZOAI_ERROR;
            }
        }
    }

    if (e->ncustom) {
        e->match_data = pcre2_match_data_create(1, NULL);
        e->match_ctx = pcre2_match_context_create(NULL);

        if (e->match_data == NULL || e->match_ctx == NULL) {
            snprintf(err, errlen, "pii: out of memory");
            azoai_pii_engine_release(e);
            return AZOAI_ERROR;
        }

        pcre2_set_match_limit(e->match_ctx, AZOAI_PII_MATCH_LIMIT);

        /* JIT code runs on this stack rather than 32K of the machine's */
        e->jit_stack = pcre2_jit_stack_create(32 * 1024, AZOAI_PII_JIT_STACK,
                                              NULL);
        if (e->jit_stack) {
            pcre2_jit_stack_assign(e->match_ctx, NULL, e->jit_stack);
        }
    }

    if (e->key && azoai_pii_mac_setup(e, err, errlen) != AZOAI_OK) {
        azoai_pii_engine_release(e);
        return AZOAI_ERROR;
    }

    e->finalized = 1;

    return AZOAI_OK;
}


/* an HMAC-SHA256 context keyed once; render() re-initializes it */

static int
azoai_pii_mac_setup(azoai_pii_engine_t *e, char *err, size_t errlen)
{
    OSSL_PARAM  params[2];

    e->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (e->mac == NULL) {
        snprintf(err, errlen, "pii: HMAC is not available");
        return AZOAI_ERROR;
    }

    e->mac_ctx = EVP_MAC_CTX_new(e->mac);
    if (e->mac_ctx == NULL) {
        snprintf(err, errlen, "pii: out of memory");
        return AZOAI_ERROR;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (!EVP_MAC_init(e->mac_ctx, e->key, e->key_len, params)) {
        snprintf(err, errlen, "pii: HMAC-SHA256 setup failed");
        return AZOAI_ERROR;
    }

    return AZOAI_OK;
}


int
azoai_pii_type_by_name(const azoai_pii_engine_t *e, const u_char *name,
    size_t len)
{
    unsigned  i;

    for (i = 0; i < e->ntypes; i++) {
        if (e->types[i].name_len == len
            && memcmp(e->types[i].name, name, len) == 0)
        {
            return (int) i;
        }
    }

    return -1;
}


int
azoai_pii_builtin_by_name(const u_char *name, size_t len)
{
    unsigned  i;

    for (i = 0; i < AZOAI_PII_BUILTIN_N; i++) {
        if (strlen(azoai_pii_builtin_names[i]) == len
            && memcmp(azoai_pii_builtin_names[i], name, len) == 0)
        {
            return (int) i;
        }
    }

    return -1;
}


unsigned
azoai_pii_group_by_name(const u_char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(azoai_pii_groups) / sizeof(azoai_pii_groups[0]);
         i++)
    {
        if (strlen(azoai_pii_groups[i].name) == len
            && memcmp(azoai_pii_groups[i].name, name, len) == 0)
        {
            return azoai_pii_groups[i].types;
        }
    }

    return 0;
}


const char *
azoai_pii_group_name(unsigned i)
{
    if (i >= sizeof(azoai_pii_groups) / sizeof(azoai_pii_groups[0])) {
        return NULL;
    }

    return azoai_pii_groups[i].name;
}


const char *
azoai_pii_type_name(const azoai_pii_engine_t *e, unsigned type)
{
    if (type >= e->ntypes) {
        return NULL;
    }

    return e->types[type].name;
}


unsigned
azoai_pii_type_count(const azoai_pii_engine_t *e)
{
    return e->ntypes;
}


azoai_pii_action_e
azoai_pii_type_action(const azoai_pii_engine_t *e, unsigned type)
{
    if (type >= e->ntypes) {
        return AZOAI_PII_ACTION_MASK;
    }

    return e->types[type].action;
}
