/*
 * Copyright (C) ngx_http_azoai_module authors
 *
 * The one grammar of deployment, model, version and api-version names:
 *
 *     name = 1*64( ALPHA / DIGIT / "." / "_" / "-" )
 *
 * that is 1 to AZOAI_NAME_MAX (64) bytes of ASCII letters, digits, '.',
 * '_' and '-'.  The azoai_deployment directive, the catalog file (model,
 * version and deployment names; "*" is allowed only as a model's version
 * key, the catalog's "any version"), the messages of a denial, the
 * variables and the metrics labels all use it.
 *
 * Showing a name that came from a request is a second, separate check on
 * top of the grammar, azoai_name_printable(): such a name is shown only
 * if it is also not shaped like personal data (no run of 9 or more digits,
 * no dotted quad), else it is replaced ("(unprintable name)",
 * "-invalid-").  It is not part of the grammar because the names an
 * operator writes (directive, catalog) are trusted and may hold any
 * digits; it exists for what a client sends, which may be anything.
 */

#ifndef _AZOAI_NAME_H_INCLUDED_
#define _AZOAI_NAME_H_INCLUDED_


#include "azoai_core.h"


#define AZOAI_NAME_MAX  64


/* 1 if s is a name of the grammar above, else 0 */
int azoai_name_valid(const u_char *s, size_t len);

/*
 * 1 if s, a name from a request, may be shown (messages, variables,
 * metrics): a valid name with no run of 9 or more digits ('-' and '.'
 * aside, YYYY-MM-DD dates not counted: card, phone, account numbers) and
 * no 4 dot-separated numbers (an IPv4 address)
 */
int azoai_name_printable(const u_char *s, size_t len);


#endif /* _AZOAI_NAME_H_INCLUDED_ */
