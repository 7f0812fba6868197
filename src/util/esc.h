/*
 * esc.h — what came out of an instance, made safe for a terminal or JSON.
 * Used by every front end that shows function output (commands, console).
 */
#ifndef HEARTH_ESC_H
#define HEARTH_ESC_H

#include <stddef.h>

struct buf;

/* esc.c: escaping for a terminal (esc_term*) and for JSON (esc_json*). */
#define ESC_NL		0x1	/* newline shown as \n (one-line fields) */
#define ESC_TAB		0x2	/* tab shown as \t */
#define ESC_DETAB	0x4	/* tab expanded to spaces */
#define ESC_CRLF	0x8	/* CR passes before a newline (serial consoles) */
#define ESC_ONELINE	(ESC_NL | ESC_TAB)

void	 esc_term(struct buf *b, const void *p, size_t len, int flags);
char	*esc_term_str(const char *s, int flags);
void	 esc_json_string(struct buf *b, const void *p, size_t len);
int	 esc_json(struct buf *b, const void *p, size_t len);
int	 esc_json_check(const void *p, size_t len, size_t *at);
void	 esc_json_or_string(struct buf *b, const void *p, size_t len);

#endif
