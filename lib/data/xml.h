/* xml.h - text escaped for XML 1.0 (and HTML) documents, attribute values included:
 * markup characters as entities (& < > " '), tab/newline/CR as character references,
 * other control bytes XML 1.0 cannot carry and invalid UTF-8 (overlong forms, surrogates,
 * U+FFFE/U+FFFF, beyond U+10FFFF) as '?'. Valid UTF-8 is copied as it is.
 * The one escaper of junit.xml, the scorecard page and its SVG charts.
 */
#ifndef PT_XML_H
#define PT_XML_H

#include <stddef.h>

#include "buf.h"

/* Appends s (n bytes) escaped. */
void xml_escape(buf *b, const char *s, size_t n);
/* Appends the string s escaped; NULL appends nothing. */
void xml_escape_str(buf *b, const char *s);

#endif
